"""A finished run's derived numbers, from a hand-built history, and a run folder written and read back."""

import pytest
import torch
from torch import nn

from cnnscope.train.history import EpochRecord, StepRecord, TrainHistory


def hand_built() -> TrainHistory:
    """Three epochs: the best validation accuracy at epoch 2, a worse last epoch."""
    epochs = [EpochRecord(1, 1.20, 0.55, 0.90, 0.60, 2.0, 1e-3, 400.0),
              EpochRecord(2, 0.70, 0.80, 0.50, 0.85, 3.0, 1e-3, 600.0),
              EpochRecord(3, 0.40, 0.90, 0.55, 0.80, 5.0, 1e-4, None)]   # no throughput recorded
    steps = [StepRecord(i, (i - 1) // 2 + 1, 2.0 / i) for i in range(1, 7)]
    return TrainHistory(epochs, steps, {"model": "lenet5", "dataset": "digits", "val_size": 20}, "cpu",
                        status="completed")


def test_best_final_time_and_throughput_of_a_hand_built_history():
    history = hand_built()
    assert history.best_epoch.epoch == 2 and history.best_val_acc == 0.85
    assert history.final_val_acc == 0.80 and history.final_val_loss == 0.55
    assert history.seconds == 10.0
    assert history.images_per_s == 500.0            # the mean of the epochs that recorded one


def test_a_tie_in_accuracy_goes_to_the_lower_loss_then_the_earlier_epoch():
    epochs = [EpochRecord(1, 1.0, 0.5, 0.40, 0.9, 1.0, 0.1), EpochRecord(2, 0.9, 0.6, 0.30, 0.9, 1.0, 0.1),
              EpochRecord(3, 0.8, 0.7, 0.30, 0.9, 1.0, 0.1)]
    history = TrainHistory(epochs)
    assert history.best_epoch.epoch == 2 and history.best_val_acc == 0.9


def test_without_validation_or_epochs_the_derived_numbers_are_none():
    empty = TrainHistory()
    assert (empty.best_epoch, empty.best_val_acc, empty.final_val_acc, empty.final_val_loss, empty.images_per_s) \
        == (None, None, None, None, None) and empty.seconds == 0
    no_val = TrainHistory([EpochRecord(1, 0.9, 0.5, None, None, 1.0, 0.1, 100.0),
                           EpochRecord(2, 0.7, 0.6, None, None, 1.0, 0.1, 300.0)])
    assert no_val.best_epoch.epoch == 2 and no_val.best_val_acc is None and no_val.final_val_acc is None
    assert no_val.images_per_s == 200.0


def test_a_run_folder_written_and_read_back_is_the_same_run(tmp_path):
    from cnnscope.train.checkpoint import load_checkpoint
    from cnnscope.train.run_folder import RUN_FILES, read_run, write_all

    history = hand_built()
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    torch.manual_seed(0)
    best = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    history.best_state = best.state_dict()  # what quick_train keeps: the best epoch's (2's) weights
    written = write_all(tmp_path, model, history, "<html>curves</html>", b"\x89PNG fake")
    assert sorted(p.name for p in written) == sorted(RUN_FILES) == sorted(p.name for p in tmp_path.iterdir())
    kept = load_checkpoint(tmp_path / "best.pt")
    assert kept.epoch == history.best_epoch.epoch == 2
    assert all(torch.equal(kept.state_dict[k], v) for k, v in best.state_dict().items())
    back = read_run(tmp_path)
    assert back == history                            # every epoch, step, the config, device and status
    assert (back.best_val_acc, back.final_val_acc, back.seconds) == (0.85, 0.80, 10.0)
    assert (tmp_path / "loss.png").read_bytes() == b"\x89PNG fake"
    assert (tmp_path / "loss.html").read_text() == "<html>curves</html>"
    assert (tmp_path / "history.csv").read_text().splitlines()[3] == "3,0.4,0.9,0.55,0.8,5.0,0.0001,"
    checkpoint = load_checkpoint(tmp_path / "model.pt")
    assert checkpoint.epoch == 3 and checkpoint.config["model"] == "lenet5"
    for name, tensor in model.state_dict().items():
        assert torch.equal(checkpoint.state_dict[name], tensor)


def test_reading_a_folder_that_is_not_a_run_is_a_usage_error(tmp_path):
    from cnnscope.errors import UsageError
    from cnnscope.train.run_folder import read_run

    with pytest.raises(UsageError, match="not a cnnscope run"):
        read_run(tmp_path)
