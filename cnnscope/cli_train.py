"""``cnnscope train``: a quick training run with a live progress bar and loss curves on disk.

Wired into :mod:`cnnscope.cli` with ``add_parser(subcommands)`` and ``run(args) -> int``.  Only
argparse is imported at module level (``cnnscope --help`` stays instant); torch, rich and the
plotting libraries are imported by ``run``.  Progress goes to stderr (a rich bar on a terminal,
a plain line per epoch otherwise), the final summary to stdout, errors as one line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

DATASET_HELP = ("digits (default: scikit-learn's 1,797 handwritten 8×8 digits, no download), mnist, "
                "fashion-mnist, cifar10 (from --data-root), or folder:PATH (one sub-folder of images per class)")


def add_parser(subcommands):
    train = subcommands.add_parser(
        "train", help="train a model briefly on a small data set, with live progress and loss curves",
        description="Train MODEL (random initialisation, seeded) on a data set and write history.json, "
                    "history.csv, model.pt, loss.html and loss.png to --out. Images are adapted to the "
                    "model's input (resized, grayscale↔RGB, normalised); a final Linear layer whose width "
                    "differs from the data set's class count is replaced.")
    train.add_argument("model", help="a zoo name (see `cnnscope list`), path/to/file.py:ClassOrFactory, a "
                       ".yaml/.json spec, or a one-line spec")
    train.add_argument("--dataset", default="digits", metavar="NAME", help=DATASET_HELP)
    train.add_argument("--data-root", metavar="DIR", help="where mnist/fashion-mnist/cifar10 live, as torchvision "
                       "lays them out (DIR/MNIST/raw/..., DIR/cifar-10-batches-py/...); default ./data")
    train.add_argument("--download", action="store_true", help="download mnist/fashion-mnist/cifar10 into "
                       "--data-root when the files are missing")
    train.add_argument("--epochs", type=int, default=10, metavar="N", help="passes over the training split "
                       "(default 10)")
    train.add_argument("--batch-size", type=int, default=32, metavar="B", help="images per step (default 32)")
    train.add_argument("--lr", type=float, metavar="LR", help="learning rate (default 0.001 for adam/adamw, "
                       "0.01 for sgd)")
    train.add_argument("--optimizer", choices=("sgd", "adam", "adamw"), default="adam", help="default adam")
    train.add_argument("--momentum", type=float, default=0.9, metavar="M", help="SGD momentum (default 0.9)")
    train.add_argument("--weight-decay", type=float, metavar="WD", help="default 0 (adamw: 0.01)")
    train.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                       help="auto: cuda when PyTorch sees a GPU, else cpu (default auto)")
    train.add_argument("--seed", type=int, default=0, metavar="S", help="seeds the initial weights, the "
                       "validation split and the shuffling; CPU runs with one seed are bit-identical (default 0)")
    train.add_argument("--val-split", type=float, default=0.2, metavar="F", help="fraction of the training "
                       "images held out for validation, 0 for none (default 0.2)")
    train.add_argument("--threads", type=int, metavar="N", help="CPU threads for PyTorch (default: PyTorch's "
                       "choice, one per core); 1 is often faster on a busy machine; runs are bit-identical for the "
                       "same seed and thread count")
    train.add_argument("--amp", choices=("off", "bf16"), default="off", help="bf16 autocast (default off)")
    train.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None,
                       help="channels_last memory format for the model and the batches (default: on for "
                       "convolutional nets on the CPU, where it is faster, off on CUDA)")
    train.add_argument("--out", required=True, metavar="DIR", help="the folder to write the run's files to "
                       "(created if missing; its files are replaced)")
    return train


def run(args) -> int:
    from pathlib import Path

    from cnnscope.errors import UsageError

    _passive_openmp()
    _check_numbers(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")

    from cnnscope.train import TrainingDiverged, TrainingInterrupted, prepare_run, quick_train, resolve_device
    from cnnscope.export.training_run import write_all, write_checkpoint, write_history

    device = resolve_device(args.device)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    prepared = prepare_run(args.model, args.dataset, data_root=args.data_root, download=args.download,
                           val_split=args.val_split, seed=args.seed)
    out.mkdir(parents=True, exist_ok=True)
    config = {**prepared.config, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}
    model = prepared.model
    progress = _progress(args.epochs)
    for note in prepared.notes:
        progress.note(note)

    def on_epoch(record, history):
        progress.epoch(record, history)
        write_history(out, history)
        write_checkpoint(out, model, history)

    started = time.perf_counter()
    history = None
    try:
        with progress:
            history = quick_train(
                model, prepared.data, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                optimizer=args.optimizer, momentum=args.momentum, weight_decay=args.weight_decay,
                device=device, seed=args.seed, amp=None if args.amp == "off" else args.amp,
                channels_last=args.channels_last, on_step=progress.step, on_epoch=on_epoch, config=config)
    except TrainingDiverged as diverged:
        write_all(out, model, diverged.history)  # the model holds its last good weights
        raise TrainingDiverged(f"{diverged} in {out}/", diverged.history) from None
    except TrainingInterrupted as interrupted:
        write_all(out, model, interrupted.history)
        sys.stderr.write(f"cnnscope: {interrupted.history.message} in {out}/\n")
        return 130
    write_all(out, model, history)
    sys.stdout.write(_summary(history, time.perf_counter() - started, out))
    return 0


def _passive_openmp() -> None:
    """Let idle OpenMP threads sleep at once instead of spinning (unless the user chose otherwise).

    A parallel region waits for its slowest thread.  When another process holds a core, a spinning
    thread keeps its own core busy while its descheduled sibling waits for one, and every step
    stalls: on the 2-core development machine under load, 5 epochs of lenet5 on digits took
    96–135 s with libgomp's default policy and 13–22 s with PASSIVE.  On a nearly quiet machine
    PASSIVE costs about 20 % per LeNet-5 step (5.6 vs 4.5 ms); the numerics do not change.
    libgomp reads the variable when torch loads it, so this only acts before the first
    ``import torch``."""
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _check_numbers(args) -> None:
    from cnnscope.errors import UsageError

    if args.epochs < 1:
        raise UsageError(f"--epochs {args.epochs}: must be at least 1")
    if args.batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size}: must be at least 1")
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr {args.lr}: must be positive")
    if not 0 <= args.val_split < 1:
        raise UsageError(f"--val-split {args.val_split}: must be at least 0 and below 1")
    if not 0 <= args.momentum < 1:
        raise UsageError(f"--momentum {args.momentum}: must be at least 0 and below 1")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads {args.threads}: must be at least 1")
    if args.weight_decay is not None and args.weight_decay < 0:
        raise UsageError(f"--weight-decay {args.weight_decay}: must not be negative")


def _summary(history, seconds: float, out) -> str:
    last = history.last
    config = history.config
    rate = sum(history.images_per_s) / len(history.images_per_s) if history.images_per_s else 0.0
    line = (f"{config.get('model')} on {config.get('dataset')}: {len(history.epochs)} epochs in {seconds:.1f} s "
            f"({rate:,.0f} images/s on {history.device}); train loss {last.train_loss:.4f}, "
            f"accuracy {last.train_acc:.1%}")
    if last.val_acc is not None:
        line += f"; validation loss {last.val_loss:.4f}, accuracy {last.val_acc:.1%} (best {history.best_val_acc:.1%})"
    if history.status == "stopped":
        line += f" [{history.message}]"
    return (line + f"\nwrote {out}/: history.json, history.csv, model.pt, loss.html, loss.png\n")


def _epoch_line(record, history) -> str:
    epochs = history.config.get("epochs", "?")
    rate = history.images_per_s[-1] if history.images_per_s else 0.0
    line = (f"epoch {record.epoch}/{epochs}  train loss {record.train_loss:.4f} acc {record.train_acc:.1%}")
    if record.val_acc is not None:
        line += f"  val loss {record.val_loss:.4f} acc {record.val_acc:.1%}"
    return line + f"  {record.seconds:.1f} s  {rate:,.0f} img/s"


def _progress(epochs: int):
    if sys.stderr.isatty():
        return _RichProgress(epochs)
    return _PlainProgress()


class _PlainProgress:
    """A line per epoch, and a step line at most every ``every`` seconds within long epochs."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self.last = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def note(self, text: str) -> None:
        sys.stderr.write(f"note: {text}\n")

    def step(self, event) -> None:
        now = time.monotonic()
        if now - self.last >= self.every and event.epoch_step < event.steps_per_epoch:
            self.last = now
            eta = event.elapsed / event.step * (event.total_steps - event.step)
            sys.stderr.write(f"epoch {event.epoch}/{event.epochs} step {event.epoch_step}/{event.steps_per_epoch}"
                             f"  loss {event.loss:.4f}  {event.images_per_s:,.0f} img/s  ETA {_clock(eta)}\n")

    def epoch(self, record, history) -> None:
        self.last = time.monotonic()
        sys.stderr.write(_epoch_line(record, history) + "\n")


class _RichProgress:
    """A rich bar on stderr over all steps: epoch, step, loss, images/s, ETA.

    Redrawn from the step callback at most 5× a second, not by rich's refresh thread, so that no
    second Python thread competes with the training loop for the GIL and the cores."""

    def __init__(self, epochs: int, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(),
            TextColumn("step {task.fields[step]}"), TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[rate]} img/s"), TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=self.console, transient=False, auto_refresh=False)
        self.task = self.progress.add_task("train", total=None, epoch=f"1/{epochs}", step="-", loss="-", rate="-")
        self.last = 0.0
        self.latest = None

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def note(self, text: str) -> None:
        self.console.print(f"note: {text}", highlight=False)

    def step(self, event) -> None:
        self.latest = event
        now = time.monotonic()
        if now - self.last >= 0.2 or event.step == event.total_steps:
            self.last = now
            self._show(event)

    def _show(self, event) -> None:
        self.progress.update(self.task, total=event.total_steps, completed=event.step,
                             epoch=f"{event.epoch}/{event.epochs}",
                             step=f"{event.epoch_step}/{event.steps_per_epoch}", loss=f"{event.loss:.4f}",
                             rate=f"{event.images_per_s:,.0f}")
        self.progress.refresh()

    def epoch(self, record, history) -> None:
        if self.latest is not None:
            self._show(self.latest)
        self.progress.console.print(_epoch_line(record, history), highlight=False)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
