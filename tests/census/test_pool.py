"""The local census engine: every model gets one row, whatever its worker does (dies, hangs, leaks), and
no worker outlives the census.  The misbehaving tasks are in ``tasks.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from cnnscope.errors import UsageError
from cnnscope.studies.census.events import Finished, Started
from cnnscope.studies.census.pool import death_cause, run_local

from .tasks import behave

TESTS = str(Path(__file__).resolve().parents[1])  # the folder that holds the ``census`` test package
ROOT = Path(TESTS).parent


def run(names, options=None, **limits):
    """Every event of a local run of ``behave`` over ``names``."""
    return list(run_local(names, behave, options, **limits))


def rows(events) -> dict[str, dict]:
    finished = [e for e in events if isinstance(e, Finished)]
    assert len(finished) == len({e.name for e in finished}), "a model finished twice"
    return {e.name: e.row for e in finished}


def starts(events) -> Counter:
    return Counter(e.name for e in events if isinstance(e, Started))


def gone(pid: int) -> bool:
    """No process ``pid`` any more (a zombie that nobody reaped counts as gone: it runs nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def wait_gone(pids, seconds: float = 5.0) -> list[int]:
    """The pids still running after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if not gone(p)]


def worker_pids(events) -> set[int]:
    return {int(e.worker.split()[1]) for e in events if isinstance(e, Started)}


def test_every_model_gets_its_row_and_both_workers_work():
    events = run([f"sleep-{i}" for i in range(6)], {"seconds": 0.3}, workers=2)
    assert set(rows(events)) == {f"sleep-{i}" for i in range(6)}
    assert all(row["status"] == "ok" for row in rows(events).values())
    first_two = [e for e in events if isinstance(e, Started)][:2]
    assert first_two[0].worker != first_two[1].worker  # two processes from the start
    assert len({row["pid"] for row in rows(events).values()}) == 2
    assert starts(events) == Counter({f"sleep-{i}": 1 for i in range(6)})


def test_every_started_model_finishes_after_its_start():
    events = run(["ok-1", "raise-1", "ok-2"], workers=2)
    for name in ("ok-1", "raise-1", "ok-2"):
        kinds = [type(e) for e in events if e.name == name]
        assert kinds == [Started, Finished]


def test_a_task_that_raises_is_an_error_row_and_the_census_goes_on():
    result = rows(run(["raise-1", "ok-1"], workers=1))
    assert result["raise-1"]["status"] == "error"
    assert result["raise-1"]["error"] == "internal error: ValueError: raise-1 fails on purpose"
    assert result["ok-1"]["status"] == "ok"


@pytest.mark.parametrize("name, cause", [("kill-1", "killed by SIGKILL"), ("exit-1", "exit code 3")])
def test_a_worker_that_dies_twice_is_a_crashed_row(name, cause):
    events = run([name, "ok-1", "ok-2"], workers=2)
    result = rows(events)
    assert result[name]["status"] == "crashed"
    assert result[name]["error"] == f"its worker died twice ({cause})"
    assert starts(events)[name] == 2  # retried once
    tries = [e.worker for e in events if isinstance(e, Started) and e.name == name]
    assert tries[0] != tries[1]  # on a fresh worker
    assert result["ok-1"]["status"] == result["ok-2"]["status"] == "ok"


def test_a_worker_that_dies_once_loses_nothing(tmp_path):
    events = run(["kill-once-1", "ok-1"], {"folder": str(tmp_path)}, workers=1)
    result = rows(events)
    assert result["kill-once-1"]["status"] == "ok"
    assert starts(events)["kill-once-1"] == 2
    assert (tmp_path / "kill-once-1").exists()


def test_a_worker_killed_between_two_models_loses_nothing():
    events = run(["late-1", "sleep-1", "sleep-2"], {"seconds": 0.3}, workers=1)
    result = rows(events)
    assert all(row["status"] == "ok" for row in result.values())
    assert starts(events)["sleep-1"] == 2  # sent to the dying worker, then to a fresh one
    assert result["late-1"]["pid"] != result["sleep-1"]["pid"]


@pytest.mark.parametrize("name", ["hang-1", "nap-1"])
def test_a_model_past_its_timeout_is_a_timeout_row_and_its_worker_is_killed(name):
    start = time.monotonic()
    events = run([name] + [f"sleep-{i}" for i in range(4)], {"seconds": 0.2}, workers=2, timeout=1.5)
    elapsed = time.monotonic() - start
    result = rows(events)
    assert result[name]["status"] == "timeout"
    assert result[name]["error"] == "took longer than 1.5 s"
    assert 1.5 <= result[name]["seconds"] < 3.0
    assert all(result[f"sleep-{i}"]["status"] == "ok" for i in range(4))
    hung = next(int(e.worker.split()[1]) for e in events if isinstance(e, Started) and e.name == name)
    assert gone(hung)
    assert elapsed < 30


def test_workers_are_recycled_after_a_number_of_models():
    result = rows(run([f"ok-{i}" for i in range(5)], workers=1, recycle_after=2))
    pids = [result[f"ok-{i}"]["pid"] for i in range(5)]
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


def test_a_worker_past_the_memory_limit_is_recycled():
    baseline = rows(run(["ok-0"], workers=1))["ok-0"]["rss"]
    limit_mb = baseline // 2**20 + 60
    events = run(["ok-1", "leak-1", "ok-2", "ok-3"], {"leak_mb": 150}, workers=1, memory_limit_mb=limit_mb)
    result = rows(events)
    assert result["leak-1"]["rss"] > limit_mb * 2**20  # the leak was resident
    assert result["ok-1"]["pid"] == result["leak-1"]["pid"]  # under the limit: kept
    assert result["ok-2"]["pid"] != result["leak-1"]["pid"]  # over it: replaced
    assert result["ok-2"]["pid"] == result["ok-3"]["pid"]


def test_closing_the_iterator_stops_every_worker():
    events = run_local([f"nap-{i}" for i in range(4)], behave, workers=2, timeout=None)
    seen = [next(events), next(events)]
    pids = worker_pids(seen)
    assert len(pids) == 2 and not any(gone(p) for p in pids)
    start = time.monotonic()
    events.close()
    assert wait_gone(pids, 0.0) == []  # gone when close() returns
    assert time.monotonic() - start < 5


def test_an_exception_in_the_consumer_stops_every_worker():
    seen = []
    with pytest.raises(KeyboardInterrupt):
        for event in run_local([f"nap-{i}" for i in range(4)], behave, workers=2, timeout=None):
            seen.append(event)
            if len(seen) == 2:
                raise KeyboardInterrupt
    assert wait_gone(worker_pids(seen), 0.0) == []


SUPERVISOR = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from census.tasks import behave
    from cnnscope.studies.census.events import Started
    from cnnscope.studies.census.pool import run_local

    if __name__ == "__main__":
        for event in run_local(["hang-1", "nap-1", "nap-2"], behave, workers=2, timeout=None):
            if isinstance(event, Started):
                print(event.worker.split()[1], flush=True)
""")


@pytest.mark.parametrize("signal_", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill -9"])
def test_a_supervisor_interrupted_or_killed_leaves_no_worker_behind(tmp_path, signal_):
    script = tmp_path / "census.py"
    script.write_text(SUPERVISOR.format(tests=TESTS))
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert all(lines), process.stderr.read()
        pids = [int(line) for line in lines]
        assert not any(gone(p) for p in pids)
        process.send_signal(signal_)
        process.wait(timeout=30)
        assert wait_gone(pids, 10.0) == []
    finally:
        process.kill()
        process.wait()


def test_the_census_row_of_real_models_matches_the_one_made_in_this_process():
    from cnnscope.studies.census.row import census_row

    names = ["lenet5", "tutorial_cnn", "resnet_mini"]
    result = rows(run_local(names, workers=2))
    assert list(result) and set(result) == set(names)
    for name in names:
        here = census_row(name)
        assert here["status"] == "ok"
        measured = ("seconds", "peak_memory_bytes")
        assert {k: v for k, v in result[name].items() if k not in measured} == \
               {k: v for k, v in here.items() if k not in measured}
        assert result[name]["peak_memory_bytes"] > 0


def test_no_models_no_workers():
    assert list(run_local([], behave)) == []


@pytest.mark.parametrize("limits, fragment", [
    ({"workers": 0}, "workers must be a whole number of at least 1, not 0"),
    ({"recycle_after": 0}, "recycle_after must be"),
    ({"timeout": 0}, "timeout must be a positive number of seconds, not 0"),
    ({"memory_limit_mb": -5}, "memory_limit_mb must be a positive number of MB"),
])
def test_limits_that_cannot_work_are_a_usage_error(limits, fragment):
    with pytest.raises(UsageError, match=fragment):
        run_local(["ok-1"], behave, **limits)


def test_death_causes():
    assert death_cause(-signal.SIGSEGV) == "killed by SIGSEGV"
    assert death_cause(3) == "exit code 3"
    assert os.cpu_count()  # the default worker count
