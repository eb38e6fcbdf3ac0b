"""Live progress of ``cnnscope census`` on stderr: a rich bar on a terminal, plain lines otherwise.

Both count the models done and failed, the models per minute and the time left; ``started(name)`` and
``finished(row)`` are called as the engine reports, and both are context managers.  The plain line is
``export/census_text.py``'s.
"""

from __future__ import annotations

import sys
import time

from cnnscope.export.census_text import eta_text, progress_line, rate_text


def census_progress(total: int):
    if total == 0:
        return _Silent()
    return RichCensusProgress(total) if sys.stderr.isatty() else PlainCensusProgress(total)


class _Counts:
    def __init__(self, total: int):
        self.total = total
        self.done = 0
        self.failed = 0
        self.start = time.monotonic()

    def count(self, row: dict) -> None:
        self.done += 1
        self.failed += row.get("status") != "ok"

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.start


class _Silent(_Counts):
    def __init__(self):
        super().__init__(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def started(self, name: str) -> None:
        pass

    def finished(self, row: dict) -> None:
        self.count(row)


class PlainCensusProgress(_Counts):
    """A line at most every ``every`` seconds, and the last one when the census ends."""

    def __init__(self, total: int, every: float = 5.0):
        super().__init__(total)
        self.every = every
        self.last = time.monotonic()
        self.shown = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.done and self.shown != self.done:
            self._show()
        return False

    def started(self, name: str) -> None:
        pass

    def finished(self, row: dict) -> None:
        self.count(row)
        if time.monotonic() - self.last >= self.every or self.done == self.total:
            self._show()

    def _show(self) -> None:
        self.last = time.monotonic()
        self.shown = self.done
        sys.stderr.write(progress_line(self.done, self.total, self.failed, self.seconds) + "\n")
        sys.stderr.flush()


class RichCensusProgress(_Counts):
    """A rich bar: done/total, failed, models per minute, ETA, and the model that started last."""

    def __init__(self, total: int, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from cnnscope.i18n import _

        super().__init__(total)
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn(_("census")), BarColumn(), MofNCompleteColumn(),
            TextColumn(_("{failed} failed").replace("{failed}", "{task.fields[failed]}")),
            TextColumn(_("{rate} models/min").replace("{rate}", "{task.fields[rate]}")),
            TimeElapsedColumn(), TextColumn(_("ETA {eta}").replace("{eta}", "{task.fields[eta]}")),
            TextColumn("{task.fields[latest]}"),
            console=self.console, transient=False, refresh_per_second=2)
        self.task = self.progress.add_task("census", total=total, failed=0, rate="—", eta="—", latest="")

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()
        return False

    def started(self, name: str) -> None:
        self.progress.update(self.task, latest=name)

    def finished(self, row: dict) -> None:
        self.count(row)
        self.progress.update(self.task, completed=self.done, failed=self.failed,
                             rate=rate_text(self.done, self.seconds),
                             eta=eta_text(self.done, self.total, self.seconds))
