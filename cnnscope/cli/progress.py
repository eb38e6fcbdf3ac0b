"""Live progress of ``cnnscope train`` on stderr: a rich bar on a terminal, plain lines otherwise.

Both take the training loop's callbacks (``step(event)``, ``epoch(record, history)``) and
``note(text)``, and are context managers.  The lines themselves are rendered by
``cnnscope/export/training_text.py``.
"""

from __future__ import annotations

import sys
import time

from cnnscope.export.training_text import epoch_line, step_line
from cnnscope.i18n import _
from cnnscope.units import percent


def training_progress(epochs: int):
    return RichProgress(epochs) if sys.stderr.isatty() else PlainProgress()


class PlainProgress:
    """A line per epoch, and a step line at most every ``every`` seconds within long epochs."""

    def __init__(self, every: float = 10.0):
        self.every = every
        self.last = time.monotonic()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def note(self, text: str) -> None:
        sys.stderr.write(_("note: {message}").format(message=text) + "\n")

    def step(self, event) -> None:
        now = time.monotonic()
        if now - self.last >= self.every and event.epoch_step < event.steps_per_epoch:
            self.last = now
            sys.stderr.write(step_line(event) + "\n")

    def epoch(self, record, history) -> None:
        self.last = time.monotonic()
        sys.stderr.write(epoch_line(record, history) + "\n")


class RichProgress:
    """A rich bar on stderr over all steps: epoch, step, smoothed loss, the last validation loss
    and accuracy (with the best so far), images/s, ETA.

    Redrawn from the step callback at most 5× a second, not by rich's refresh thread, so that no
    second Python thread competes with the training loop for the GIL and the cores."""

    def __init__(self, epochs: int, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.console = console or Console(stderr=True)
        self.progress = Progress(
            # rich fills {task.fields[...]}: the translation keeps those fields as they are
            TextColumn(_("epoch {epoch}").format(epoch="{task.fields[epoch]}")), BarColumn(),
            TextColumn(_("step {step}").format(step="{task.fields[step]}")),
            TextColumn(_("loss {loss}").format(loss="{task.fields[loss]}")),
            TextColumn("{task.fields[val]}"),
            TextColumn(_("{rate} img/s").format(rate="{task.fields[rate]}")), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console, transient=False, auto_refresh=False)
        self.task = self.progress.add_task("train", total=None, epoch=f"1/{epochs}", step="-", loss="-", rate="-",
                                           val="")
        self.last = 0.0
        self.latest = None
        self.smoothed = None   # debiased EMA of the step loss, as the curves draw it
        self.weight = 0.0

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def note(self, text: str) -> None:
        self.console.print(_("note: {message}").format(message=text), highlight=False)

    def step(self, event) -> None:
        self.latest = event
        if event.loss == event.loss:  # not NaN
            beta = 1.0 - 1.0 / min(50.0, max(1.0, event.steps_per_epoch / 10))
            self.weight = beta * self.weight + (1 - beta)
            self.smoothed = beta * (self.smoothed or 0.0) + (1 - beta) * event.loss
        now = time.monotonic()
        if now - self.last >= 0.2 or event.step == event.total_steps:
            self.last = now
            self._show(event)

    def _show(self, event) -> None:
        self.progress.update(self.task, total=event.total_steps, completed=event.step,
                             epoch=f"{event.epoch}/{event.epochs}",
                             step=f"{event.epoch_step}/{event.steps_per_epoch}",
                             loss=f"{self.smoothed / self.weight:.4f}" if self.weight else f"{event.loss:.4f}",
                             rate=f"{event.images_per_s:,.0f}")
        self.progress.refresh()

    def epoch(self, record, history) -> None:
        best = history.best_epoch
        if record.val_acc is not None and best is not None and best.val_acc is not None:
            self.progress.update(self.task, val=_("val {loss:.3f} {accuracy} best {best}@{epoch}").format(
                loss=record.val_loss, accuracy=percent(record.val_acc), best=percent(best.val_acc), epoch=best.epoch))
        if self.latest is not None:
            self._show(self.latest)
        self.progress.console.print(epoch_line(record, history), highlight=False)
