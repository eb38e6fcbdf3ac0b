"""``cnnscope summary``: per-layer shapes, parameters, MACs and memory, in any format."""

from __future__ import annotations

from cnnscope.cli.common import SOURCE_HELP, add_format, add_input, add_model, add_output, add_weights, input_shapes
from cnnscope.cli.output import emit, terminal_width


def add_parser(subparsers) -> None:
    summary = subparsers.add_parser("summary", help="per-layer shapes, parameters, MACs and memory")
    add_model(summary, SOURCE_HELP + " such as 'in1x28x28,c5-6p2,tanh,ap2,flat,fc10'")
    add_input(summary, "C,H,W or N,C,H,W (several inputs: separate with ';'); default: the model's natural input")
    summary.add_argument("--depth", type=int, default=3, metavar="N",
                         help="show rows down to this nesting depth (default 3; 0 shows totals only)")
    summary.add_argument("--all", action="store_true", help="show every row, whatever the depth")
    add_format(summary)
    add_weights(summary, "a state_dict or checkpoint to check against the model (loaded with weights_only=True)")
    add_output(summary, "write to FILE instead of standard output")


def run(args) -> int:
    from cnnscope import cache
    from cnnscope.export.summary import render

    shapes = input_shapes(args)
    if args.weights:
        report = _analyze(args, shapes)
    else:
        report = cache.cached_report(args.model, shapes, lambda: _analyze(args, shapes))
    emit(render(report, args.format, None if args.all else args.depth, width=terminal_width()), args.output)
    return 0


def _analyze(args, shapes):
    from cnnscope.analysis.analyze import analyze
    from cnnscope.cli.common import check_weights
    from cnnscope.errors import ShapeError

    if args.weights:
        check_weights(args.model, args.weights)
    try:
        return analyze(args.model, shapes)
    except ShapeError as error:
        if args.format == "table" and not args.output:  # never mix a table into JSON/CSV or a file
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
        emit(partial_table(f"{source}: rows traced before the failure", rows, terminal_width()))
