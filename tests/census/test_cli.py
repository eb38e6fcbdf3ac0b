"""``cnnscope census``: rows equal analyze(), resume, a failing model, bad input, and a real process killed
midway that keeps its rows and completes on the rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cnnscope.export import census_file
from cnnscope.studies.census import versions
from tests.census.test_row import RAISES, expected_from_report

TUTORIAL = ["lenet5", "resnet_mini", "inception_mini"]

# Models that take a while to build (1 s each), so that a census of them can be stopped midway.
SLOW = ("import time\n\nfrom torch import nn\n\n\nclass Slow(nn.Module):\n    input_shape = (1, 8, 8)\n\n"
        "    def __init__(self):\n        super().__init__()\n        time.sleep(1.0)\n"
        "        self.c = nn.Conv2d(1, 2, 3)\n\n    def forward(self, x):\n        return self.c(x)\n\n\n"
        + "".join(f"class {name}(Slow):\n    pass\n\n\n" for name in "ABCDEF"))
SLOW_MODELS = [f"slow.py:{name}" for name in "ABCDEF"]
ROOT = Path(__file__).resolve().parents[2]
# A process started in another folder imports this checkout (whatever the installed copy points at).
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def test_two_workers_equal_analyze(run_cli, tmp_path, analyze):
    path = tmp_path / "zoo.json"
    code, out, err = run_cli("census", *TUTORIAL, "-o", path, "--workers", "2")
    assert code == 0, err
    assert out.strip() == f"wrote 3 rows to {path} (0 failed)"
    assert "census: 3/3 done, 0 failed" in err
    rows = census_file.read(path)
    assert [r["name"] for r in rows] == TUTORIAL
    for row in rows:
        expected = expected_from_report(analyze(row["name"]))
        assert {k: row[k] for k in expected} == expected, row["name"]
        assert row["status"] == "ok" and {k: row[k] for k in versions()} == versions()


def test_rerun_skips_what_is_done_and_redoes_other_versions(run_cli, tmp_path):
    path = tmp_path / "zoo.csv"
    assert run_cli("census", "lenet5", "resnet_mini", "-o", path, "--workers", "1")[0] == 0
    first = census_file.read(path)
    code, out, err = run_cli("census", "lenet5", "resnet_mini", "-o", path)
    assert code == 0 and "skipped 2 models already done" in err, err
    assert census_file.read(path) == first  # not one figure made again
    stale = [dict(first[0], torch="1.0.0"), dict(first[1], status="timeout")]
    census_file.write(path, stale)
    code, out, err = run_cli("census", "lenet5", "resnet_mini", "tutorial_cnn", "-o", path, "--workers", "1")
    assert code == 0, err
    assert "skipped" not in err and "redoing 1 model made with other versions" in err
    rows = census_file.read(path)
    assert [r["name"] for r in rows] == ["lenet5", "resnet_mini", "tutorial_cnn"]
    assert all(r["status"] == "ok" and r["torch"] == versions()["torch"] for r in rows)
    assert rows[0]["seconds"] != first[0]["seconds"]  # made again, not copied


def test_rows_of_other_models_stay(run_cli, tmp_path):
    path = tmp_path / "zoo.parquet"
    assert run_cli("census", "lenet5", "-o", path, "--workers", "1")[0] == 0
    code, out, err = run_cli("census", "resnet_mini", "-o", path, "--workers", "1")
    assert code == 0 and out.strip() == f"wrote 2 rows to {path} (0 failed)"
    assert [r["name"] for r in census_file.read(path)] == ["lenet5", "resnet_mini"]


def test_a_failing_model_is_a_row(run_cli, tmp_path, monkeypatch):
    (tmp_path / "raises.py").write_text(RAISES)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("census", "lenet5", "raises.py:Net", "-o", "zoo.json", "--workers", "1")
    assert code == 0, err
    assert out.strip() == "wrote 2 rows to zoo.json (1 failed)"
    ok, failed = census_file.read(tmp_path / "zoo.json")
    assert ok["status"] == "ok" and failed["status"] == "error" and "no GPU here" in failed["error"]
    _, _, summary_err = run_cli("summary", "raises.py:Net")
    assert summary_err.strip() == f"cnnscope: error: {failed['error']}"


def test_without_output_a_table(run_cli):
    code, out, err = run_cli("census", "--group", "tutorial", "lenet*", "--workers", "1")
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.split()[:4] == ["lenet5", "tutorial", "1×28×28", "61,706"] for line in lines), out
    assert out.split()[:2] == ["model", "group"]


def test_no_work_left(run_cli, tmp_path):
    path = tmp_path / "zoo.json"
    assert run_cli("census", "lenet5", "-o", path, "--workers", "1")[0] == 0
    code, out, err = run_cli("census", "lenet5", "-o", path)
    assert code == 0 and err.strip() == "skipped 1 model already done", err
    assert out.strip() == f"wrote 1 row to {path} (0 failed)"


# -- bad input: one line, non-zero, nothing lost -----------------------------------------------------------

def test_another_census_version_is_refused_untouched(run_cli, tmp_path):
    path = tmp_path / "zoo.json"
    path.write_text(json.dumps({"format": "cnnscope-census", "version": 2, "rows": [{"name": "x"}]}))
    before = path.read_bytes()
    code, out, err = run_cli("census", "lenet5", "-o", path)
    run_cli.assert_one_line_error(code, err, f"{path} is census format 2, this cnnscope reads 1")
    assert code == 1 and path.read_bytes() == before


def test_ray_missing_says_how_to_get_it(run_cli, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)  # importlib.util.find_spec then says: not installed
    code, out, err = run_cli("census", "lenet5", "--ray", "-o", tmp_path / "zoo.json")
    run_cli.assert_one_line_error(code, err, 'pip install "cnnscope[ray]"')
    assert code == 2 and not (tmp_path / "zoo.json").exists()


@pytest.mark.parametrize("argv, fragment", [
    (["nosuch*"], "no model matches 'nosuch*'"),
    (["lenet5", "--group", "tutorial,nogroup"], "unknown group 'nogroup'"),
    (["lenet5", "--timeout", "0"], "--timeout 0.0: must be more than 0 seconds"),
    (["lenet5", "--recycle-after", "0"], "--recycle-after 0: must be at least 1"),
    (["lenet5", "-o", "/dev/null"], "needs a file"),
])
def test_bad_values(run_cli, argv, fragment):
    code, out, err = run_cli("census", *argv)
    run_cli.assert_one_line_error(code, err, fragment)


# -- a real process, stopped midway ---------------------------------------------------------------------

def _rows_when_some(path, process, least: int = 1, limit: float = 120.0) -> list[dict]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and process.poll() is None:
        if path.exists():
            rows = census_file.read(path)  # atomic rewrites: readable at every moment
            if len(rows) >= least:
                return rows
        time.sleep(0.05)
    raise AssertionError(f"no row appeared (exit {process.poll()})")


@pytest.mark.parametrize("stop", [signal.SIGINT, pytest.param(signal.SIGKILL, marks=pytest.mark.slow)],
                         ids=["ctrl-c", "kill"])
def test_a_census_stopped_midway_keeps_its_rows_and_the_rerun_completes_it(stop, run_cli, tmp_path):
    (tmp_path / "slow.py").write_text(SLOW)
    path = tmp_path / "zoo.json"
    process = subprocess.Popen([*run_cli.argv, "census", *SLOW_MODELS, "-o", path.name, "--workers", "1"],
                               cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        _rows_when_some(path, process)
        process.send_signal(stop)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    kept = census_file.read(path)
    assert 1 <= len(kept) < len(SLOW_MODELS), kept
    assert all(r["status"] == "ok" for r in kept)
    if stop == signal.SIGINT:
        assert process.returncode == 130, err
        assert err.strip().splitlines()[-1] == f"interrupted: {len(kept)} rows kept in zoo.json" or \
            err.strip().splitlines()[-1] == f"interrupted: {len(kept)} row kept in zoo.json", err
    else:
        assert process.returncode == -signal.SIGKILL
    again = run_cli.process("census", *SLOW_MODELS, "-o", path.name, "--workers", "1", cwd=tmp_path, env=ENV,
                            timeout=300)
    assert again.returncode == 0, again.stderr
    done = len(kept)
    assert f"skipped {done} model{'s' if done > 1 else ''} already done" in again.stderr
    rows = census_file.read(path)
    assert [r["name"] for r in rows] == SLOW_MODELS and all(r["status"] == "ok" for r in rows)
    assert rows[:done] == kept  # the rows kept were not made again


@pytest.mark.slow
def test_the_ray_path_in_local_mode(run_cli, tmp_path, analyze):
    pytest.importorskip("ray")
    path = tmp_path / "zoo.json"
    code, out, err = run_cli("census", *TUTORIAL, "--ray", "--workers", "2", "-o", path)
    assert code == 0, err
    assert out.strip() == f"wrote 3 rows to {path} (0 failed)"
    rows = census_file.read(path)
    assert [r["name"] for r in rows] == TUTORIAL
    for row in rows:
        expected = expected_from_report(analyze(row["name"]))
        assert {k: row[k] for k in expected} == expected, row["name"]
