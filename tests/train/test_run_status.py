"""Issue 12: the run's status in history.json, per-epoch throughput, partial epochs placed at their
true fraction, no torch._dynamo import in an eager run."""

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

from cnnscope.train import TrainingDiverged, TrainingFailed, quick_train
from cnnscope.train.history import EpochRecord, StepRecord, TrainHistory
from cnnscope.vis import training_curves

pytestmark = pytest.mark.usefixtures("one_thread")


def blobs(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.randn(n, 1, 4, 4, generator=g) * 0.5 + (y.float() * 2 - 1).view(-1, 1, 1, 1)
    return x, y


def tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 2))


def test_status_of_each_way_a_run_ends():
    x, y = blobs()
    data = (x[:48], y[:48], x[48:], y[48:])
    assert json.loads(quick_train(tiny_net(), data, epochs=1, batch_size=16).to_json())["status"] == "completed"
    stopped = quick_train(tiny_net(), data, epochs=3, batch_size=16, stop=lambda: True)
    assert json.loads(stopped.to_json())["status"] == "interrupted"
    with pytest.raises(TrainingDiverged) as diverged:
        quick_train(tiny_net(), data, epochs=2, batch_size=16, optimizer="sgd", lr=1e6)
    assert json.loads(diverged.value.history.to_json())["status"] == "diverged"

    def broken(event):
        if event.step == 5:
            raise RuntimeError("CUDA out of memory (pretend)\nsecond line")

    model = tiny_net()
    with pytest.raises(TrainingFailed) as failed:
        quick_train(model, data, epochs=3, batch_size=16, on_step=broken)
    history = failed.value.history
    assert history.status == "failed" and json.loads(history.to_json())["status"] == "failed"
    assert "failed at step 5 (RuntimeError: CUDA out of memory (pretend))" in str(failed.value)
    assert isinstance(failed.value.__cause__, RuntimeError)
    assert len(history.epochs) == 1 and len(history.steps) == 5  # the history so far is kept
    assert TrainHistory.from_dict(history.to_dict()).status == "failed"
    assert TrainHistory.from_dict({"epochs": [], "steps": [], "config": {}}).status == "unknown"  # older files


def test_per_epoch_fields_and_throughput():
    x, y = blobs()
    history = quick_train(tiny_net(), (x[:48], y[:48], x[48:], y[48:]), epochs=2, batch_size=16)
    for epoch in json.loads(history.to_json())["epochs"]:
        assert {"train_loss", "val_loss", "val_acc", "seconds", "images_per_s"} <= set(epoch)
        assert epoch["images_per_s"] > 0 and epoch["seconds"] > 0 and epoch["val_loss"] > 0
    assert history.images_per_s == pytest.approx(sum(e.images_per_s for e in history.epochs) / 2)


def test_a_partial_epoch_is_placed_at_its_true_fraction():
    """4 steps a full epoch; epoch 2 stopped after 1 step: its step sits at 1.25, not at 2.0."""
    steps = [StepRecord(i, 1, 1.0 - i / 10) for i in range(1, 5)] + [StepRecord(5, 2, 0.5)]
    history = TrainHistory([EpochRecord(1, 0.8, 0.5, 0.7, 0.6, 1.0, 1e-3)], steps,
                           config={"steps_per_epoch": 4}, status="interrupted")
    assert training_curves.step_positions(history) == [0.25, 0.5, 0.75, 1.0, 1.25]
    series = training_curves.curves(history)
    assert series["step loss"][0] == [0.25, 0.5, 0.75, 1.0, 1.25]
    assert series["validation loss"] == ([1], [0.7]) and series["best epoch"] == ([1], [0.6])
    # a real run stopped in the middle of its second epoch: same rule, from the config the loop records
    x, y = blobs()
    seen = []
    run = quick_train(tiny_net(), (x[:48], y[:48], x[48:], y[48:]), epochs=3, batch_size=16,
                      on_step=seen.append, stop=lambda: len(seen) >= 4)
    assert run.config["steps_per_epoch"] == 3 and len(run.steps) == 4
    assert training_curves.step_positions(run) == pytest.approx([1 / 3, 2 / 3, 1.0, 4 / 3])


def test_smoothing_best_epoch_and_learning_rate_series():
    assert training_curves.smooth([1.0, 1.0, 1.0], 5) == pytest.approx([1.0, 1.0, 1.0])  # debiased
    epochs = [EpochRecord(1, 1.0, 0.5, 0.9, 0.70, 1.0, 0.1), EpochRecord(2, 0.8, 0.6, 0.8, 0.80, 1.0, 0.01),
              EpochRecord(3, 0.7, 0.7, 0.85, 0.80, 1.0, 0.01)]
    history = TrainHistory(epochs, [StepRecord(i, (i - 1) // 2 + 1, 1.0) for i in range(1, 7)],
                           config={"steps_per_epoch": 2})
    assert history.best_epoch.epoch == 2  # 0.80 twice: the lower validation loss wins
    series = training_curves.curves(history)
    assert series["learning rate"] == ([1, 2, 3], [0.1, 0.01, 0.01])
    constant = TrainHistory([EpochRecord(1, 1.0, 0.5, None, None, 1.0, 0.1)], [StepRecord(1, 1, 1.0)])
    assert training_curves.curves(constant)["learning rate"] == ([], [])  # drawn only when it changes
    assert training_curves.loss_png(history)[:4] == b"\x89PNG"
    assert "learning rate" in training_curves.loss_html(history)


def test_an_eager_run_never_imports_torch_dynamo():
    """torch.optim imports dynamo (1-3.5 s) from add_param_group/zero_grad/step unless bypassed."""
    code = ("import sys, torch; from torch import nn\n"
            "from cnnscope.train import quick_train\n"
            "m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))\n"
            "x, y = torch.randn(32, 1, 4, 4), torch.randint(0, 2, (32,))\n"
            "for name in ('adam', 'sgd', 'adamw'):\n"
            "    h = quick_train(m, (x, y), epochs=2, batch_size=8, optimizer=name)\n"
            "print('torch._dynamo' in sys.modules, h.status)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "OMP_NUM_THREADS": "1"})
    assert out.stdout.split() == ["False", "completed"], out.stderr


def test_the_unwrapped_optimizer_step_gives_the_same_weights_as_torchs_own():
    from cnnscope.train.loop import _eager_optimizer, make_optimizer

    results = []
    for compiling in (False, True):  # True: torch's own zero_grad/step
        model = tiny_net()
        opt = make_optimizer("adam", model.parameters(), 1e-2)
        zero_grad, step = _eager_optimizer(opt, compiling)
        x, y = blobs(16)
        for _ in range(3):
            zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            step()
        results.append(model.state_dict())
    assert all(torch.equal(results[0][k], results[1][k]) for k in results[0])


def test_cuda_defaults_are_decided_without_a_gpu():
    """The CUDA path's choices, checked on the CPU (CI has no GPU)."""
    from cnnscope.train.loop import _amp_mode

    assert _amp_mode("auto", torch.device("cpu")) is None and _amp_mode("bf16", torch.device("cpu")) == "bf16"
    assert _amp_mode(None, torch.device("cuda")) is None
    x, y = blobs()
    history = quick_train(tiny_net(), (x, y), epochs=1, batch_size=16, amp="auto")
    assert history.config["amp"] is None and history.config["compile"] is False
    assert history.config["channels_last"] is False  # off on the CPU by default (measured slower)


def test_the_epoch_line_marks_the_best_epoch_and_a_changed_learning_rate():
    from cnnscope.export.training_text import epoch_line

    epochs = [EpochRecord(1, 1.0, 0.5, 0.9, 0.70, 1.0, 0.1, 100.0), EpochRecord(2, 0.8, 0.6, 0.8, 0.80, 1.0, 0.01, 90.0),
              EpochRecord(3, 0.7, 0.7, 0.85, 0.75, 1.0, 0.01, 80.0)]
    lines = [epoch_line(e, TrainHistory(epochs[:i + 1], config={"epochs": 3})) for i, e in enumerate(epochs)]
    assert not lines[0].endswith("best") and lines[1].endswith("90 img/s  lr 0.01  * best")
    assert lines[2].endswith("80 img/s")
