"""``cnnscope summary``: per-layer shapes, parameters, MACs and memory, in any format."""

from __future__ import annotations

from pathlib import Path

from cnnscope.cli.common import (SOURCE_HELP, add_format, add_input, add_model, add_output, add_weights, input_shapes,
                                 output_format)
from cnnscope.cli.output import emit, say, terminal_width
from cnnscope.errors import UsageError
from cnnscope.export.formats import SUMMARY_FORMATS, SUMMARY_SUFFIXES
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    summary = subparsers.add_parser("summary", help=_("per-layer shapes, parameters, MACs and memory"))
    add_model(summary, _("{source_help} such as 'in1x28x28,c5-6p2,tanh,ap2,flat,fc10'").format(
        source_help=_(SOURCE_HELP)))
    add_input(summary, _("C,H,W or N,C,H,W (several inputs: separate with ';'); default: the model's natural input"))
    summary.add_argument("--depth", type=int, metavar="N",
                         help=_("show rows down to this nesting depth (default 3, and every row in an .html/.md "
                                "report; 0 shows totals only)"))
    summary.add_argument("--all", action="store_true", help=_("show every row, whatever the depth"))
    summary.add_argument("--columns", metavar="LIST",
                         help=_("table columns, comma-separated: "
                                "name,type,kind,input,output,kernel,stride,padding,params,params%%,trainable,macs,macs%%,flops,other,memory,rf,jump,start "
                                "(default name,type,output,params,macs,macs%%,rf)"))
    summary.add_argument("--input-dtype", metavar="DTYPE",
                         help=_("the inputs' dtype, or one per input separated by ';' (int64 for token ids; "
                                "float16, bfloat16, ...); default: the model's parameter dtype"))
    summary.add_argument("--mode", choices=("eval", "train"), default="eval",
                         help=_("trace in eval mode (default) or training mode: dropout and batch statistics "
                                "active, auxiliary heads called (at the natural input, a batch of 2 where batch "
                                "norm would see one value per channel)"))
    summary.add_argument("--by-operator", action="store_true",
                         help=_("add MACs per ATen operator under the totals (always in --format json)"))
    summary.add_argument("--measure", action="store_true",
                         help=_("also run the model for real (random weights, seeded) and show the measured peak "
                                "memory of a forward and of a forward+backward beside the estimate"))
    summary.add_argument("--measure-device", choices=("cpu", "cuda", "auto"), default="cpu",
                         help=_("where --measure runs (default cpu; auto: cuda when there is a GPU)"))
    add_format(summary, SUMMARY_FORMATS, default=None)
    add_weights(summary, _("a state_dict or checkpoint to check against the model (loaded with weights_only=True)"))
    add_output(summary, _("write to FILE instead of standard output, in the format its suffix names: .html or .md "
                          "(the model report: totals, every row, diagram, charts along the depth; .md writes its "
                          "pictures into FILE_charts/), .json, .csv or .txt (the table)"))


def run(args) -> int:
    from cnnscope import cache
    from cnnscope.export.summary import render
    from cnnscope.export.summary_rows import parse_columns

    if args.depth is not None and args.depth < 0:
        raise UsageError(_("--depth {depth}: must be 0 (totals only) or more").format(depth=args.depth))
    fmt = output_format(args, SUMMARY_SUFFIXES)  # before any work, as the column names
    columns = parse_columns(args.columns)
    dtypes = _input_dtypes(args.input_dtype)
    shapes = input_shapes(args)
    if args.weights or args.mode != "eval" or dtypes:  # the cache holds default-dtype, eval-mode reports
        report = _analyze(args, shapes, dtypes)
    else:
        from cnnscope.sources import is_zoo_name

        report = cache.cached_report(args.model, shapes, lambda: _analyze(args, shapes), is_zoo_name)
    if args.measure:
        report = _measured(args.model, report, args.measure_device)
    if fmt == "html" or (fmt == "md" and args.output and Path(args.output).suffix.lower() == ".md"):
        _model_report(args, report, fmt, None if args.columns is None else columns)
        return 0
    depth = None if args.all else (3 if args.depth is None else args.depth)
    emit(render(report, fmt, depth, width=terminal_width(), columns=columns, by_operator=args.by_operator),
         args.output)
    return 0


def _model_report(args, report, fmt: str, columns) -> None:
    """The model report (every row unless --depth): HTML to -o or stdout; -o x.md with its pictures."""
    from cnnscope.export import model_document
    from cnnscope.export.document import write as write_document

    options = dict(depth=None if args.all else args.depth, columns=columns, images=_filters(args))
    if fmt == "html" and not (args.output and Path(args.output).suffix.lower() == ".html"):
        emit(model_document.render(report, "html", **options), args.output)
        return
    say(_("wrote {files}").format(files=", ".join(str(p) for p in write_document(model_document.document(report, **options), args.output))))


def _filters(args) -> list:
    """With --weights: the first conv layer's filters, as the report's picture (none without a conv)."""
    if not args.weights:
        return []
    from cnnscope.cli.common import real_model
    from cnnscope.cli.output import note
    from cnnscope.errors import CnnscopeError
    from cnnscope.export.model_document import first_layer_filters

    loaded, origin = real_model(args.model, 0, weights=args.weights)
    try:
        return [first_layer_filters(loaded.module.eval(), origin)]
    except CnnscopeError as error:
        note(_("note: the report shows no filters: {error}").format(error=error))
        return []


def _measured(source: str, report, device: str):
    """The report with ``measured`` filled in from a real pass of the model (built on the CPU, seed 0)."""
    import dataclasses

    from cnnscope.probes.memory import measure_report
    from cnnscope.sources import load_model

    chw = tuple(report.input_shape[1:]) if len(report.input_shape) == 4 else None
    loaded = load_model(source, device="cpu", input_shape=chw, seed=0)
    if loaded.input_format == "image_list":
        raise UsageError(_("--measure: {name} is called with a list of images; measuring supports models called "
                           "with tensors").format(name=loaded.name))
    return dataclasses.replace(report, measured=measure_report(loaded.module, report, device))


def _input_dtypes(text: str | None):
    if text is None:
        return None  # before any import: a cached summary must not import torch
    from cnnscope.analysis.analyze import parse_dtype

    parts = text.split(";")
    if not all(part.strip() for part in parts):
        raise UsageError(_("--input-dtype {text!r}: an empty dtype; give one such as int64, or one per input").format(
                             text=text))
    return [parse_dtype(part) for part in parts]


def _analyze(args, shapes, dtypes=None):
    from cnnscope.analysis.analyze import analyze
    from cnnscope.cli.common import check_weights
    from cnnscope.errors import ShapeError

    if args.weights:
        check_weights(args.model, args.weights)
    try:
        return analyze(args.model, shapes, mode=args.mode, input_dtype=dtypes)
    except ShapeError as error:
        if args.format in (None, "table") and not args.output:  # never mix a table into JSON/CSV or a file
            _print_partial(args.model, error)
        raise


def _print_partial(source: str, error) -> None:
    """The rows traced before a shape failure, so the user sees where the shapes went."""
    from cnnscope.analysis.analyze import partial_report
    from cnnscope.export.text import partial_table

    tracer = getattr(error, "partial", None)
    if tracer is None:
        return
    rows = partial_report(error, tracer.model, source)
    if any(r.depth >= 1 for r in rows):
        emit(partial_table(_("{source}: rows traced before the failure").format(source=source), rows,
                           terminal_width()))
