"""``cnnscope compare``: architectures side by side; reports in HTML, Markdown, JSON or CSV."""

from __future__ import annotations

from cnnscope.cli.common import add_input, add_output, add_seed, check_study_args, input_shapes
from cnnscope.cli.output import emit, note, say
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    compare = subparsers.add_parser("compare", help=_("architectures side by side; reports in HTML/MD/JSON/CSV"))
    compare.add_argument("models", nargs="+", metavar="MODEL", help=_("two or more zoo names, specs or file.py:Name"))
    add_input(compare, _("C,H,W or N,C,H,W for every model (default: each one's own)"))
    compare.add_argument("--latency", action="store_true", help=_("measure forward latency (median after warm-up)"))
    compare.add_argument("--device", default="cpu", help=_("for latency and training: auto, cpu or cuda (default cpu)"))
    _train_options(compare)
    add_output(compare, _("report.html, .md, .json or .csv (default: a table)"))


def _train_options(parser) -> None:
    parser.add_argument("--train", action="store_true", help=_("also train each one briefly and overlay the losses"))
    parser.add_argument("--dataset", default="digits", help=_("data set for --train (default: the embedded digits)"))
    parser.add_argument("--data-root", metavar="DIR", help=_("where local MNIST/CIFAR files lie"))
    parser.add_argument("--epochs", type=int, default=2, help=_("epochs for --train (default 2)"))
    parser.add_argument("--max-steps", type=int, metavar="N", help=_("stop each run after N steps (quick checks)"))
    add_seed(parser)


def run(args) -> int:
    check_study_args(args)
    return _compare(args)


def _compare(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import CnnscopeError, UsageError, prefixed
    from cnnscope.studies.compare import compare_reports

    if len(args.models) < 2:
        raise UsageError(_("compare needs at least two models"))
    shapes = input_shapes(args)
    reports = []
    for model in args.models:
        try:
            reports.append(analyze(model, shapes))
        except CnnscopeError as error:
            raise prefixed(error, model) from error
    comparison = compare_reports(reports)
    if args.latency:
        from cnnscope.studies.compare import measure_latencies

        measure_latencies(comparison, args.models, args.device, args.seed)
    if args.train:
        comparison.set_training(_train_each(args))
    if not args.output:
        from cnnscope.export.comparison_document import comparison_text

        emit(comparison_text(comparison))
        return 0
    from cnnscope.export import comparison_document
    from cnnscope.export.document import write as write_document
    from cnnscope.vis.charts import comparison_figures

    device = args.device if (args.latency or args.train) else "meta (analysis)"
    _wrote(write_document(comparison_document.document(comparison, device, comparison_figures(comparison)),
                          args.output))
    return 0


def _train_each(args) -> list:
    """(model, its TrainHistory) in the order given: every model on the same data, budget and seed."""
    from cnnscope.studies.training_runs import train_for_comparison

    runs = []
    for name in args.models:
        note(_("training {name} on {dataset} ...").format(name=name, dataset=args.dataset))
        runs.append((name, train_for_comparison(name, dataset=args.dataset, data_root=args.data_root,
                                                epochs=args.epochs, seed=args.seed, device=args.device,
                                                max_steps=args.max_steps)))
    return runs


def _wrote(paths) -> None:
    say(_("wrote {files}").format(files=", ".join(str(p) for p in paths)))
