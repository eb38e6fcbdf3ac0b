"""``cnnscope train``: the run folder's files, one-line errors, divergence and Ctrl-C keep the history."""

import json
import signal
import subprocess
import time

import pytest
import torch

pytestmark = pytest.mark.usefixtures("one_thread")


TINY = "in1x8x8,c3-8,relu,flat,fc10"  # digits at their own size: a run takes a fraction of a second
FILES = {"history.json", "history.csv", "model.pt", "best.pt", "loss.html", "loss.png"}


@pytest.fixture
def train(run_cli, tmp_path):
    """``train(*options, model=TINY)``: ``cnnscope train MODEL --out tmp/run *options``."""
    def run(*extra, model=TINY, folder=tmp_path):
        return run_cli("train", model, "--out", folder / "run", *extra)

    return run


def test_a_run_writes_every_file(train, tmp_path):
    code, out, err = train("--epochs", "3", "--batch-size", "64", "--lr", "0.01")
    assert code == 0, err
    run = tmp_path / "run"
    assert {p.name for p in run.iterdir()} == FILES
    history = json.loads((run / "history.json").read_text())
    assert set(history) == {"status", "message", "epochs", "steps", "config", "device"}
    assert history["status"] == "completed"
    assert [e["epoch"] for e in history["epochs"]] == [1, 2, 3]
    assert len(history["steps"]) == 3 * 23  # 1,438 training images in batches of 64
    assert history["config"]["model"] == TINY and history["config"]["dataset"] == "digits"
    assert history["config"]["lr"] == 0.01 and history["config"]["seed"] == 0
    assert history["epochs"][-1]["val_acc"] > 0.85  # measured 0.967
    assert (run / "history.csv").read_text().count("\n") == 4
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "plotly" in (run / "loss.html").read_text()[:200_000].lower()
    checkpoint = torch.load(run / "model.pt", weights_only=True)
    assert checkpoint["epoch"] == 3 and checkpoint["config"]["num_classes"] == 10
    assert "3 epochs" in out and "validation loss" in out and str(run) in out
    assert "epoch 3/3" in err  # plain progress lines when stderr is not a terminal


def test_same_seed_same_history(train, tmp_path):
    train("--epochs", "2", "--seed", "5", folder=tmp_path / "a")
    train("--epochs", "2", "--seed", "5", folder=tmp_path / "b")
    a, b = (json.loads((tmp_path / x / "run" / "history.json").read_text()) for x in "ab")
    assert a["steps"] == b["steps"]
    assert [e["val_loss"] for e in a["epochs"]] == [e["val_loss"] for e in b["epochs"]]


def test_divergence_is_one_line_non_zero_and_keeps_the_history(train, run_cli, tmp_path):
    code, out, err = train("--optimizer", "sgd", "--lr", "1e6", "--epochs", "3")
    run_cli.assert_one_line_error(code, err, "training diverged", "lower the learning rate", "try 100000", "run/",
                                  last=True)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history["status"] == "diverged" and "training diverged" in history["message"]
    assert history["steps"] and history["epochs"] == []
    assert torch.load(tmp_path / "run" / "model.pt", weights_only=True)["epoch"] == 0  # the initial weights
    assert (tmp_path / "run" / "loss.png").exists()


@pytest.mark.parametrize("argv, fragments", [
    (["--dataset", "imagenet"], ["unknown data set 'imagenet'", "folder:PATH"]),
    (["--dataset", "fashion-mnist", "--data-root", "{tmp}/d"], [
        "fashion-mnist not found", "train-images-idx3-ubyte", "{tmp}/d/FashionMNIST/raw/"]),
    (["--val-split", "1"], ["--val-split 1.0"]),
    (["--lr", "-1"], ["--lr -1.0: must be positive"]),
    (["--batch-size", "0"], ["--batch-size 0"]),
])
def test_bad_input_is_one_line(train, run_cli, tmp_path, argv, fragments):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = train(*argv)
    run_cli.assert_one_line_error(code, err, *[f.replace("{tmp}", str(tmp_path)) for f in fragments], last=True)
    assert not (tmp_path / "run").exists()  # nothing written for a run that never started


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_one_line(train, run_cli):
    code, _, err = train("--device", "cuda")
    run_cli.assert_one_line_error(code, err, "no CUDA GPU is visible", "--device cpu", last=True)


def test_a_model_that_cannot_take_the_data(train, run_cli, tmp_path):
    source = tmp_path / "net.py"
    source.write_text("import torch.nn as nn\n"
                      "class Net(nn.Sequential):\n"
                      "    def __init__(self):\n"
                      "        super().__init__(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(144, 10))\n")
    code, _, err = train(model=f"{source}:Net")
    run_cli.assert_one_line_error(code, err, "cannot take 1×8×8 images", last=True)


def test_head_replacement_is_reported(train):
    code, _, err = train("--epochs", "1", model="in1x8x8,c3-8,relu,flat,fc4")
    assert code == 0
    assert "note: replaced the last Linear layer" in err and "4 → 10 outputs" in err


def test_help_lists_every_option(run_cli):
    code, text, _ = run_cli("train", "--help")
    assert code == 0
    for option in ("--dataset", "--data-root", "--download", "--epochs", "--batch-size", "--lr", "--optimizer",
                   "--momentum", "--device", "--seed", "--val-split", "--amp", "--channels-last", "--compile", "--out"):
        assert option in text


@pytest.mark.slow
def test_ctrl_c_keeps_the_history_and_the_last_good_checkpoint(run_cli, tmp_path):
    """A real SIGINT to a real process (about 10 s: interpreter start, torch import, an epoch)."""
    out = tmp_path / "run"
    process = subprocess.Popen(run_cli.argv + ["train", "lenet5", "--epochs", "1000", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (out / "model.pt").exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted at step" in err and "Traceback" not in err
    history = json.loads((out / "history.json").read_text())
    assert history["status"] == "interrupted"
    epochs = len(history["epochs"])
    assert epochs >= 1 and len(history["steps"]) >= epochs * 45
    assert torch.load(out / "model.pt", weights_only=True)["epoch"] == epochs
    assert {p.name for p in out.iterdir()} == FILES


@pytest.mark.slow
def test_lenet5_reaches_95_percent_on_digits_as_a_whole_process(run_cli, tmp_path):
    """The speed target's command; the 30 s target itself is measured by benchmarks/train.py."""
    started = time.perf_counter()
    done = run_cli.process("train", "lenet5", "--dataset", "digits", "--out", tmp_path / "run", timeout=300)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history["epochs"][-1]["val_acc"] >= 0.95  # measured 97.2% (seed 0)
    assert seconds < 90  # generous: this shared 2-core machine is often loaded; quiet, it takes ~10 s
