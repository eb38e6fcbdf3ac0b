"""``cnnscope kernels``: the ways to reach one receptive field, and with ``--train`` the experiment
that trains them over seeds and judges the difference; reports in HTML, Markdown, JSON or CSV."""

from __future__ import annotations

from cnnscope.cli.common import add_format, add_output, add_seed, check_study_args, passive_openmp
from cnnscope.cli.output import emit, note, say
from cnnscope.export.formats import TABLE_OR_JSON
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    kernels = subparsers.add_parser("kernels", help=_("reaching one receptive field: k×k against 3×3 stacks, "
                                                      "factorised and dilated convolutions; --train runs the "
                                                      "experiment"))
    kernels.add_argument("--rf", type=int, default=7, help=_("the target field (odd, default 7)"))
    kernels.add_argument("--channels", type=int, help=_("C in and out of every conv (default 64; 32 with --train)"))
    kernels.add_argument("--size", type=int, default=56, help=_("input height and width of the analysis without "
                                                                "--train (default 56)"))
    kernels.add_argument("--variant", action="append", default=[], metavar="NAME=SPEC",
                         help=_("add a variant: a one-line spec or spec file mapping C channels to C at the same "
                                "size whose field is --rf, e.g. 5then3=c5-32psnb,relu,c3-32psnb,relu (repeatable)"))
    kernels.add_argument("--latency", action="store_true", help=_("measure each variant's forward latency"))
    kernels.add_argument("--device", default="cpu", help=_("for latency and training: auto, cpu or cuda"))
    kernels.add_argument("--train", action="store_true",
                         help=_("run the experiment: train every variant in the same classifier over several seeds "
                                "and judge the difference"))
    kernels.add_argument("--dataset", default="digits", help=_("data set for --train (default: the embedded digits)"))
    kernels.add_argument("--data-root", metavar="DIR", help=_("where local MNIST/CIFAR files lie"))
    kernels.add_argument("--input-size", type=int, help=_("training input height and width (default 8, the digits' "
                                                          "own size)"))
    kernels.add_argument("--epochs", type=int, help=_("epochs per run (default 30)"))
    kernels.add_argument("--lr", type=float, help=_("Adam's learning rate (default 0.003)"))
    kernels.add_argument("--batch-size", type=int, help=_("batch size (default 32)"))
    kernels.add_argument("--seeds", type=int, help=_("runs per variant, seeds --seed … --seed+N−1 (default 3); "
                                                     "each sets the initialisation, the split and the shuffle"))
    kernels.add_argument("--max-steps", type=int, metavar="N", help=_("stop each run after N steps (quick checks)"))
    kernels.add_argument("--threads", type=int, metavar="N", help=_("CPU threads for --train (default 1: these "
                                                                    "nets are tiny, and one thread was 3× faster "
                                                                    "than two on a busy 2-core machine)"))
    add_seed(kernels, _("the first seed (default 0)"))
    add_format(kernels, TABLE_OR_JSON, default=None)
    add_output(kernels, _("report.html, .md, .json or .csv"))


def run(args) -> int:
    check_study_args(args)
    user = _user_variants(args.variant)
    if args.train:
        return _experiment(args, user)
    _training_only(args)
    return _study(args, user)


def _user_variants(texts: list[str]) -> dict[str, str]:
    from cnnscope.errors import UsageError
    from cnnscope.studies.kernels.variants import parse_user_variant

    user = dict(parse_user_variant(text) for text in texts)
    if len(user) != len(texts):
        raise UsageError(_("--variant: each name once"))
    return user


def _training_only(args) -> None:
    """Options that only mean something with --train are refused without it (one line)."""
    from cnnscope.errors import UsageError

    given = [flag for flag, value in (("--input-size", args.input_size), ("--epochs", args.epochs),
                                      ("--lr", args.lr), ("--batch-size", args.batch_size), ("--seeds", args.seeds),
                                      ("--max-steps", args.max_steps), ("--threads", args.threads))
             if value is not None]
    if given:
        raise UsageError(_("{given}: only with --train").format(given=', '.join(given)))


def _wrote(paths) -> None:
    say(_("wrote {files}").format(files=", ".join(str(p) for p in paths)))


def _study(args, user: dict) -> int:
    """``kernels`` without --train: the variants' geometry, table and findings."""
    import json

    from cnnscope.export.document import write as write_document
    from cnnscope.export.kernels import findings, kernel_report, report_text
    from cnnscope.studies.kernels.variants import study

    channels = 64 if args.channels is None else args.channels
    variants = study(args.rf, channels, args.size, latency=args.latency, device=args.device, extra=user)
    report = kernel_report(variants, findings(variants, args.rf, channels), args.rf, channels, args.size,
                           args.device)
    if args.output:
        from cnnscope.vis.kernel_charts import kernel_figures

        report.figures = kernel_figures(variants)
        _wrote(write_document(report, args.output))
    elif args.format == "json":
        emit(json.dumps(report.data, indent=2) + "\n")
    else:
        emit(report_text(report))
    return 0


def _experiment(args, user: dict) -> int:
    """``kernels --train``: the experiment, its terminal summary, JSON or report."""
    import json

    from cnnscope.export.document import write as write_document
    from cnnscope.export.kernels import experiment_data, experiment_report, experiment_text, findings
    from cnnscope.studies.kernels import experiment as ke

    passive_openmp()
    seeds = ke.DEFAULT_SEEDS if args.seeds is None else args.seeds
    if seeds < 1:
        from cnnscope.errors import UsageError

        raise UsageError(_("--seeds {seeds}: the experiment needs at least one seed (3 or more to judge the spread)").format(
                             seeds=seeds))
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
        note(_("note: --latency is not measured with --train"))

    def on_run(kind, seed, run) -> None:
        from cnnscope.units import percent

        line = _("{kind} seed {seed}: val acc {accuracy}, train loss {loss:.3f}, {seconds:.1f} s").format(
            kind=kind, seed=seed, accuracy=percent(run.final_val_acc), loss=run.final_train_loss, seconds=run.seconds)
        note(line if run.converged else _("{line} (not converged)").format(line=line))

    experiment = ke.run_experiment(settings, user, on_run=on_run)
    lines = findings(experiment.variants, settings.rf, settings.channels)
    if args.output:
        from cnnscope.vis.kernel_charts import experiment_figures

        report = experiment_report(experiment, lines, experiment_figures(experiment))
        _wrote(write_document(report, args.output))
    elif args.format == "json":
        emit(json.dumps(experiment_data(experiment, lines), indent=2) + "\n")
    else:
        emit(experiment_text(experiment, lines))
    return 0
