"""The Ray census engine on a local Ray (started once for the module: a Ray start takes seconds): the same
rows as the local engine for models that finish, fail, kill their worker, hang or leak."""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from cnnscope.errors import UsageError
from cnnscope.studies.census.events import Started

from .tasks import behave
from .test_pool import gone, rows, wait_gone

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def test_without_ray_the_engine_says_how_to_get_it(monkeypatch):
    from cnnscope.studies.census.ray_engine import run_ray

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(UsageError, match=r'^the Ray engine needs Ray: pip install "cnnscope\[ray\]"$'):
        run_ray(["lenet5"])


def test_real_models_give_the_rows_made_in_this_process(ray_running):
    from cnnscope.studies.census.ray_engine import run_ray
    from cnnscope.studies.census.row import census_row

    result = rows(run_ray(["lenet5"]))  # one model: one worker pays torch's imports
    for name in ("lenet5",):
        here = census_row(name)
        measured = ("seconds", "peak_memory_bytes")
        assert result[name]["status"] == "ok"
        assert {k: v for k, v in result[name].items() if k not in measured} == \
               {k: v for k, v in here.items() if k not in measured}


def test_a_ray_started_by_the_census_is_shut_down_after_it(ray_running, monkeypatch):
    """Ray not running: the census starts a quiet local one and shuts it down (the module's Ray stands
    in for it: a second real start would cost seconds)."""
    from cnnscope.studies.census.ray_engine import run_ray

    calls = []
    running = ray_running.is_initialized
    asked = []  # only the engine's own first question is answered "no": Ray's internals ask it too

    def not_at_first():
        asked.append(True)
        return len(asked) > 1 and running()

    monkeypatch.setattr(ray_running, "is_initialized", not_at_first)
    monkeypatch.setattr(ray_running, "init", lambda **kwargs: calls.append(("init", kwargs)))
    monkeypatch.setattr(ray_running, "shutdown", lambda: calls.append(("shutdown", {})))
    assert rows(run_ray(["ok-1"], behave, workers=2))["ok-1"]["status"] == "ok"
    assert calls == [("init", {"address": None, "num_cpus": 2, "include_dashboard": False, "log_to_driver": False,
                               "logging_level": "ERROR"}), ("shutdown", {})]
    calls.clear()
    asked.clear()
    with pytest.raises(KeyboardInterrupt):
        for _ in run_ray(["nap-1"], behave, timeout=None, address="auto"):
            raise KeyboardInterrupt
    assert calls == [("init", {"address": "auto", "num_cpus": None, "include_dashboard": False,
                               "log_to_driver": False, "logging_level": "ERROR"}), ("shutdown", {})]


@pytest.fixture(scope="module")
def ray_running():
    """A local Ray with 2 CPUs whose workers can import ``census.tasks``."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        yield ray
        return
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             runtime_env={"env_vars": {"PYTHONPATH": f"{TESTS}:{ROOT}"}})
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def mixed(ray_running, tmp_path_factory):
    """One census of models that answer, raise, kill their worker always, or once."""
    from cnnscope.studies.census.ray_engine import run_ray

    folder = tmp_path_factory.mktemp("ray-markers")
    names = ["ok-1", "raise-1", "kill-1", "kill-once-1", "ok-2"]
    return list(run_ray(names, behave, {"folder": str(folder)}, timeout=120)), folder


def test_every_model_gets_one_row(mixed):
    events, _ = mixed
    assert set(rows(events)) == {"ok-1", "raise-1", "kill-1", "kill-once-1", "ok-2"}
    assert Counter(e.name for e in events if isinstance(e, Started)) == Counter(list(rows(events)))
    assert rows(events)["ok-1"]["status"] == rows(events)["ok-2"]["status"] == "ok"


def test_a_task_that_raises_is_an_error_row(mixed):
    row = rows(mixed[0])["raise-1"]
    assert (row["status"], row["error"]) == ("error", "internal error: ValueError: raise-1 fails on purpose")


def test_a_task_whose_worker_dies_twice_is_a_crashed_row(mixed):
    row = rows(mixed[0])["kill-1"]
    assert row["status"] == "crashed"
    assert row["error"].startswith("its worker died twice (WorkerCrashedError: ")


def test_a_task_whose_worker_dies_once_is_retried_by_ray(mixed):
    events, folder = mixed
    assert rows(events)["kill-once-1"]["status"] == "ok"
    assert (folder / "kill-once-1").read_text() == "died once"


def test_a_model_past_its_timeout_is_cancelled_and_its_worker_killed(ray_running, tmp_path):
    from cnnscope.studies.census.ray_engine import run_ray

    list(run_ray(["ok-a", "ok-b"], behave))  # warm workers: a model's clock starts when it is submitted
    start = time.monotonic()
    result = rows(run_ray(["hang-1", "nap-1"], behave, {"folder": str(tmp_path)}, timeout=8))
    for name in ("hang-1", "nap-1"):
        assert (result[name]["status"], result[name]["error"]) == ("timeout", "took longer than 8 s")
        assert 8 <= result[name]["seconds"] < 20
        assert wait_gone([int((tmp_path / f"{name}.pid").read_text())], 10.0) == []
    assert time.monotonic() - start < 40


def test_workers_are_recycled_after_a_number_of_models(ray_running):
    from cnnscope.studies.census.ray_engine import run_ray

    result = rows(run_ray([f"sleep-{i}" for i in range(5)], behave, {"seconds": 0.1}, recycle_after=2))
    assert all(row["status"] == "ok" for row in result.values())
    assert max(Counter(row["pid"] for row in result.values()).values()) <= 2


def test_closing_the_iterator_cancels_what_runs(ray_running, tmp_path):
    from cnnscope.studies.census.ray_engine import run_ray

    events = run_ray(["nap-1", "nap-2", "nap-3"], behave, {"folder": str(tmp_path)}, timeout=None)
    assert [type(next(events)), type(next(events))] == [Started, Started]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = [int(path.read_text()) for path in tmp_path.glob("*.pid")]
    assert len(pids) == 2 and not any(gone(p) for p in pids)
    events.close()
    assert wait_gone(pids, 10.0) == []
    assert list(events) == []  # a closed iterator yields nothing more
