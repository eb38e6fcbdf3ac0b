"""``cnnscope runs``: two real tiny runs overlaid, their table from the trained models' reports,
and one-line errors for folders that are not runs; plus the bad inputs of ``cnnscope train``."""

import json

import pytest

import cnnscope

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = "in1x8x8,c3-8,relu,flat,fc10"
WIDER = "in1x8x8,c3-16,relu,flat,fc10"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    import torch

    from cnnscope.cli.main import main

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("runs")
    try:
        for name, model, lr in (("a", TINY, "0.01"), ("b", WIDER, "0.003")):
            assert main(["train", model, "--epochs", "2", "--batch-size", "128", "--lr", lr,
                         "--out", str(root / name)]) == 0
    finally:
        torch.set_num_threads(threads)
    return root / "a", root / "b"


def test_two_runs_overlaid_with_a_table_from_the_same_report(run_cli, two_runs, tmp_path):
    a, b = two_runs
    code, out, err = run_cli("runs", a, b, "--format", "json", "-o", tmp_path / "both.html")
    assert code == 0, err
    rows = json.loads(out)
    assert [r["label"] for r in rows] == ["a", "b"] and [r["status"] for r in rows] == ["completed"] * 2
    for row, model in zip(rows, (TINY, WIDER)):
        report = cnnscope.analyze(model)  # the same ModelReport the summary shows
        assert row["params"] == report.totals.params and row["macs"] == report.totals.macs
        assert row["rf"] == report.last_feature_map().rf.size
        history = json.loads((a if model == TINY else b).joinpath("history.json").read_text())
        assert row["final_val_acc"] == history["epochs"][-1]["val_acc"]
        assert row["best_val_acc"] == max(e["val_acc"] for e in history["epochs"]) and row["epochs"] == 2
    page = (tmp_path / "both.html").read_text()
    for trace in ("a: train loss (smoothed)", "b: validation loss", "a: validation accuracy"):
        assert trace in page
    assert "wrote" in err  # the JSON on stdout stays parseable
    code, out, _ = run_cli("runs", a, b, "-o", tmp_path / "both.png")
    assert code == 0 and (tmp_path / "both.png").read_bytes()[:4] == b"\x89PNG"
    assert "Best val acc" in out and "61,706" not in out and f"wrote {tmp_path / 'both.png'}" in out


def test_the_overlay_figure_has_one_colour_and_three_curves_per_run(two_runs):
    from cnnscope.train.run_folder import read_run
    from cnnscope.vis.training_curves import runs_figure

    runs = {p.name: read_run(p) for p in two_runs}
    names = [t.name for t in runs_figure(runs).data]
    assert names.count("a: train loss (smoothed)") == 1 and "b: validation accuracy" in names
    colours = {t.line.color for t in runs_figure(runs).data if t.name.startswith("a:") and t.mode != "markers"}
    assert len(colours) == 1


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p / "missing", "no such run folder"),
    (lambda p: p, "not a cnnscope run (no history.json)"),
    (lambda p: (p / "file.txt").write_text("x") and p / "file.txt", "not a folder"),
    (lambda p: (p / "history.json").write_text("{broken") and p, "history.json: unreadable"),
    (lambda p: (p / "history.json").write_text('{"a": 1}') and p, "not a cnnscope training history"),
])
def test_a_folder_that_is_not_a_run_is_one_line(run_cli, two_runs, tmp_path, make, fragment):
    bad = make(tmp_path)
    output = tmp_path / "out.html"
    code, _, err = run_cli("runs", two_runs[0], bad, "-o", output)
    assert code == 2
    run_cli.assert_one_line_error(code, err, fragment)
    assert not output.exists()


def test_runs_output_must_be_html_or_png_and_never_a_run_file(run_cli, two_runs):
    a, _ = two_runs
    before = (a / "loss.png").read_bytes()
    code, _, err = run_cli("runs", a, "-o", a / "history.json")
    run_cli.assert_one_line_error(code, err, "unknown suffix .json; choose .html, .htm or .png")
    code, _, err = run_cli("runs", a, "-o", a / "loss.png")
    run_cli.assert_one_line_error(code, err, "is a file of the run folder")
    assert (a / "loss.png").read_bytes() == before


@pytest.mark.parametrize("argv, fragment", [
    (["--epochs", "0"], "--epochs 0: must be at least 1"),
    (["--lr", "-1"], "--lr -1.0: must be positive"),
    (["--batch-size", "0"], "--batch-size 0: must be at least 1"),
    (["--dataset", "minst"], "unknown data set 'minst'"),
    (["--dataset", "folder:{tmp}/nowhere"], "nowhere"),
    (["--dataset", "folder:{tmp}/empty"], "empty"),
])
def test_bad_train_input_is_one_line_and_keeps_an_earlier_run(run_cli, two_runs, tmp_path, argv, fragment):
    (tmp_path / "empty").mkdir()
    a, _ = two_runs
    before = {p.name: p.read_bytes() for p in a.iterdir()}
    argv = [x.replace("{tmp}", str(tmp_path)) for x in argv]
    code, _, err = run_cli("train", TINY, "--out", a, *argv)
    run_cli.assert_one_line_error(code, err, fragment.replace("{tmp}", str(tmp_path)), last=True)
    assert {p.name: p.read_bytes() for p in a.iterdir()} == before  # nothing already written is lost


def test_a_run_that_breaks_mid_way_is_one_line_and_keeps_its_files_as_failed(run_cli, tmp_path):
    source = tmp_path / "flaky.py"
    source.write_text("import torch.nn as nn\n"
                      "class Net(nn.Module):\n"
                      "    input_shape = (1, 8, 8)\n"
                      "    def __init__(self):\n"
                      "        super().__init__()\n"
                      "        self.body = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))\n"
                      "        self.calls = 0\n"
                      "    def forward(self, x):\n"
                      "        if self.training:\n"
                      "            self.calls += 1\n"
                      "            if self.calls == 50:\n"
                      "                raise RuntimeError('out of memory (pretend)')\n"
                      "        return self.body(x)\n")
    out = tmp_path / "run"
    code, _, err = run_cli("train", f"{source}:Net", "--epochs", "3", "--out", out)
    assert code == 1
    run_cli.assert_one_line_error(code, err, "training failed at step 49 (RuntimeError: out of memory (pretend))",
                                  "epoch 1's weights are kept", str(out), last=True)
    history = json.loads((out / "history.json").read_text())
    assert history["status"] == "failed" and len(history["epochs"]) == 1 and len(history["steps"]) == 49
    import torch

    assert torch.load(out / "model.pt", weights_only=True)["epoch"] == 1
    code, table, _ = run_cli("runs", out, "--no-arch")
    assert code == 0 and "failed" in table
