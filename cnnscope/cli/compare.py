"""``cnnscope compare`` and ``cnnscope kernels``: architectures side by side, and the ways to reach
one receptive field; reports in HTML, Markdown, JSON or CSV."""

from __future__ import annotations

from cnnscope.cli.common import (add_format, add_input, add_output, add_seed, input_shapes, output_format,
                                 passive_openmp)
from cnnscope.cli.output import emit, note, say
from cnnscope.export.formats import DOCUMENT_SUFFIXES, TABLE_OR_JSON


def add_parser(subparsers) -> None:
    compare = subparsers.add_parser("compare", help="architectures side by side; reports in HTML/MD/JSON/CSV")
    compare.add_argument("models", nargs="+", metavar="MODEL", help="two or more zoo names, specs or file.py:Name")
    add_input(compare, "C,H,W or N,C,H,W for every model (default: each one's own)")
    compare.add_argument("--latency", action="store_true", help="measure forward latency (median after warm-up)")
    compare.add_argument("--device", default="cpu", help="for latency and training: auto, cpu or cuda (default cpu)")
    _train_options(compare)
    add_output(compare, "report.html, .md, .json or .csv (default: a table)")

    kernels = subparsers.add_parser("kernels", help="reaching one receptive field: k×k against 3×3 stacks, "
                                    "factorised and dilated convolutions; --train runs the experiment")
    kernels.add_argument("--rf", type=int, default=7, help="the target field (odd, default 7)")
    kernels.add_argument("--channels", type=int, help="C in and out of every conv (default 64; 32 with --train)")
    kernels.add_argument("--size", type=int, default=56, help="input height and width of the analysis without "
                         "--train (default 56)")
    kernels.add_argument("--variant", action="append", default=[], metavar="NAME=SPEC",
                         help="add a variant: a one-line spec or spec file mapping C channels to C at the same size "
                         "whose field is --rf, e.g. 5then3=c5-32psnb,relu,c3-32psnb,relu (repeatable)")
    kernels.add_argument("--latency", action="store_true", help="measure each variant's forward latency")
    kernels.add_argument("--device", default="cpu", help="for latency and training: auto, cpu or cuda")
    kernels.add_argument("--train", action="store_true",
                         help="run the experiment: train every variant in the same classifier over several seeds "
                         "and judge the difference")
    kernels.add_argument("--dataset", default="digits", help="data set for --train (default: the embedded digits)")
    kernels.add_argument("--data-root", metavar="DIR", help="where local MNIST/CIFAR files lie")
    kernels.add_argument("--input-size", type=int, help="training input height and width (default 8, the digits' "
                         "own size)")
    kernels.add_argument("--epochs", type=int, help="epochs per run (default 30)")
    kernels.add_argument("--lr", type=float, help="Adam's learning rate (default 0.003)")
    kernels.add_argument("--batch-size", type=int, help="batch size (default 32)")
    kernels.add_argument("--seeds", type=int, help="runs per variant, seeds --seed … --seed+N−1 (default 3); each "
                         "sets the initialisation, the split and the shuffle")
    kernels.add_argument("--max-steps", type=int, metavar="N", help="stop each run after N steps (quick checks)")
    kernels.add_argument("--threads", type=int, metavar="N", help="CPU threads for --train (default 1: these nets "
                         "are tiny, and one thread was 3× faster than two on a busy 2-core machine)")
    add_seed(kernels, "the first seed (default 0)")
    add_format(kernels, TABLE_OR_JSON, default=None)
    add_output(kernels, "report.html, .md, .json or .csv")


def _train_options(parser) -> None:
    parser.add_argument("--train", action="store_true", help="also train each one briefly and overlay the losses")
    parser.add_argument("--dataset", default="digits", help="data set for --train (default: the embedded digits)")
    parser.add_argument("--data-root", metavar="DIR", help="where local MNIST/CIFAR files lie")
    parser.add_argument("--epochs", type=int, default=2, help="epochs for --train (default 2)")
    parser.add_argument("--max-steps", type=int, metavar="N", help="stop each run after N steps (quick checks)")
    add_seed(parser)


def run(args) -> int:
    _check_counts(args)
    if args.output:  # the suffix names the report's format, before any work
        output_format(args, DOCUMENT_SUFFIXES, default=None)
    return {"compare": _compare, "kernels": _kernels}[args.command](args)


def _check_counts(args) -> None:
    """--epochs and --max-steps below 1 are usage errors, before any work (bad-input suite)."""
    from cnnscope.errors import UsageError

    for option, value in (("--epochs", getattr(args, "epochs", None)), ("--max-steps", getattr(args, "max_steps", None))):
        if value is not None and value < 1:
            raise UsageError(f"{option} {value}: must be at least 1")


def _compare(args) -> int:
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import CnnscopeError, UsageError, prefixed
    from cnnscope.export import report as report_io
    from cnnscope.studies.compare import compare_reports

    if len(args.models) < 2:
        raise UsageError("compare needs at least two models")
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
    from cnnscope.export.kernels import kernel_report, report_text
    from cnnscope.studies.kernel_study import findings, parse_user_variant, study

    user = dict(parse_user_variant(text) for text in args.variant)
    if len(user) != len(args.variant):
        from cnnscope.errors import UsageError

        raise UsageError("--variant: each name once")
    if args.train:
        return _kernel_experiment(args, user)
    _training_only(args)
    channels = 64 if args.channels is None else args.channels
    variants = study(args.rf, channels, args.size, latency=args.latency, device=args.device, extra=user)
    report = kernel_report(variants, findings(variants, args.rf, channels), args.rf, channels, args.size,
                           args.device)
    if args.output:
        from cnnscope.vis.charts import kernel_figures

        report.figures = kernel_figures(variants)
        _wrote(report_io.write(report, args.output))
    elif args.format == "json":
        emit(json.dumps(report.data, indent=2) + "\n")
    else:
        emit(report_text(report))
    return 0


def _training_only(args) -> None:
    """Options that only mean something with --train are refused without it (one line)."""
    from cnnscope.errors import UsageError

    given = [flag for flag, value in (("--input-size", args.input_size), ("--epochs", args.epochs),
                                      ("--lr", args.lr), ("--batch-size", args.batch_size), ("--seeds", args.seeds),
                                      ("--max-steps", args.max_steps), ("--threads", args.threads))
             if value is not None]
    if given:
        raise UsageError(f"{', '.join(given)}: only with --train")


def _kernel_experiment(args, user: dict) -> int:
    """``kernels --train``: the experiment, its terminal summary, JSON or report."""
    import json

    from cnnscope.export import report as report_io
    from cnnscope.export.kernels import experiment_report, experiment_text
    from cnnscope.studies import kernel_experiment as ke
    from cnnscope.studies.kernel_study import findings

    passive_openmp()
    seeds = ke.DEFAULT_SEEDS if args.seeds is None else args.seeds
    if seeds < 1:
        from cnnscope.errors import UsageError

        raise UsageError(f"--seeds {seeds}: the experiment needs at least one seed (3 or more to judge the spread)")
    settings = ke.Settings(
        rf=args.rf, channels=ke.DEFAULT_CHANNELS if args.channels is None else args.channels,
        input_size=ke.DEFAULT_INPUT_SIZE if args.input_size is None else args.input_size,
        epochs=ke.DEFAULT_EPOCHS if args.epochs is None else args.epochs,
        lr=ke.DEFAULT_LR if args.lr is None else args.lr, seeds=tuple(range(args.seed, args.seed + seeds)),
        batch_size=ke.DEFAULT_BATCH if args.batch_size is None else args.batch_size, dataset=args.dataset,
        data_root=args.data_root, device=args.device, max_steps=args.max_steps,
        threads=1 if args.threads is None else args.threads)
    settings.check()
    if args.latency:
        note("note: --latency is not measured with --train")

    def on_run(kind, seed, run) -> None:
        from cnnscope.units import percent

        note(f"{kind} seed {seed}: val acc {percent(run.final_val_acc)}, train loss {run.final_train_loss:.3f}, "
             f"{run.seconds:.1f} s" + ("" if run.converged else " (not converged)"))

    experiment = ke.run_experiment(settings, user, on_run=on_run)
    lines = findings(experiment.variants, settings.rf, settings.channels)
    if args.output:
        from cnnscope.vis.kernel_charts import experiment_figures

        report = experiment_report(experiment, lines, experiment_figures(experiment))
        _wrote(report_io.write(report, args.output))
    elif args.format == "json":
        data = experiment_report(experiment, lines).data
        emit(json.dumps(data, indent=2) + "\n")
    else:
        emit(experiment_text(experiment, lines))
    return 0
