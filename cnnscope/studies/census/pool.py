"""The local census engine: worker processes on this machine, each running many models.

``run_local`` is a small supervisor over ``multiprocessing.Process`` workers, one ``Pipe`` per worker, and
``multiprocessing.connection.wait`` on every pipe and every process sentinel at once.  Why not the standard
library's pools: a census must stop one hung model and lose only the model of a worker that dies, and
neither pool can.  ``concurrent.futures.ProcessPoolExecutor`` cannot cancel a running future nor say which
process runs it, and one dead worker breaks the whole executor (``BrokenProcessPool`` for every model in
flight); ``multiprocessing.Pool`` waits forever for a task whose worker died and has no per-task timeout.
Their shared result queue is a hazard of its own: a worker killed while it holds the queue's lock (writing
a row) leaves the queue unusable for the others.  Patching timeouts and deaths onto either pool would take
more code than this supervisor, and ``max_tasks_per_child`` is then a counter.  With a pipe per worker, a
row, a death (the sentinel) and a deadline are each seen by one ``wait``, and killing a worker harms no
other.  Everything else is the standard library's: processes, pipes, ``wait``, the forkserver, daemons.

Workers come from the ``forkserver`` context with torch, torchvision, the analysis (and timm when the
census has timm models) imported once in the server: a recycled worker costs 0.25 s (fork and first
model) instead of those imports at every start and every recycle (3.6 s with torchvision, 4.7 s with timm
on a quiet machine, 14 s at load 12; docs/benchmarks.md, "Census speed").  Forking a process that imported
torch but never ran an op is what torch's own DataLoader does on Linux (fork after import); the unsafe case,
fork after torch ran its intra-op thread pool or CUDA, never happens in the server.  Where there is no
forkserver (Windows), ``spawn``.  The server is the standard library's and lives as long as this process;
only its first start's preload counts.

A worker ignores Ctrl-C (the supervisor decides), exits when the supervisor process ends even in the
middle of a model (a thread waits on the supervisor's pidfd: a forked worker's parent is the forkserver,
which lives as long as its workers, so ``PR_SET_PDEATHSIG`` would not fire; a worker waiting for its next
model sees its pipe close anyway), silences stdout and warnings (a row carries a model's error), uses
``cores / workers`` torch threads, and gives freed heap back after each model (``malloc_trim``).
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from cnnscope.errors import UsageError
from cnnscope.i18n import _, language
from cnnscope.studies.census.columns import failed_row
from cnnscope.studies.census.events import Finished, Started
from cnnscope.studies.census.row import census_row, error_line, unfinished_row

# What every census model needs, imported once in the forkserver (see the module's docstring).
PRELOAD = ("torch", "torchvision", "cnnscope.sources", "cnnscope.zoo", "cnnscope.analysis.analyze",
           "cnnscope.studies.compare")
STOP_SECONDS = 5.0  # how long a killed worker may take to be reaped before we move on


def run_local(names: Iterable[str], task: Callable[[str, dict | None], dict] = census_row,
              options: dict | None = None, *, workers: int | None = None, timeout: float | None = 300.0,
              recycle_after: int | None = 50, memory_limit_mb: int | None = None) -> Iterator[Started | Finished]:
    """Run ``task(name, options)`` for every name in ``workers`` processes (default: the number of cores),
    yielding :class:`Started` and :class:`Finished` events as they happen; every name gets one Finished.

    A model past ``timeout`` seconds is a "timeout" row and its worker is killed and replaced.  A worker
    that dies loses only its model, which is retried once on a fresh worker; a second death is a
    "crashed" row.  A worker is replaced after ``recycle_after`` models, or after a model that left its
    resident memory above ``memory_limit_mb``.  ``task`` must be a top-level function (it is sent by
    reference); an exception it raises is an "error" row.  Closing the iterator (``.close()``, or
    Ctrl-C while it waits) kills every worker at once.
    """
    names = list(names)
    check_limits(workers=workers, timeout=timeout, recycle_after=recycle_after, memory_limit_mb=memory_limit_mb)
    supervisor = _Supervisor(names, task, options, workers=workers or os.cpu_count() or 1, timeout=timeout,
                             recycle_after=recycle_after, memory_limit_mb=memory_limit_mb)
    return supervisor.events()


def check_limits(*, workers=None, timeout=None, recycle_after=None, memory_limit_mb=None) -> None:
    """UsageError for a limit that cannot work: workers or recycle_after below 1, a timeout or memory
    limit that is not positive (None means no limit, or the default)."""
    for label, value in (("workers", workers), ("recycle_after", recycle_after)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise UsageError(f"{label} must be a whole number of at least 1, not {value!r}")
    for label, value in (("timeout", timeout), ("memory_limit_mb", memory_limit_mb)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
            raise UsageError(f"{label} must be a positive number of {'seconds' if label == 'timeout' else 'MB'}, "
                             f"not {value!r}")


def resident_bytes() -> int | None:
    """This process's resident memory now (VmRSS from /proc), None where /proc has none."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def death_cause(exitcode: int | None) -> str:
    """``killed by SIGKILL`` or ``exit code 3``: why a worker process ended."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


# -- the worker ------------------------------------------------------------------------------------------

def _serve(conn: Connection, task, options, threads: int, supervisor: int, language: str = "en") -> None:
    """A worker's life: receive a name, send back (name, row, resident bytes), until None or EOF.
    ``language``: the census's (``--lang`` is set in the supervisor only), for the rows' error lines."""
    from cnnscope.i18n import set_language

    set_language(language)
    _settle_in(threads)
    _exit_with(supervisor)
    while True:
        try:
            name = conn.recv()
        except (EOFError, OSError):  # the supervisor is gone
            return
        if name is None:
            return
        start = time.perf_counter()
        try:
            row = task(name, options)
        except Exception as error:  # noqa: BLE001 - a task that raises is that model's error row
            row = failed_row(name, "error", error_line(error), time.perf_counter() - start)
        _give_back_memory()
        conn.send((name, row, resident_bytes()))


def _settle_in(threads: int) -> None:
    """Ignore Ctrl-C, keep quiet, and share the cores with the other workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a model that prints must not write over the progress bar
    os.close(devnull)
    import warnings

    warnings.simplefilter("ignore")
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if "torch" in sys.modules:  # preloaded by the forkserver: set it now; else torch reads OMP_NUM_THREADS
        sys.modules["torch"].set_num_threads(threads)


def _give_back_memory() -> None:
    """Return the heap a model freed to the system (glibc's ``malloc_trim``): else a worker keeps the
    high-water mark of its largest model (3.4 GB after maskrcnn, 0.7 GB once trimmed), which would count
    against ``memory_limit_mb`` and inflate the next models' peak memory.  About 0.5 s after maskrcnn on a
    busy machine, under a millisecond after a small model; nothing where there is no glibc."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None  # glibc's malloc_trim, looked up once per worker (False: none)


def _exit_with(supervisor: int) -> None:
    """Exit this worker when process ``supervisor`` ends: a thread blocks on its pidfd (Linux 5.3+), or
    else looks once a second."""
    def watch():
        try:
            select.select([os.pidfd_open(supervisor)], [], [])
        except (AttributeError, OSError):  # no pidfd here
            while _running(supervisor):
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="census-watch", daemon=True).start()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the supervisor --------------------------------------------------------------------------------------

@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    done: int = 0  # models finished
    model: str | None = None  # the model in progress
    since: float = 0.0  # when it was sent (time.monotonic)

    @property
    def label(self) -> str:
        return f"pid {self.process.pid}"


class _Supervisor:
    def __init__(self, names: list[str], task, options, *, workers: int, timeout, recycle_after, memory_limit_mb):
        self.todo = deque(names)
        self.task, self.options = task, options
        self.slots = workers
        self.timeout, self.recycle_after = timeout, recycle_after
        self.memory_limit = None if memory_limit_mb is None else memory_limit_mb * 2**20
        self.threads = max(1, (os.cpu_count() or 1) // workers)
        self.context = _context(task, names)
        self.language = language()  # the census's, for the workers' error lines
        self.busy: list[_Worker] = []
        self.leaving: list[multiprocessing.process.BaseProcess] = []  # told to stop, not yet reaped
        self.deaths: Counter[str] = Counter()

    def events(self) -> Iterator[Started | Finished]:
        try:
            while self.todo and len(self.busy) < self.slots:
                yield self._send(self._start(), self.todo.popleft())
            while self.busy:
                ready = set(wait([w.conn for w in self.busy] + [w.process.sentinel for w in self.busy],
                                 timeout=self._until_next_deadline()))
                for worker in list(self.busy):
                    if worker.conn in ready or worker.process.sentinel in ready:
                        yield from self._settle(worker)
                    elif self.timeout is not None and time.monotonic() - worker.since > self.timeout:
                        yield from self._time_out(worker)
                self.leaving = [p for p in self.leaving if p.is_alive()]  # is_alive() reaps the finished
        finally:
            self._stop_all()

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=_serve, args=(child, self.task, self.options, self.threads,
                                                            os.getpid(), self.language),
                                       name="cnnscope-census", daemon=True)
        process.start()
        child.close()  # the worker holds its end: EOF on ours means it is gone
        return _Worker(process, parent)

    def _send(self, worker: _Worker, name: str) -> Started:
        worker.model, worker.since = name, time.monotonic()
        try:
            worker.conn.send(name)
        except OSError:  # it died between two models (the OOM killer): its sentinel reports it, the model retried
            pass
        self.busy.append(worker)
        return Started(name, worker.label)

    def _settle(self, worker: _Worker) -> Iterator[Started | Finished]:
        """A worker's pipe or sentinel is ready: its row, or its death."""
        try:
            message = worker.conn.recv() if worker.conn.poll() else None
        except (EOFError, OSError):
            message = None
        self.busy.remove(worker)
        if message is None:
            yield from self._died(worker)
            return
        name, row, resident = message
        worker.done += 1
        worker.model = None
        spent = (self.recycle_after is not None and worker.done >= self.recycle_after) or (
            self.memory_limit is not None and resident is not None and resident > self.memory_limit)
        following = None
        if self.todo:  # send the next model before the consumer sees this row: the worker need not wait
            if spent:
                self._retire(worker)
                worker = self._start()
            following = self._send(worker, self.todo.popleft())
        else:
            self._retire(worker)
        yield Finished(name, row)
        if following is not None:
            yield following

    def _died(self, worker: _Worker) -> Iterator[Started | Finished]:
        name, seconds = worker.model, time.monotonic() - worker.since
        self._kill(worker)  # reap it
        self.deaths[name] += 1
        cause = death_cause(worker.process.exitcode)
        if self.deaths[name] < 2:  # once: retried on a fresh worker, in the same slot
            yield self._send(self._start(), name)
            return
        message = _("its worker died twice ({cause})").format(cause=cause)
        yield Finished(name, unfinished_row(name, "crashed", message, seconds))
        if self.todo:
            yield self._send(self._start(), self.todo.popleft())

    def _time_out(self, worker: _Worker) -> Iterator[Started | Finished]:
        name, seconds = worker.model, time.monotonic() - worker.since
        self.busy.remove(worker)
        self._kill(worker)
        message = _("took longer than {seconds} s").format(seconds=f"{self.timeout:g}")
        yield Finished(name, unfinished_row(name, "timeout", message, seconds))
        if self.todo:
            yield self._send(self._start(), self.todo.popleft())

    def _until_next_deadline(self) -> float | None:
        if self.timeout is None:
            return None
        first = min(w.since for w in self.busy) + self.timeout
        return max(0.0, first - time.monotonic()) + 0.01

    def _retire(self, worker: _Worker) -> None:
        """Tell an idle worker to stop; it exits on its own (reaped later)."""
        try:
            worker.conn.send(None)
        except OSError:
            pass
        worker.conn.close()
        self.leaving.append(worker.process)

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(STOP_SECONDS)
        worker.conn.close()

    def _stop_all(self) -> None:
        """Kill every worker now (a census worker holds nothing that needs a clean exit) and reap them."""
        processes = [w.process for w in self.busy] + self.leaving
        for process in processes:
            if process.is_alive():
                process.kill()
        for process in processes:
            process.join(STOP_SECONDS)
        for worker in self.busy:
            worker.conn.close()
        self.busy, self.leaving = [], []


def _context(task, names: list[str]):
    """The forkserver, preloaded with what the models need (set before its first start; later calls in
    the same process reuse it as it is), or spawn where there is no forkserver."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    modules = ["__main__", *PRELOAD, __name__]
    if task.__module__ not in modules:
        modules.append(task.__module__)
    if any(str(name).startswith("timm:") for name in names):
        modules.append("timm")
    context.set_forkserver_preload(modules)
    return context
