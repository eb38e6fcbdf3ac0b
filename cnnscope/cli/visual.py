"""``cnnscope filters``, ``features`` and ``graph``: pictures of a model, drawn by cnnscope.vis."""

from __future__ import annotations

import sys
from pathlib import Path

from cnnscope.cli.common import add_input, add_layer, add_model, add_output, add_weight_choice, input_shapes, output_format
from cnnscope.cli.output import note, say, write_picture
from cnnscope.export.formats import GRAPH_SUFFIXES, PICTURE_SUFFIXES
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    filters = subparsers.add_parser("filters", help=_("a grid of a conv layer's kernels (default: the first conv)"))
    add_model(filters)
    _weights_options(filters)
    add_layer(filters, _("a conv layer (default: the first one)"))
    filters.add_argument("--shared-scale", action="store_true", help=_("one colour scale for all filters (default: "
                                                                       "each filter normalised on its own)"))
    add_output(filters, _("a .png (or .jpg) to write"), required=True)

    features = subparsers.add_parser("features", help=_("a layer's activations on an image, as a grid"))
    add_model(features)
    features.add_argument("--image", metavar="IMG", required=True, help=_("a PNG/JPEG, or digits:N for sample N of "
                                                                          "the embedded handwritten digits"))
    add_layer(features, _("any row of the summary, functional ones included (default: the first conv)"))
    _weights_options(features)
    features.add_argument("--top", type=int, metavar="K", help=_("show the K most active channels"))
    add_output(features, _("a .png (or .jpg) to write"), required=True)

    graph = subparsers.add_parser("graph", help=_("the architecture as a graphviz diagram"))
    add_model(graph)
    add_input(graph)
    graph.add_argument("--expand", action="store_true", help=_("one node per call; no collapsing of repeated blocks"))
    graph.add_argument("--rankdir", choices=("TB", "LR", "BT", "RL"), default="TB",
                       help=_("direction: top-to-bottom (default), left-to-right, bottom-to-top, right-to-left"))
    graph.add_argument("--depth", type=int, metavar="N", help=_("draw each block at nesting depth N as one node"))
    graph.add_argument("--roll", action="store_true", help=_("draw repeated calls of one module as one node with a "
                                                             "loop"))
    graph.add_argument("--no-shapes", action="store_true", help=_("leave the tensor shapes off nodes and edges"))
    graph.add_argument("--no-costs", action="store_true", help=_("leave params, MACs and RF off the nodes"))
    add_output(graph, _(".svg, .png, .pdf (drawn by graphviz's dot), .html (an interactive page: pan, zoom, open "
                        "blocks, click a layer; no graphviz needed) or .dot"), required=True)


def _weights_options(parser) -> None:
    add_weight_choice(parser)


def run(args) -> int:
    output_format(args, GRAPH_SUFFIXES if args.command == "graph" else PICTURE_SUFFIXES, default=None)
    return {"filters": _filters, "features": _features, "graph": _graph}[args.command](args)


def _model(args):
    """(LoadedModel in eval mode on the CPU, where its weights came from)."""
    from cnnscope.cli.common import real_model

    if args.pretrained and args.download:
        fetch_pretrained(args.model)
    loaded, origin = real_model(args.model, args.seed, weights=args.weights, pretrained=args.pretrained,
                                download=args.download)
    loaded.module.eval()
    return loaded, origin


def fetch_pretrained(name: str) -> None:
    """torchvision's pretrained weights of ``name`` into the torch hub cache when absent, with a
    progress bar on stderr (a rich bar on a terminal, a line before and after otherwise).  Other
    sources (timm:NAME, models without weights) are left to the loader, which says what it can."""
    from cnnscope.weights import download_pretrained, pretrained_file, pretrained_reason

    if name.startswith("timm:") or pretrained_reason(name) is not None:
        return
    info = pretrained_file(name)
    if info.cached:
        return
    if not sys.stderr.isatty():
        note(_("downloading {url} ({size_text}) to {path}").format(
                 url=info.url, size_text=info.size_text, path=info.path))
        download_pretrained(info)
        note(_("downloaded {path}").format(path=info.path))
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    with Progress(TextColumn(f"{Path(info.url).name} ({info.size_text})"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task("download", total=info.size_mb * 1e6 if info.size_mb else None)
        download_pretrained(info, progress=lambda done, total: bar.update(task, completed=done, total=total))
    note(_("downloaded {path}").format(path=info.path))


def _filters(args) -> int:
    from cnnscope.probes.activations import conv_weight
    from cnnscope.vis.filters import filter_grid

    loaded, origin = _model(args)
    name, weight = conv_weight(loaded.module, args.layer)
    out_channels, in_channels, kh, kw = weight.shape
    title = _("{layer} · {n} filters {kh}×{kw}×{inp} · weights: {origin}").format(  # the app's title, model first
        layer=f"{loaded.name} · {name}", n=out_channels, kh=kh, kw=kw, inp=in_channels, origin=origin)
    write_picture(filter_grid(weight, title, shared_scale=args.shared_scale), args.output)
    say(_("wrote {output}: {title}").format(output=args.output, title=title))
    return 0


def _features(args) -> int:
    from cnnscope.errors import UsageError
    from cnnscope.probes.activations import capture, first_conv_name
    from cnnscope.vis.feature_maps import MAX_BARS, MAX_MAPS, feature_grid
    from cnnscope.vis.images import open_image, to_input

    if args.top is not None and args.top < 1:
        raise UsageError(_("--top must be at least 1"))
    picture = open_image(args.image)
    loaded, origin = _model(args)
    if loaded.input_format == "image_pair":
        raise UsageError(_("features draws a model with one image input; {model} takes a pair of frames").format(
                             model=args.model))
    if not loaded.input_shape or len(loaded.input_shape) != 3:
        raise UsageError(_("{model} has no image input shape to resize the picture to").format(model=args.model))
    channels, height, width = loaded.input_shape
    # A detection model normalises inside its own transform: give it the plain picture.
    mean, std = (None, None) if loaded.input_format == "image_list" else (loaded.normalization or (None, None))
    inputs, _unused = to_input(picture, channels, (height, width), mean, std)
    layer = args.layer or first_conv_name(loaded.module)
    activation = capture(loaded.module, inputs, layer)[0]
    shape = "×".join(map(str, activation.shape))
    title = _("{layer} · {shape} · {image} · weights: {origin}").format(
        layer=f"{loaded.name} · {layer}", shape=shape, image=Path(args.image).name, origin=origin)
    if activation.ndim == 1:  # a Linear output: bars, named by class when it is the model's output
        from cnnscope.vis.feature_maps import value_bars

        picture = value_bars(activation, title, names=_output_names(args, loaded, inputs, activation), top=args.top)
    else:
        picture = feature_grid(activation, title, top=args.top)
    write_picture(picture, args.output)
    say(_("wrote {output}: {title}").format(output=args.output, title=title))
    if activation.ndim == 1 and activation.shape[0] > MAX_BARS and args.top is None:
        note(_("note: {shape} values; drew the {MAX_BARS} largest as bars (use --top K for fewer)").format(
                 shape=activation.shape[0], MAX_BARS=MAX_BARS))
    elif activation.ndim > 1 and activation.shape[0] > MAX_MAPS and args.top is None:
        note(_("note: {shape} channels; drew the first {MAX_MAPS} (use --top K)").format(
                 shape=activation.shape[0], MAX_MAPS=MAX_MAPS))
    return 0


def _output_names(args, loaded, inputs, activation):
    """The class names of torchvision's pretrained weights when ``activation`` is the model's output
    itself (the same numbers as a full forward pass); else None (the bars say #k)."""
    import numpy as np
    import torch

    from cnnscope.probes.prediction import class_logits, class_names
    from cnnscope.weights import pretrained_file, pretrained_reason

    if not args.pretrained or pretrained_reason(args.model) is not None:
        return None
    with torch.no_grad():
        logits = class_logits(loaded.module(inputs))
    if logits is None or logits.shape != activation.shape or not np.allclose(logits, activation, atol=1e-5):
        return None
    return class_names(len(logits), pretrained_file(args.model).categories)


def _graph(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.export.graphviz import render
    from cnnscope.vis.graph import to_dot

    from cnnscope.errors import UsageError

    if args.depth is not None and args.depth < 1:
        raise UsageError(_("--depth {depth}: must be 1 or more").format(depth=args.depth))
    report = analyze(args.model, input_shapes(args))
    if Path(args.output).suffix.lower() == ".html":  # the interactive diagram: laid out in the page, no graphviz
        from cnnscope.export.interactive_diagram import diagram_page
        from cnnscope.files import write_text_atomic

        depth = args.depth or (max(row.depth for row in report.layers) if args.expand else 1)
        say(_("wrote {output}").format(
                output=write_text_atomic(Path(args.output), diagram_page(report, depth=max(depth, 1)))))
        return 0
    dot = to_dot(report, expand=args.expand, rankdir=args.rankdir, depth=args.depth, shapes=not args.no_shapes,
                 costs=not args.no_costs, roll=args.roll)
    say(_("wrote {dot}").format(dot=render(dot, args.output)))
    return 0
