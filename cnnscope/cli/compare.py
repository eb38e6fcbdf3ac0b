"""``cnnscope compare`` and ``cnnscope kernels``: architectures side by side, and the ways to reach
one receptive field; reports in HTML, Markdown, JSON or CSV."""

from __future__ import annotations

from cnnscope.cli.common import add_format, add_input, add_output, add_seed, input_shapes
from cnnscope.cli.output import emit, note, say


def add_parser(subparsers) -> None:
    compare = subparsers.add_parser("compare", help="architectures side by side; reports in HTML/MD/JSON/CSV")
    compare.add_argument("models", nargs="+", metavar="MODEL", help="two or more zoo names, specs or file.py:Name")
    add_input(compare, "C,H,W or N,C,H,W for every model (default: each one's own)")
    compare.add_argument("--latency", action="store_true", help="measure forward latency (median after warm-up)")
    compare.add_argument("--device", default="cpu", help="for latency and training: auto, cpu or cuda (default cpu)")
    _train_options(compare)
    add_output(compare, "report.html, .md, .json or .csv (default: a table)")

    kernels = subparsers.add_parser("kernels", help="reaching one receptive field: k×k against 3×3 stacks, "
                                    "factorised and dilated convolutions")
    kernels.add_argument("--rf", type=int, default=7, help="the target field (odd, default 7)")
    kernels.add_argument("--channels", type=int, default=64, help="C in and out of every conv (default 64)")
    kernels.add_argument("--size", type=int, default=56, help="input height and width (default 56)")
    kernels.add_argument("--latency", action="store_true", help="measure each variant's forward latency")
    kernels.add_argument("--device", default="cpu", help="for latency and training: auto, cpu or cuda")
    _train_options(kernels)
    add_format(kernels, ("table", "json"))
    add_output(kernels, "report.html, .md, .json or .csv")


def _train_options(parser) -> None:
    parser.add_argument("--train", action="store_true", help="also train each one briefly and overlay the losses")
    parser.add_argument("--dataset", default="digits", help="data set for --train (default: the embedded digits)")
    parser.add_argument("--data-root", metavar="DIR", help="where local MNIST/CIFAR files lie")
    parser.add_argument("--epochs", type=int, default=2, help="epochs for --train (default 2)")
    parser.add_argument("--max-steps", type=int, metavar="N", help="stop each run after N steps (quick checks)")
    add_seed(parser)


def run(args) -> int:
    return {"compare": _compare, "kernels": _kernels}[args.command](args)


def _compare(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import CnnscopeError, UsageError
    from cnnscope.export import report as report_io
    from cnnscope.studies.compare import compare_reports

    if len(args.models) < 2:
        raise UsageError("compare needs at least two models")
    if args.output:
        report_io.check_output_path(args.output)
    shapes = input_shapes(args)
    reports = []
    for model in args.models:
        try:
            reports.append(analyze(model, shapes))
        except CnnscopeError as error:
            raise type(error)(f"{model}: {error}") from error
    comparison = compare_reports(reports)
    if args.latency:
        from cnnscope.studies.compare import measure_latencies

        measure_latencies(comparison, args.models, args.device, args.seed)
    if args.train:
        comparison.set_training(_train_each(args, [(m, None) for m in args.models]))
    if not args.output:
        from cnnscope.export.comparison_report import comparison_text

        emit(comparison_text(comparison))
        return 0
    from cnnscope.export.comparison_report import comparison_report
    from cnnscope.vis.charts import comparison_figures

    device = args.device if (args.latency or args.train) else "meta (analysis)"
    _wrote(report_io.write(comparison_report(comparison, device, comparison_figures(comparison)), args.output))
    return 0


def _train_each(args, models) -> dict:
    """name -> history dict; ``models`` pairs a source (or name) with a ready module (or None)."""
    from cnnscope.studies.training_runs import train_for_comparison

    histories = {}
    for name, module in models:
        note(f"training {name} on {args.dataset} ...")
        histories[name] = train_for_comparison(name if module is None else module, dataset=args.dataset,
                                               data_root=args.data_root, epochs=args.epochs, seed=args.seed,
                                               device=args.device, max_steps=args.max_steps)
    return histories


def _wrote(paths) -> None:
    say("wrote " + ", ".join(str(p) for p in paths))


def _kernels(args) -> int:
    import json

    from cnnscope.export import report as report_io
    from cnnscope.export.comparison_report import kernel_report, report_text
    from cnnscope.studies.kernel_study import findings, study

    if args.output:
        report_io.check_output_path(args.output)
    variants = study(args.rf, args.channels, args.size, latency=args.latency, device=args.device)
    histories = None
    if args.train:
        from cnnscope.studies.training_runs import kernel_classifier

        histories = _train_each(args, [(v.kind, kernel_classifier(v.kind, args.rf, args.channels, args.dataset,
                                                                   args.data_root)) for v in variants])
    report = kernel_report(variants, findings(variants, args.rf, args.channels), args.rf, args.channels, args.size,
                           args.device, histories=histories)
    if args.output:
        from cnnscope.vis.charts import kernel_figures

        report.figures = kernel_figures(variants, histories)
        _wrote(report_io.write(report, args.output))
    elif args.format == "json":
        emit(json.dumps(report.data, indent=2) + "\n")
    else:
        emit(report_text(report))
    return 0
