"""A training run as text lines: one per epoch, one per stretch of steps, the final summary.

Shared by the command line's progress display and its closing line; imports no torch.
"""

from __future__ import annotations

from cnnscope.units import percent


def clock(seconds: float) -> str:
    """Seconds as m:ss."""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def epoch_line(record, history) -> str:
    """``epoch 3/10  train loss 0.1234 acc 96.1%  val loss ... acc ...  1.2 s  5,000 img/s  * best``.

    ``* best`` marks the best epoch so far (``TrainHistory.best_epoch``), from the second epoch on;
    ``lr ...`` appears when the learning rate differs from the previous epoch's."""
    epochs = history.config.get("epochs", "?")
    rate = record.images_per_s or 0.0
    line = f"epoch {record.epoch}/{epochs}  train loss {record.train_loss:.4f} acc {percent(record.train_acc)}"
    if record.val_acc is not None:
        line += f"  val loss {record.val_loss:.4f} acc {percent(record.val_acc)}"
    line += f"  {record.seconds:.1f} s  {rate:,.0f} img/s"
    earlier = [e for e in history.epochs if e.epoch < record.epoch]
    if earlier and earlier[-1].lr != record.lr:
        line += f"  lr {record.lr:g}"
    best = history.best_epoch
    if earlier and best is not None and best.epoch == record.epoch:
        line += "  * best"
    return line


def step_line(event) -> str:
    """Where a long epoch stands: step, loss, throughput and the time left."""
    eta = event.elapsed / event.step * (event.total_steps - event.step)
    return (f"epoch {event.epoch}/{event.epochs} step {event.epoch_step}/{event.steps_per_epoch}"
            f"  loss {event.loss:.4f}  {event.images_per_s:,.0f} img/s  ETA {clock(eta)}")


def run_summary(history, seconds: float, folder) -> str:
    """The closing lines of ``cnnscope train``: what was trained, how well, and what was written where."""
    last = history.last
    config = history.config
    rate = history.images_per_s or 0.0
    line = (f"{config.get('model')} on {config.get('dataset')}: {len(history.epochs)} epochs in {seconds:.1f} s "
            f"({rate:,.0f} images/s on {history.device}); train loss {last.train_loss:.4f}, "
            f"accuracy {percent(last.train_acc)}")
    if last.val_acc is not None:
        line += (f"; validation loss {last.val_loss:.4f}, accuracy {percent(last.val_acc)} "
                 f"(best {percent(history.best_val_acc)})")
    if history.status != "completed" and history.message:
        line += f" [{history.status}: {history.message}]"
    from pathlib import Path

    from cnnscope.train.run_folder import RUN_FILES

    written = [name for name in RUN_FILES if (Path(folder) / name).is_file()]  # best.pt only when kept
    return line + f"\nwrote {folder}/: {', '.join(written)}\n"
