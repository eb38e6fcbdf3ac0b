"""A training run as text lines: one per epoch, one per stretch of steps, the final summary.

Shared by the command line's progress display and its closing line; imports no torch.
"""

from __future__ import annotations

from cnnscope.i18n import _, ngettext
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
    parts = [_("epoch {epoch}/{epochs}").format(epoch=record.epoch, epochs=epochs),
             _("train loss {loss:.4f} acc {accuracy}").format(loss=record.train_loss,
                                                            accuracy=percent(record.train_acc))]
    if record.val_acc is not None:
        parts.append(_("val loss {loss:.4f} acc {accuracy}").format(loss=record.val_loss,
                                                                    accuracy=percent(record.val_acc)))
    parts.append(_("{seconds:.1f} s  {rate:,.0f} img/s").format(seconds=record.seconds, rate=rate))
    earlier = [e for e in history.epochs if e.epoch < record.epoch]
    if earlier and earlier[-1].lr != record.lr:
        parts.append(_("lr {lr:g}").format(lr=record.lr))
    best = history.best_epoch
    if earlier and best is not None and best.epoch == record.epoch:
        parts.append(_("* best"))
    return "  ".join(parts)


def step_line(event) -> str:
    """Where a long epoch stands: step, loss, throughput and the time left."""
    eta = event.elapsed / event.step * (event.total_steps - event.step)
    return _("epoch {epoch}/{epochs} step {step}/{steps}  loss {loss:.4f}  {rate:,.0f} img/s  ETA {eta}").format(
        epoch=event.epoch, epochs=event.epochs, step=event.epoch_step, steps=event.steps_per_epoch, loss=event.loss,
        rate=event.images_per_s, eta=clock(eta))


def run_summary(history, seconds: float, folder) -> str:
    """The closing lines of ``cnnscope train``: what was trained, how well, and what was written where."""
    last = history.last
    config = history.config
    rate = history.images_per_s or 0.0
    n = len(history.epochs)
    line = ngettext("{model} on {dataset}: {n} epoch in {seconds:.1f} s ({rate:,.0f} images/s on {device}); "
                    "train loss {loss:.4f}, accuracy {accuracy}",
                    "{model} on {dataset}: {n} epochs in {seconds:.1f} s ({rate:,.0f} images/s on {device}); "
                    "train loss {loss:.4f}, accuracy {accuracy}", n).format(
        model=config.get("model"), dataset=config.get("dataset"), n=n, seconds=seconds, rate=rate,
        device=history.device, loss=last.train_loss, accuracy=percent(last.train_acc))
    if last.val_acc is not None:
        line += _("; validation loss {loss:.4f}, accuracy {accuracy} (best {best})").format(
            loss=last.val_loss, accuracy=percent(last.val_acc), best=percent(history.best_val_acc))
    if history.status != "completed" and history.message:
        line += f" [{history.status}: {history.message}]"
    from pathlib import Path

    from cnnscope.train.run_folder import RUN_FILES

    written = [name for name in RUN_FILES if (Path(folder) / name).is_file()]  # best.pt only when kept
    return line + "\n" + _("wrote {folder}/: {files}").format(folder=folder, files=", ".join(written)) + "\n"
