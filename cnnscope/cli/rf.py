"""``cnnscope rf``: receptive fields with the recurrence written out; one unit's field drawn on an
image, theoretical beside effective."""

from __future__ import annotations

from cnnscope.cli.common import (add_format, add_input, add_layer, add_model, add_output, add_seed, add_weights,
                                 input_shapes, output_format, parse_unit)
from cnnscope.cli.output import emit, is_picture, terminal_width, write_picture
from cnnscope.export.formats import RF_SUFFIXES
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    rf = subparsers.add_parser("rf", help=_("receptive fields, with the recurrence written out; one unit's field "
                                            "drawn on an image, theoretical beside effective"))
    add_model(rf)
    add_layer(rf, _("show the rows this layer depends on, and probe its units (default for --image/--empirical: "
                    "the last feature map)"))
    add_input(rf)
    add_format(rf, default=None)
    rf.add_argument("--image", metavar="IMG", help=_("a PNG/JPEG to draw the field on (resized to the input)"))
    rf.add_argument("--unit", metavar="Y,X", help=_("the output unit to probe (default: the centre unit)"))
    rf.add_argument("--empirical", action="store_true", help=_("also measure the effective receptive field: "
                                                               "|∂unit/∂input| averaged over inputs, and the "
                                                               "squares holding 50/90/99%% of it"))
    add_weights(rf, _("weights for the effective field (weights_only=True); default: random initialisation"))
    rf.add_argument("--samples", type=int, default=16, metavar="N", help=_("random inputs to average over without "
                                                                           "--image (default 16)"))
    add_seed(rf, _("seed of the random weights and inputs (default 0)"))
    add_output(rf, _(".png draws the unit's field; .json/.csv/.md/.txt write the table"))


def run(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import UsageError
    from cnnscope.export import rf_table

    unit = parse_unit(args.unit)  # a malformed --unit or -o fails before any work
    fmt = output_format(args, RF_SUFFIXES)
    if args.samples < 1:
        raise UsageError(_("--samples must be at least 1"))
    report = analyze(args.model, input_shapes(args))
    if args.layer:
        report.layer(args.layer)  # a one-line error with suggestions when absent
    picture = is_picture(args.output)
    field = image = None
    if args.image or args.empirical or picture or unit is not None:
        field, image = _probe_unit(args, report, unit)
    rows = rf_table.rf_rows(report, args.layer or (field.layer if field else None))
    text = rf_table.render(report, rows, fmt, unit=field,
                           width=max(terminal_width(), 140))
    if picture:
        from cnnscope.vis import rf_overlay

        write_picture(rf_overlay.draw(image, field.box, field.gradient, field.squares,
                                      rf_table.unit_title(report, field), field.centre), args.output)
        emit(text)
    else:
        emit(text, args.output)
    return 0


def _probe_unit(args, report, unit):
    """Real weights (random or --weights), inputs (the image or random noise), one unit's fields."""
    import torch

    from cnnscope.cli.common import first_input_shape, real_model
    from cnnscope.cli.output import status
    from cnnscope.errors import UsageError
    from cnnscope.probes.effective_field import default_layer, probe
    from cnnscope.vis.images import open_image, to_input

    if not isinstance(report.input_shape[0], int) and len(report.input_shape) > 1:
        raise UsageError(_("--unit, --image, --empirical and a .png -o probe a model with one image input; {model} "
                           "takes {n} inputs (the table works without them)").format(
                             model=args.model, n=len(report.input_shape)))
    shape = first_input_shape(report)
    if len(shape) != 4:
        raise UsageError(_("drawing a field needs an image model with an N,C,H,W input"))
    loaded, _unused = real_model(args.model, args.seed, weights=args.weights)
    _unused, channels, height, width = shape
    if args.image:
        mean, std = loaded.normalization or (None, None)
        inputs, image = to_input(open_image(args.image), channels, (height, width), mean, std)
    else:
        from PIL import Image

        inputs = torch.randn((args.samples, channels, height, width),
                             generator=torch.Generator().manual_seed(args.seed))
        image = Image.new("RGB", (width, height), (128, 128, 128))
    layer = args.layer or default_layer(report)
    with status(_("measuring the effective field of {layer}").format(layer=layer)):
        field = probe(loaded.module, report, layer, inputs, unit, empirical=True)
    return field, image
