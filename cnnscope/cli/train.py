"""``cnnscope train``: a quick training run with live progress and loss curves on disk.

Progress goes to stderr (``cli/progress.py``: a rich bar on a terminal, a plain line per epoch
otherwise), the final summary to stdout, errors as one line.
"""

from __future__ import annotations

import argparse
import os
import sys

from cnnscope.cli.common import SOURCE_HELP, add_model, add_seed, passive_openmp
from cnnscope.cli.output import emit
from cnnscope.i18n import N_, _

DATASET_HELP = N_("digits (default: scikit-learn's 1,797 handwritten 8×8 digits, no download), mnist, "
                  "fashion-mnist, cifar10 (from --data-root), or folder:PATH (one sub-folder of images per class)")


def add_parser(subparsers):
    train = subparsers.add_parser(
        "train", help=_("train a model briefly on a small data set, with live progress and loss curves"),
        description=_("Train MODEL (random initialisation, seeded) on a data set and write history.json, "
                      "history.csv, model.pt, loss.html and loss.png to --out. Images are adapted to the model's "
                      "input (resized, grayscale↔RGB, normalised); a final Linear layer whose width differs from "
                      "the data set's class count is replaced."))
    add_model(train, SOURCE_HELP)
    train.add_argument("--dataset", default="digits", metavar="NAME", help=_(DATASET_HELP))
    train.add_argument("--data-root", metavar="DIR", help=_("where mnist/fashion-mnist/cifar10 live, as "
                                                            "torchvision lays them out (DIR/MNIST/raw/..., "
                                                            "DIR/cifar-10-batches-py/...); default ./data"))
    train.add_argument("--download", action="store_true", help=_("download mnist/fashion-mnist/cifar10 into "
                                                                 "--data-root when the files are missing"))
    _number(train, "--epochs", int, 10, "N", _("passes over the training split (default 10)"))
    _number(train, "--batch-size", int, 32, "B", _("images per step (default 32)"))
    _number(train, "--lr", float, None, "LR", _("learning rate (default 0.001 for adam/adamw, 0.01 for sgd)"))
    train.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="adam", help=_("default adam"))
    _number(train, "--momentum", float, 0.9, "M", _("SGD momentum (default 0.9)"))
    _number(train, "--weight-decay", float, None, "WD", _("default 0 (adamw: 0.01)"))
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                       help=_("auto: cuda when PyTorch sees a GPU, else cpu (default auto)"))
    add_seed(train, _("seeds the initial weights, the validation split and the shuffling; CPU runs with one seed "
                      "are bit-identical (default 0)"), metavar="S")
    _number(train, "--val-split", float, 0.2, "F", _("fraction of the training images held out for validation, 0 "
                                                     "for none (default 0.2)"))
    _number(train, "--threads", int, None, "N", _("CPU threads for PyTorch (default: PyTorch's choice, one per "
                                                  "core); 1 is often faster on a busy machine; runs are "
                                                  "bit-identical for the same seed and thread count"))
    train.add_argument("--amp", choices=("auto", "off", "bf16"), default="auto",
                       help=_("bf16 autocast; auto: on a CUDA GPU that supports bf16, off on the CPU (default auto)"))
    train.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                       help=_("channels_last memory format for the model and the batches (default: on for "
                              "convolutional nets on CUDA, off on the CPU, where it measured slower)"))
    train.add_argument("--compile", action="store_true", help=_("run the model through torch.compile (slow to "
                                                                "start; pays off only for long runs, mostly on a "
                                                                "GPU)"))
    train.add_argument("--out", required=True, metavar="DIR", help=_("the folder to write the run's files to "
                                                                     "(created if missing; its files are replaced)"))
    return train


def _number(parser, option: str, kind, default, metavar: str, help: str) -> None:
    parser.add_argument(option, type=kind, default=default, metavar=metavar, help=help)


def run(args) -> int:
    import time
    from pathlib import Path

    from cnnscope.errors import UsageError

    passive_openmp()
    _check_numbers(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(_("--out {out}: exists and is not a folder").format(out=out))

    from cnnscope.cli.progress import training_progress
    from cnnscope.export.training_text import run_summary
    from cnnscope.files import make_folder
    from cnnscope.train import (TrainingDiverged, TrainingFailed, TrainingInterrupted, prepare_run, quick_train,
                                resolve_device)
    from cnnscope.train.run_folder import write_checkpoint, write_history

    device = resolve_device(args.device)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    prepared = prepare_run(args.model, args.dataset, data_root=args.data_root, download=args.download,
                           val_split=args.val_split, seed=args.seed)
    make_folder(out)  # a one-line "cannot write" error on a read-only place
    config = {**prepared.config, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}
    model = prepared.model
    progress = training_progress(args.epochs)
    for text in prepared.notes:
        progress.note(text)

    def on_epoch(record, history):
        progress.epoch(record, history)
        write_history(out, history)
        write_checkpoint(out, model, history)

    started = time.perf_counter()
    try:
        with progress:
            history = quick_train(
                model, prepared.data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                optimizer=args.optimizer, momentum=args.momentum, weight_decay=args.weight_decay,
                device=device, seed=args.seed, amp=None if args.amp == "off" else args.amp,
                channels_last=args.channels_last, on_step=progress.step, on_epoch=on_epoch, config=config,
                compile=args.compile)
    except TrainingDiverged as diverged:
        _write_all(out, model, diverged.history)  # the model holds its last good weights
        raise TrainingDiverged(f"{diverged} in {out}/", diverged.history) from None
    except TrainingFailed as failed:
        _write_all(out, model, failed.history)
        raise TrainingFailed(f"{failed} in {out}/", failed.history) from failed.__cause__
    except TrainingInterrupted as interrupted:
        _write_all(out, model, interrupted.history)
        sys.stderr.write(f"cnnscope: {interrupted.history.message} in {out}/\n")
        return 130
    seconds = time.perf_counter() - started  # the training itself; writing the pictures comes after
    _write_all(out, model, history)
    emit(run_summary(history, seconds, out))
    return 0


def _write_all(out, model, history) -> None:
    """Every file of the run folder, with the loss curves drawn here (the core draws nothing)."""
    from cnnscope.train.run_folder import write_all
    from cnnscope.vis.training_curves import loss_html, loss_png

    write_all(out, model, history, loss_html(history), loss_png(history))


def _check_numbers(args) -> None:
    from cnnscope.errors import UsageError

    at_least_1 = _("{option} {value}: must be at least 1")
    below_1 = _("{option} {value}: must be at least 0 and below 1")
    checks = [(args.epochs >= 1, at_least_1.format(option="--epochs", value=args.epochs)),
              (args.batch_size >= 1, at_least_1.format(option="--batch-size", value=args.batch_size)),
              (args.lr is None or args.lr > 0, _("{option} {value}: must be positive").format(option="--lr",
                                                                                              value=args.lr)),
              (0 <= args.val_split < 1, below_1.format(option="--val-split", value=args.val_split)),
              (0 <= args.momentum < 1, below_1.format(option="--momentum", value=args.momentum)),
              (args.threads is None or args.threads >= 1, at_least_1.format(option="--threads", value=args.threads)),
              (args.weight_decay is None or args.weight_decay >= 0,
               _("{option} {value}: must not be negative").format(option="--weight-decay", value=args.weight_decay))]
    for ok, message in checks:
        if not ok:
            raise UsageError(message)
