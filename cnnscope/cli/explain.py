"""``cnnscope explain``: how one number of a model is computed, from the real input and weights
(cnnscope.probes.unit), as text, JSON, an HTML page or a picture; with ``--arithmetic``, convolution
arithmetic animated (cnnscope.cli.arithmetic)."""

from __future__ import annotations

from pathlib import Path

from cnnscope.cli import arithmetic
from cnnscope.cli.common import add_layer, add_output, add_weight_choice
from cnnscope.cli.output import emit, note, say
from cnnscope.i18n import _, ngettext

SUFFIXES = {".json": "json", ".txt": "text", ".html": "html", ".png": "png", ".jpg": "png", ".jpeg": "png"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help=_("how one output unit of a layer is computed, with the real numbers"),
        description=_("Work out one unit of a layer from the real input and weights: the receptive field, the "
                      "kernel, every product (or the largest), the bias and the sum, checked in float64 against "
                      "the model's own value; pools, batch norm, activations, linear rows and softmax too."))
    parser.add_argument("model", nargs="?", help=_("a model name, timm:NAME, file.py:Name or a spec file (with "
                                                   "--run: taken from the run)"))
    add_layer(parser, _("any row of the summary (default: the first convolution)"))
    parser.add_argument("--unit", metavar="C,Y,X", help=_("channel, row and column of the output map counted from "
                                                          "0 (one number for a linear row; default: the largest "
                                                          "|value| in channel 0)"))
    parser.add_argument("--image", metavar="IMG", default="digits:0",
                        help=_("a PNG/JPEG (resized and normalised as the model expects), digits:N (sample N of "
                               "the embedded handwritten digits; default digits:0), or x.pt / x.npy: a C×H×W or "
                               "1×C×H×W tensor used exactly as it is"))
    add_weight_choice(parser, run=True)
    parser.add_argument("--top", type=int, default=10, metavar="K",
                        help=_("how many of the largest products to list (default 10; the rest are summed)"))
    parser.add_argument("--follow", type=int, default=0, metavar="N",
                        help=_("also explain the next N rows the value goes on to (the same position through "
                               "activations, the pool window that holds it, the most active unit of a conv or "
                               "linear row)"))
    parser.add_argument("--format", choices=("text", "json"), default=None, help=_("default: text, or what -o names"))
    add_output(parser, _("unit.json, unit.txt, unit.html (a page with the picture) or unit.png (a picture)"))
    arithmetic.add_arguments(parser)


def run(args) -> int:
    from cnnscope.errors import ShapeError, UsageError

    if args.arithmetic:
        if args.model is not None or args.run is not None:
            raise UsageError(_("--arithmetic needs no model (it draws a convolution's arithmetic on its own); "
                               "leave out MODEL or --run"))
        return arithmetic.run(args)
    if args.model is None and args.run is None:
        raise UsageError(_("explain needs a MODEL (or --run DIR), or --arithmetic"))
    if args.top < 1:
        raise UsageError(_("--top {top}: must be at least 1").format(top=args.top))
    if args.follow < 0:
        raise UsageError(_("--follow {follow}: must be 0 or more").format(follow=args.follow))
    form = _format(args)
    model, inputs, picture, origin, names, label, expected = _prepare(args)
    try:
        explanations = _explain_chain(model, inputs, args, names)
    except ShapeError as error:
        from cnnscope.vis.model_inputs import is_tensor_file

        if not is_tensor_file(args.image) or expected is None or tuple(inputs.shape[1:]) == tuple(expected):
            raise
        from cnnscope.errors import InputError

        shape = "×".join(map(str, inputs.shape[1:]))
        raise InputError(_("{image}: a {shape} input does not fit {label}, which takes {str} ({error})").format(
                             image=args.image, shape=shape, label=label, str='×'.join(map(str, expected)), error=error)) from None
    head = f"{label} · input {args.image} · weights: {origin}"
    if form == "json":
        from cnnscope.export.unit import unit_dict

        import json

        documents = [unit_dict(e, model=label, weights=origin, source=args.image) for e in explanations]
        chosen = documents[0] if len(documents) == 1 else documents
        emit(json.dumps(chosen, indent=2, allow_nan=False) + "\n", args.output)
    elif form == "text":
        from cnnscope.export.unit import unit_text

        text = "\n".join(unit_text(e, heading=head if k == 0 else "") for k, e in enumerate(explanations))
        emit(text, args.output)
    else:
        from cnnscope.export.unit import unit_html
        from cnnscope.vis.unit_figure import unit_picture

        first = explanations[0]
        image = unit_picture(first, picture, _("{label} · layer {layer} · unit {unit} = {value:.4g}").format(
            label=label, layer=first.layer, unit=",".join(map(str, first.unit)), value=first.value))
        if form == "png":
            from cnnscope.cli.output import write_picture

            write_picture(image, args.output)
        else:
            import io

            from cnnscope.files import write_text_atomic

            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            write_text_atomic(args.output, unit_html(explanations, title=head, picture_png=buffer.getvalue()))
    if args.output and args.output != "-":
        first = explanations[0]
        more = len(explanations) - 1
        after = ngettext(" and {n} row after it", " and {n} rows after it", more).format(n=more) if more else ""
        say(_("wrote {output}: {label} · layer {layer} · unit {unit} = {value:.6g}{after} · {image} · weights: "
              "{origin}").format(output=args.output, label=label, layer=first.layer,
                                 unit=",".join(map(str, first.unit)), value=first.value, after=after,
                                 image=args.image, origin=origin))
    return 0


run.keeps_stdout = False


def _format(args) -> str:
    from pathlib import PurePath

    from cnnscope.errors import UsageError

    output = args.output
    suffix = PurePath(output).suffix.lower() if output and output != "-" else ""
    if output and output != "-" and suffix not in SUFFIXES:
        raise UsageError(_("-o {output}: unknown suffix {value}; choose .json, .txt, .html or .png").format(
                             output=output, value=suffix or '(none)'))
    named = SUFFIXES.get(suffix)
    if args.format and named and named in ("json", "text") and args.format != named:
        raise UsageError(_("--format {format_value} contradicts -o {output}; leave out --format or change the "
                           "suffix").format(format_value=args.format, output=output))
    return named or args.format or "text"


def _prepare(args):
    """(model in eval mode, input batch, picture to draw on, weights origin, class names, model label,
    the model's natural C×H×W input)."""
    import torch

    from cnnscope.vis.model_inputs import drawable, is_tensor_file, one_input, picture_input, tensor_input
    from cnnscope.probes.prediction import DATASET_CLASSES

    names, dataset, config = None, None, None
    if args.run:
        loaded, origin, config = _from_run(args)
        dataset = config.get("dataset")
        names = config.get("classes")
    else:
        from cnnscope.cli.common import real_model

        if args.pretrained and args.download:
            from cnnscope.cli.visual import fetch_pretrained

            fetch_pretrained(args.model)
        loaded, origin = real_model(args.model, args.seed, weights=args.weights, pretrained=args.pretrained,
                                    download=args.download)
    one_input(loaded)
    model = loaded.module.eval()
    if args.pretrained:
        from cnnscope.weights import pretrained_file, pretrained_reason

        if pretrained_reason(args.model) is None:
            names = pretrained_file(args.model).categories
    if names is None and dataset:
        names = DATASET_CLASSES.get(dataset)
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    if is_tensor_file(args.image):
        inputs = tensor_input(args.image, loaded.input_shape, dtype)
        picture = drawable(inputs)
    elif config is not None:
        from cnnscope.vis.model_inputs import run_input

        inputs, picture = run_input(args.image, config)
        inputs = inputs.to(dtype)
    else:
        from cnnscope.errors import UsageError

        if not loaded.input_shape or len(loaded.input_shape) != 3:
            raise UsageError(_("{name} has no image input shape to resize the picture to; give the input as a "
                               "tensor file (--image x.pt or x.npy)").format(name=loaded.name))
        channels, height, width = loaded.input_shape
        if channels not in (1, 3):
            raise UsageError(_("{name} takes {channels}-channel inputs, not a picture: give one as a tensor file "
                               "(--image x.pt or x.npy, {channels}×{height}×{width})").format(
                                 name=loaded.name, channels=channels, height=height, width=width))
        mean, std = loaded.normalization or (None, None)
        inputs, picture = picture_input(args.image, channels, (height, width), mean, std)
        inputs = inputs.to(dtype)
    return model, inputs, picture, origin, names, loaded.name, loaded.input_shape


def _from_run(args):
    """(LoadedModel rebuilt from a run folder's best weights, where they came from, the run's config)."""
    from cnnscope.errors import InputError, UsageError
    from cnnscope.sources import LoadedModel, load_model
    from cnnscope.train.checkpoint import load_checkpoint, rebuild_model

    folder = Path(args.run)
    if not folder.is_dir():
        raise InputError(_("--run {folder}: no such run folder").format(folder=folder))
    file = next((folder / name for name in ("best.pt", "model.pt") if (folder / name).is_file()), None)
    if file is None:
        raise InputError(_("--run {folder}: no best.pt or model.pt in it (is it a `cnnscope train -o` folder?)").format(
                             folder=folder))
    checkpoint = load_checkpoint(file)
    config = checkpoint.config
    if args.model and args.model != config.get("model"):
        raise UsageError(_("--run {folder} trained {get}, not {model}; leave out MODEL").format(
                             folder=folder, get=config.get('model'), model=args.model))
    module = rebuild_model(checkpoint)
    shape = config.get("model_input_shape")
    meta = load_model(str(config["model"]), input_shape=tuple(shape) if shape else None)
    loaded = LoadedModel(module, meta.name, tuple(shape) if shape else meta.input_shape, meta.normalization,
                         meta.input_format)
    return loaded, f"{file} (epoch {checkpoint.epoch})", config


def _explain_chain(model, inputs, args, names) -> list:
    from cnnscope.probes import unit as units
    from cnnscope.probes.activations import first_conv_name

    layer = args.layer or first_conv_name(model)
    captured = units.capture(model, inputs, layer)
    unit = units.parse_unit(args.unit) if args.unit else _default_unit(captured)
    if not args.unit:
        if len(unit) == 1:
            note(_("unit {unit} (the default: the largest |value| of the row; choose one with --unit)").format(
                unit=",".join(map(str, unit))))
        else:
            note(_("unit {unit} (the default: the largest |value| in channel 0; choose one with --unit)").format(
                unit=",".join(map(str, unit))))
    chain = [units.explain_captured(captured, unit, top=args.top, names=names)]
    for _unused in range(args.follow):
        step = units.follow(model, inputs, captured, unit)
        if step is None:
            break
        layer, unit = step
        captured = units.capture(model, inputs, layer)
        chain.append(units.explain_captured(captured, unit, top=args.top, names=names))
    return chain


def _default_unit(captured) -> tuple[int, ...]:
    """The most active unit of channel 0 (of the whole output for a 1-D row): a unit whose arithmetic
    shows something, where the centre of a digit, say, is an empty hole of zeros."""
    import numpy as np

    values = captured.output.detach()[0].double().cpu().numpy()
    if values.ndim == 1:
        return (int(np.argmax(np.abs(values))),)
    first = np.abs(values[0])
    return (0, *(int(i) for i in np.unravel_index(int(np.argmax(first)), first.shape)))
