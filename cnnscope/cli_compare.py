"""``cnnscope compare`` and ``cnnscope kernels``: thin commands over analysis/compare and kernel_study."""

from __future__ import annotations

import sys


def add_parsers(commands, formats) -> None:
    compare = commands.add_parser("compare", help="architectures side by side; reports in HTML/MD/JSON/CSV")
    compare.add_argument("models", nargs="+", metavar="MODEL", help="two or more zoo names, specs or file.py:Name")
    compare.add_argument("--input", metavar="SHAPE", help="C,H,W or N,C,H,W for every model (default: each one's own)")
    compare.add_argument("--latency", action="store_true", help="measure forward latency (median after warm-up)")
    compare.add_argument("--device", default="cpu", help="for latency and training: auto, cpu or cuda (default cpu)")
    _train_options(compare)
    compare.add_argument("-o", "--output", metavar="FILE", help="report.html, .md, .json or .csv (default: a table)")

    kernels = commands.add_parser("kernels", help="reaching one receptive field: k×k against 3×3 stacks, "
                                  "factorised and dilated convolutions")
    kernels.add_argument("--rf", type=int, default=7, help="the target field (odd, default 7)")
    kernels.add_argument("--channels", type=int, default=64, help="C in and out of every conv (default 64)")
    kernels.add_argument("--size", type=int, default=56, help="input height and width (default 56)")
    kernels.add_argument("--latency", action="store_true", help="measure each variant's forward latency")
    kernels.add_argument("--device", default="cpu", help="for latency and training: auto, cpu or cuda")
    _train_options(kernels)
    kernels.add_argument("--format", choices=("table", "json"), default="table")
    kernels.add_argument("-o", "--output", metavar="FILE", help="report.html, .md, .json or .csv")


def _train_options(parser) -> None:
    parser.add_argument("--train", action="store_true", help="also train each one briefly and overlay the losses")
    parser.add_argument("--dataset", default="digits", help="data set for --train (default: the embedded digits)")
    parser.add_argument("--data-root", metavar="DIR", help="where local MNIST/CIFAR files lie")
    parser.add_argument("--epochs", type=int, default=2, help="epochs for --train (default 2)")
    parser.add_argument("--max-steps", type=int, metavar="N", help="stop each run after N steps (quick checks)")
    parser.add_argument("--seed", type=int, default=0)


def run_compare(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.studies.compare import compare_reports
    from cnnscope.cli import parse_input_shape
    from cnnscope.errors import CnnscopeError, UsageError
    from cnnscope.export import report as report_io

    if len(args.models) < 2:
        raise UsageError("compare needs at least two models")
    if args.output:
        report_io.check_output_path(args.output)
    shapes = parse_input_shape(args.input) if args.input else None
    reports = []
    for model in args.models:
        try:
            reports.append(analyze(model, shapes))
        except CnnscopeError as error:
            raise type(error)(f"{model}: {error}") from error
    comparison = compare_reports(reports)
    if args.latency:
        _add_latency(args, comparison)
    if args.train:
        comparison.histories = _train_each(args, [(m, None) for m in args.models])
        _add_accuracy(comparison)
    if not args.output:
        sys.stdout.write(_table_text(comparison))
        return 0
    from cnnscope.export.comparison_report import comparison_report
    from cnnscope.vis.charts import comparison_figures

    device = args.device if (args.latency or args.train) else "meta (analysis)"
    written = report_io.write(comparison_report(comparison, device, comparison_figures(comparison)), args.output)
    sys.stdout.write("wrote " + ", ".join(str(p) for p in written) + "\n")
    return 0


def _add_latency(args, comparison) -> None:
    import dataclasses

    import torch

    from cnnscope.probes.latency import measure, resolve_device
    from cnnscope.sources import load_model

    device = resolve_device(args.device)
    for k, (model, report) in enumerate(zip(args.models, comparison.reports)):
        torch.manual_seed(args.seed)
        shape = report.input_shape if isinstance(report.input_shape[0], int) else report.input_shape[0]
        module = load_model(model, device="cpu", input_shape=tuple(shape[1:])).module
        ms = measure(module, shape, str(device))
        comparison.rows[k] = dataclasses.replace(comparison.rows[k], latency_ms=ms, latency_batch=shape[0],
                                                 latency_device=str(device))


def _add_accuracy(comparison) -> None:
    import dataclasses

    for k, row in enumerate(comparison.rows):
        history = comparison.histories.get(row.model)
        if history and history.get("epochs"):
            comparison.rows[k] = dataclasses.replace(row, final_val_acc=history["epochs"][-1].get("val_acc"))


def _train_each(args, models) -> dict:
    """name -> history dict; ``models`` pairs a source (or name) with a ready module (or None)."""
    from cnnscope.studies.training_runs import train_for_comparison

    histories = {}
    for name, module in models:
        sys.stderr.write(f"training {name} on {args.dataset} ...\n")
        histories[name] = train_for_comparison(name if module is None else module, dataset=args.dataset,
                                               data_root=args.data_root, epochs=args.epochs, seed=args.seed,
                                               device=args.device, max_steps=args.max_steps)
    return histories


def _table_text(comparison) -> str:
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table

    from cnnscope.export.comparison_report import COMPARE_COLUMNS, _drop_empty, compare_table_rows, transposed

    columns, rows = transposed(*_drop_empty(COMPARE_COLUMNS, compare_table_rows(comparison)))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for k, column in enumerate(columns):
        table.add_column(column, justify="left" if k == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=200, color_system=None, highlight=False)
    console.print(table)
    return console.file.getvalue()


def run_kernels(args) -> int:
    import json

    from cnnscope.studies.kernel_study import findings, study
    from cnnscope.export import report as report_io
    from cnnscope.export.comparison_report import kernel_report

    if args.output:
        report_io.check_output_path(args.output)
    variants = study(args.rf, args.channels, args.size, latency=args.latency, device=args.device)
    lines = findings(variants, args.rf, args.channels)
    histories = None
    if args.train:
        from cnnscope.studies.training_runs import kernel_classifier

        histories = _train_each(args, [(v.kind, kernel_classifier(v.kind, args.rf, args.channels, args.dataset,
                                                                   args.data_root)) for v in variants])
    report = kernel_report(variants, lines, args.rf, args.channels, args.size, args.device, histories=histories)
    if args.output:
        from cnnscope.vis.charts import kernel_figures

        report.figures = kernel_figures(variants, histories)
        written = report_io.write(report, args.output)
        sys.stdout.write("wrote " + ", ".join(str(p) for p in written) + "\n")
        return 0
    if args.format == "json":
        sys.stdout.write(json.dumps(report.data, indent=2) + "\n")
        return 0
    table = report.tables[0]
    widths = [max(len(str(c)) for c in [col, *[row[k] for row in table.rows]]) for k, col in enumerate(table.columns)]
    out = [f"{report.title}", "", "  ".join(c.ljust(w) for c, w in zip(table.columns, widths))]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in table.rows]
    out += ["", *[f"- {line}" for line in lines]]
    sys.stdout.write("\n".join(out) + "\n")
    return 0
