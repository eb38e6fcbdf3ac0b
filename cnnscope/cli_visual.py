"""``cnnscope filters``, ``features`` and ``graph``: thin commands over cnnscope.vis."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parsers(commands) -> None:
    filters = commands.add_parser("filters", help="a grid of a conv layer's kernels (default: the first conv)")
    filters.add_argument("model", help="a zoo name, path/to/file.py:ClassOrFactory, or a spec")
    _weights_options(filters)
    filters.add_argument("--layer", metavar="NAME", help="a conv layer (default: the first one)")
    filters.add_argument("--shared-scale", action="store_true", help="one colour scale for all filters "
                         "(default: each filter normalised on its own)")
    filters.add_argument("-o", "--output", metavar="FILE", required=True, help="a .png (or .jpg) to write")

    features = commands.add_parser("features", help="a layer's activations on an image, as a grid")
    features.add_argument("model", help="a zoo name, path/to/file.py:ClassOrFactory, or a spec")
    features.add_argument("--image", metavar="IMG", required=True, help="a PNG/JPEG, or digits:N for sample N "
                          "of the embedded handwritten digits")
    features.add_argument("--layer", metavar="NAME", help="any row of the summary, functional ones included "
                          "(default: the first conv)")
    _weights_options(features)
    features.add_argument("--top", type=int, metavar="K", help="show the K most active channels")
    features.add_argument("-o", "--output", metavar="FILE", required=True, help="a .png (or .jpg) to write")

    graph = commands.add_parser("graph", help="the architecture as a graphviz diagram")
    graph.add_argument("model", help="a zoo name, path/to/file.py:ClassOrFactory, or a spec")
    graph.add_argument("--input", metavar="SHAPE", help="C,H,W or N,C,H,W (default: the model's natural input)")
    graph.add_argument("--expand", action="store_true", help="one node per call; no collapsing of repeated blocks")
    graph.add_argument("--rankdir", choices=("TB", "LR"), default="TB", help="top-to-bottom (default) or left-to-right")
    graph.add_argument("-o", "--output", metavar="FILE", required=True, help=".svg, .png, .pdf or .dot")


def _weights_options(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--weights", metavar="FILE", help="a state_dict or checkpoint (weights_only=True)")
    group.add_argument("--pretrained", action="store_true", help="torchvision's pretrained weights, if they are "
                       "already in the local torch hub cache")
    parser.add_argument("--download", action="store_true", help="with --pretrained: download them if absent")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random initialisation (default 0)")


def _picture_path(output: str) -> str:
    from cnnscope.errors import UsageError

    suffix = Path(output).suffix.lower()
    if suffix not in (".png", ".jpg", ".jpeg"):
        raise UsageError(f"-o {output}: write a .png or .jpg picture")
    return "PNG" if suffix == ".png" else "JPEG"


def _model_with_weights(args):
    """(model on the CPU, loaded source info, a phrase saying where the weights came from)."""
    import torch

    from cnnscope.probes.weights import check_state_dict, describe_checkpoint, load_pretrained, load_state_dict
    from cnnscope.errors import UsageError
    from cnnscope.sources import load_model

    torch.manual_seed(args.seed)
    loaded = load_model(args.model, device="cpu")
    model = loaded.module
    if args.download and not args.pretrained:
        raise UsageError("--download goes with --pretrained")
    if args.weights:
        state = load_state_dict(args.weights)
        check_state_dict(model, state, source=args.weights)
        model.load_state_dict(state)
        origin = describe_checkpoint(args.weights)
    elif args.pretrained:
        state = load_pretrained(args.model, download=args.download)
        check_state_dict(model, state, source=f"{args.model}'s pretrained weights")
        model.load_state_dict(state)
        origin = "torchvision pretrained weights (DEFAULT)"
    else:
        origin = f"random initialisation (seed {args.seed})"
    return model.eval(), loaded, origin


def _save(image, output: str) -> None:
    import io

    from cnnscope.export.files import write_bytes_atomic

    buffer = io.BytesIO()
    image.save(buffer, format=_picture_path(output))
    write_bytes_atomic(output, buffer.getvalue())


def run_filters(args) -> int:
    from cnnscope.probes.activations import conv_weight
    from cnnscope.vis.filters import filter_grid

    _picture_path(args.output)
    model, loaded, origin = _model_with_weights(args)
    name, weight = conv_weight(model, args.layer)
    out_channels, in_channels, kh, kw = weight.shape
    title = f"{loaded.name} · {name} · {out_channels} filters {kh}×{kw}×{in_channels} · weights: {origin}"
    _save(filter_grid(weight, title, shared_scale=args.shared_scale), args.output)
    sys.stdout.write(f"wrote {args.output}: {title}\n")
    return 0


def run_features(args) -> int:
    from cnnscope.probes.activations import capture, first_conv_name
    from cnnscope.errors import UsageError
    from cnnscope.vis.feature_maps import MAX_MAPS, feature_grid
    from cnnscope.vis.images import open_image, to_input

    _picture_path(args.output)
    if args.top is not None and args.top < 1:
        raise UsageError("--top must be at least 1")
    picture = open_image(args.image)
    model, loaded, origin = _model_with_weights(args)
    if not loaded.input_shape or len(loaded.input_shape) != 3:
        raise UsageError(f"{args.model} has no image input shape to resize the picture to")
    channels, height, width = loaded.input_shape
    mean, std = loaded.normalization or (None, None)
    inputs, _ = to_input(picture, channels, (height, width), mean, std)
    layer = args.layer or first_conv_name(model)
    activation = capture(model, inputs, layer)[0]
    shape = "×".join(map(str, activation.shape))
    title = f"{loaded.name} · {layer} · {shape} · {Path(args.image).name} · weights: {origin}"
    _save(feature_grid(activation, title, top=args.top), args.output)
    sys.stdout.write(f"wrote {args.output}: {title}\n")
    if activation.ndim >= 1 and activation.shape[0] > MAX_MAPS and args.top is None:
        sys.stderr.write(f"note: {activation.shape[0]} channels; drew the first {MAX_MAPS} (use --top K)\n")
    return 0


def run_graph(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.cli import parse_input_shape
    from cnnscope.export.graphviz import render
    from cnnscope.vis.graph import to_dot

    shapes = parse_input_shape(args.input) if args.input else None
    report = analyze(args.model, shapes)
    path = render(to_dot(report, expand=args.expand, rankdir=args.rankdir), args.output)
    sys.stdout.write(f"wrote {path}\n")
    return 0
