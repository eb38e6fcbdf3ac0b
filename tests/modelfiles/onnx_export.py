"""Helpers for the ONNX tests: export a torchvision model both ways, and the references to check a report by."""

from __future__ import annotations

import warnings
from collections import Counter

import torch


def build(name: str) -> torch.nn.Module:
    """A torchvision classifier with random weights, biases and batch-norm statistics (seeded): the dynamo
    exporter drops an all-zero bias (torchvision initialises biases to 0), and the legacy one shares equal
    folded tensors through Identity nodes; random values keep every tensor the model has."""
    import torchvision

    with torch.random.fork_rng():
        torch.manual_seed(0)
        kwargs = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
        model = torchvision.models.get_model(name, weights=None, **kwargs).eval()
        with torch.no_grad():
            for module in model.modules():
                for parameter in module.parameters(recurse=False):  # untrained weights are often all 0 or all 1:
                    parameter.add_(torch.empty_like(parameter).uniform_(-0.01, 0.01))  # the dynamo exporter
                    # drops an all-zero conv bias and stores equal tensors (norm weights) once
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.5, 0.5)
                    module.running_mean.uniform_(-0.5, 0.5)
                    module.running_var.uniform_(0.5, 1.5)
    return model


def export(model: torch.nn.Module, shape, path, exporter: str, dynamic_batch: bool = False) -> str:
    """``exporter``: "legacy13", "legacy17" (``dynamo=False`` at that opset) or "dynamo"."""
    x = torch.zeros(shape)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        if exporter.startswith("legacy"):
            axes = {"x": {0: "batch"}} if dynamic_batch else None
            torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=int(exporter[-2:]),
                              input_names=["x"], dynamic_axes=axes)
        else:
            shapes = {"x": {0: torch.export.Dim("batch", min=1, max=64)}} if dynamic_batch else None
            torch.onnx.export(model, (x,), str(path), dynamo=True, dynamic_shapes=shapes, verbose=False)
    return str(path)


def folded_channels(report, model) -> tuple[int, int]:
    """(channels of the batch norms that read a convolution's output directly -- the ones an exporter folds --,
    the part of them whose convolution has no bias of its own), from the PyTorch report of the original model."""
    by_index = {row.index: row for row in report.layers}
    total = without_bias = 0
    for row in report.leaves():
        if row.type.startswith("BatchNorm") and len(row.inputs) == 1 and row.inputs[0] >= 0:
            source = by_index[row.inputs[0]]
            if source.op_kind == "conv":
                total += row.output_shape[1]
                if model.get_submodule(source.name).bias is None:
                    without_bias += row.output_shape[1]
    return total, without_bias


def inferred_data_shapes(path: str, input_shape) -> list:
    """First-output shapes, in node order, of the nodes that compute on data from the input, by ONNX's own
    shape inference on the whole file (weights loaded): the reference for the report's leaf rows.  None where
    that inference stops (shape arithmetic it cannot follow, which cnnscope folds)."""
    import onnx

    model = onnx.load(path)
    inits = {t.name for t in model.graph.initializer}
    for value in model.graph.input:
        if value.name not in inits:
            for dim, size in zip(value.type.tensor_type.shape.dim, input_shape):
                dim.Clear()
                dim.dim_value = size
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*inferred.graph.value_info, *inferred.graph.output]
              if all(d.HasField("dim_value") for d in v.type.tensor_type.shape.dim)}
    reached = {v.name for v in inferred.graph.input if v.name not in inits}
    found = []
    for node in inferred.graph.node:
        if node.op_type in ("Shape", "Size") or not any(i in reached for i in node.input):
            continue
        reached.update(node.output)
        found.append(shapes.get(node.output[0]))
    return found


def leaf_shapes(report) -> list:
    return [row.output_shape if isinstance(row.output_shape[0], int) else row.output_shape[0]
            for row in report.leaves()]


def op_counts(report) -> Counter:
    return Counter(row.type for row in report.leaves())
