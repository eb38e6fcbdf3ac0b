"""The Ray census engine: one Ray task per model, on a local Ray or on a cluster (``cnnscope[ray]``).

What Ray does: a task whose worker dies is retried once (``max_retries=1``); a worker process is replaced
after ``recycle_after`` tasks (``max_calls``); ``ray.cancel(force=True)`` kills the worker of a model past
its deadline (a cancelled task is not retried); Ray's memory monitor kills the worker of a task when the
node runs short of memory (and the task is retried like any other death).  What this module adds: the
deadline per model (``ray.wait`` with a timeout), the "timeout" and "crashed" rows, and a window of as
many tasks in flight as the cluster has CPUs, so that a model's clock, which starts when its task is
submitted (Ray does not tell the driver when a task begins), starts about when it runs; when Ray has to
start a worker for it, that start (seconds) counts against the model's timeout.

Memory: Ray has no per-worker resident-memory limit for tasks and no public way for a task's worker to
retire itself, so ``memory_limit_mb`` is handed to Ray's scheduler as the task's ``memory`` reservation
(a node runs no more models at once than its memory holds them), and a leak is bounded by ``max_calls``
and by Ray's memory monitor.  The local engine's after-each-model RSS check is not repeated here.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from cnnscope.errors import UsageError
from cnnscope.i18n import _, language
from cnnscope.studies.census.columns import failed_row
from cnnscope.studies.census.events import Finished, Started
from cnnscope.studies.census.pool import check_limits
from cnnscope.studies.census.row import census_row, error_line, unfinished_row

INSTALL_HINT = 'the Ray engine needs Ray: pip install "cnnscope[ray]"'


def run_ray(names: Iterable[str], task: Callable[[str, dict | None], dict] = census_row,
            options: dict | None = None, *, address: str | None = None, timeout: float | None = 300.0,
            recycle_after: int | None = 50, memory_limit_mb: int | None = None,
            workers: int | None = None) -> Iterator[Started | Finished]:
    """Run ``task(name, options)`` for every name as Ray tasks, yielding :class:`Started` (when a task is
    submitted) and :class:`Finished` events; the same rows as :func:`~cnnscope.studies.census.pool.run_local`.

    ``address``: a running cluster (``auto``, ``ray://host:10001``); None starts a local Ray with
    ``workers`` CPUs (default: the number of cores), shut down when the census ends.  An already
    initialised Ray is used as it is.  Raises UsageError when Ray is not installed.
    """
    # Ray's tqdm support replaces builtins.print in the calling process once it starts a bar manager; a
    # census is a guest in that process (a notebook, the test suite), so it asks Ray not to.
    os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")
    try:
        import ray
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    names = list(names)
    check_limits(workers=workers, timeout=timeout, recycle_after=recycle_after, memory_limit_mb=memory_limit_mb)
    return _events(ray, names, task, options, address=address, timeout=timeout, recycle_after=recycle_after,
                   memory_limit_mb=memory_limit_mb, workers=workers)


def run_task(task, name: str, options, language: str = "en"):
    """What a Ray worker runs: ``task``'s row; an exception it raises is an "error" row, as in the pool.
    ``language``: the census's, for the row's error line."""
    from cnnscope.i18n import set_language

    set_language(language)
    start = time.perf_counter()
    try:
        return task(name, options)
    except Exception as error:  # noqa: BLE001 - a task that raises is that model's error row
        return failed_row(name, "error", error_line(error), time.perf_counter() - start)


def _events(ray, names, task, options, *, address, timeout, recycle_after, memory_limit_mb, workers):
    if not names:
        return
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(address=address, num_cpus=(workers or os.cpu_count() or 1) if address is None else None,
                     include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        except (ValueError, ConnectionError) as error:  # an address Ray cannot parse or reach
            raise UsageError(_("cannot use the Ray cluster at {address!r}: {reason}").format(
                address=address, reason=_first_line(error, with_type=False))) from None
    pending: dict = {}  # ObjectRef -> (name, submitted at)
    try:
        remote = ray.remote(num_cpus=1, max_retries=1, max_calls=recycle_after or 0,
                            memory=None if memory_limit_mb is None else memory_limit_mb * 2**20)(run_task)
        window = max(1, int(ray.cluster_resources().get("CPU", 1)))
        census_language = language()
        todo = deque(names)
        while todo or pending:
            while todo and len(pending) < window:
                name = todo.popleft()
                pending[remote.remote(task, name, options, census_language)] = (name, time.monotonic())
                yield Started(name, "ray")
            wait = None if timeout is None else max(
                0.0, min(since for unused, since in pending.values()) + timeout - time.monotonic()) + 0.01
            ready, unready = ray.wait(list(pending), num_returns=1, timeout=wait)
            for ref in ready:
                name, since = pending.pop(ref)
                yield Finished(name, _row(ray, ref, name, time.monotonic() - since))
            if timeout is not None:
                now = time.monotonic()
                for ref, (name, since) in list(pending.items()):
                    if now - since > timeout:
                        ray.cancel(ref, force=True)  # kills its worker; a cancelled task is not retried
                        del pending[ref]
                        message = _("took longer than {seconds} s").format(seconds=f"{timeout:g}")
                        yield Finished(name, unfinished_row(name, "timeout", message, now - since))
    finally:
        for ref in pending:  # stopped early: nothing may keep running
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()


def _row(ray, ref, name: str, seconds: float) -> dict:
    """The task's row, or the row of a task Ray gave up on: its worker died twice (or Ray lost it)."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as error:  # run_task raised: only if the row itself failed
        return failed_row(name, "error", error_line(error.cause if error.cause else error), seconds)
    except ray.exceptions.RayError as error:
        message = _("its worker died twice ({cause})").format(cause=_first_line(error))
        return unfinished_row(name, "crashed", message, seconds)


def _first_line(error: BaseException, with_type: bool = True) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    if not with_type:
        return lines[0] if lines else type(error).__name__
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
