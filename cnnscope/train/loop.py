"""``quick_train``: a short supervised training run that reports through callbacks and never prints.

Where the time goes, and what this loop does about it:

* **No DataLoader.** The data is a tensor; an epoch is one ``randperm`` and each step one index
  gather (``x[idx]``), instead of ``batch_size`` ``__getitem__`` calls and a ``torch.stack``.
* **Resident data.** On a GPU, data that fits (by default up to a quarter of the free memory)
  is copied to the device once; otherwise each batch is gathered on the host, pinned and copied
  asynchronously.  Data kept in source form is adapted per batch *on the device*.
* **Few host syncs.** Step losses stay on the device and are read back in one transfer every
  ``sync_every`` steps (50 on CUDA; 1 on the CPU, where reading a number costs nothing).
  Training accuracy is accumulated on the device and read once per epoch.
* **Fused optimizers** (one kernel for all parameters) on the CPU and on CUDA.
* **channels_last** by default on CUDA for convolutional nets that can run so (tensor-core
  kernels want NHWC), with ``amp="auto"`` meaning bf16 autocast where the GPU supports it; off
  by default on the CPU, where NHWC made LeNet-5 steps slower (docs/benchmarks.md).
* **No torch._dynamo import** unless ``compile=True``: ``torch.optim`` imports it lazily (about
  1–3.5 s) from ``add_param_group``, ``zero_grad`` and ``step``'s graph-break wrappers, which only
  matter under ``torch.compile``; eager runs call the unwrapped methods (:func:`_eager_optimizer`).

Reproducibility: with ``seed`` set, the global RNG (dropout, the model's own randomness) and the
shuffling generator are seeded, so two CPU runs with the same seed, data and thread count give
bit-identical losses and weights.
"""

from __future__ import annotations

import inspect
import math
import sys
import time
from contextlib import contextmanager, nullcontext
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from cnnscope.errors import CnnscopeError
from cnnscope.train.adapt import logits_of
from cnnscope.train.data import TrainData
from cnnscope.train.divergence import DivergenceMonitor
from cnnscope.train.errors import (DeviceError, ModelDataMismatch, TrainingDiverged, TrainingFailed,
                                   TrainingInterrupted)
from cnnscope.train.history import EpochRecord, StepEvent, StepRecord, TrainHistory
from cnnscope.i18n import _

OPTIMIZERS = ("sgd", "adam", "adamw")
DEFAULT_LR = {"sgd": 0.01, "adam": 1e-3, "adamw": 1e-3}
AMP_MODES = (None, "bf16", "auto")


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    if isinstance(name, torch.device):
        name = str(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(_("device {name!r}: no CUDA GPU is visible to PyTorch (torch {version}, CUDA build "
                                "{value}); use --device cpu or auto").format(
                                  name=name, version=torch.__version__, value=torch.version.cuda or 'none'))
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise DeviceError(_("unknown device {name!r}: use auto, cpu or cuda").format(name=name))


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    threads = torch.get_num_threads()
    return f"cpu ({threads} thread{'s' * (threads != 1)})"


def make_optimizer(name: str, params, lr: float, momentum: float = 0.9, weight_decay: float | None = None,
                   device: torch.device | None = None) -> torch.optim.Optimizer:
    """The fused implementation where PyTorch has one (CPU and CUDA since torch 2.4; for LeNet-5
    on the CPU it takes 0.3 ms a step against 0.77 ms for the default for-loop Adam)."""
    params = list(params)
    if name == "sgd":
        make, options = torch.optim.SGD, {"momentum": momentum, "weight_decay": weight_decay or 0.0}
    elif name == "adam":
        make, options = torch.optim.Adam, {"weight_decay": weight_decay or 0.0}
    elif name == "adamw":
        make, options = torch.optim.AdamW, {"weight_decay": 0.01 if weight_decay is None else weight_decay}
    else:
        raise ValueError(f"unknown optimizer {name!r}: use one of {', '.join(OPTIMIZERS)}")
    with _no_dynamo_import(torch.optim.Optimizer.add_param_group):
        if all(p.is_floating_point() and p.device.type in ("cpu", "cuda") for p in params):
            try:
                return make(params, lr=lr, fused=True, **options)
            except (RuntimeError, ValueError):  # a dtype or device without a fused kernel
                pass
        return make(params, lr=lr, **options)


@contextmanager
def _no_dynamo_import(method):
    """Call a ``torch._disable_dynamo``-wrapped method of torch without importing torch._dynamo.

    The wrapper imports dynamo on its first call only to mark the method "do not compile"; it
    caches the marked function as ``fn.__dynamo_disable``.  Pre-seeding that cache with the plain
    function inside this block skips the import; the cache is removed again afterwards, so that
    code that compiles later gets torch's own behaviour.  Does nothing once dynamo is loaded."""
    fn = getattr(method, "__wrapped__", None)
    if fn is None or "torch._dynamo" in sys.modules or hasattr(fn, "__dynamo_disable"):
        yield
        return
    fn.__dynamo_disable = fn
    try:
        yield
    finally:
        try:
            del fn.__dynamo_disable
        except AttributeError:
            pass


def _eager_optimizer(opt: torch.optim.Optimizer, compiling: bool):
    """``(zero_grad, step)`` for an eager run: ``step`` is the optimizer class's own ``step`` under
    ``no_grad`` without torch's profiler/hook and graph-break wrappers (whose first call imports
    torch._dynamo); ``zero_grad`` sets the gradients to None.  Under ``torch.compile``, or for an
    optimizer with step hooks or ``differentiable=True``, torch's own methods."""
    import torch.optim.optimizer as optimizer_module

    params = [p for group in opt.param_groups for p in group["params"]]
    raw = inspect.unwrap(type(opt).step)
    if (compiling or "torch._dynamo" in sys.modules or opt.defaults.get("differentiable")
            or raw is type(opt).step or opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks
            or getattr(optimizer_module, "_global_optimizer_pre_hooks", None)
            or getattr(optimizer_module, "_global_optimizer_post_hooks", None)):
        return (lambda: opt.zero_grad(set_to_none=True)), opt.step

    def zero_grad() -> None:
        for p in params:
            p.grad = None

    def step() -> None:
        with torch.no_grad():
            raw(opt)

    return zero_grad, step


def quick_train(model: nn.Module, data, *, epochs: int = 10, batch_size: int = 32, lr: float | None = None,
                optimizer: str = "adam", momentum: float = 0.9, weight_decay: float | None = None,
                device: str | torch.device = "cpu", seed: int | None = 0, amp: str | None = None,
                channels_last: bool | None = None, sync_every: int | None = None,
                on_step: Callable[[StepEvent], None] | None = None,
                on_epoch: Callable[[EpochRecord, TrainHistory], None] | None = None,
                stop=None, divergence_factor: float = 10.0, config: dict | None = None,
                resident_fraction: float = 0.25, compile: bool = False) -> TrainHistory:
    """Train ``model`` in place on ``data`` with cross-entropy; return its :class:`TrainHistory`.

    ``data``: a :class:`TrainData`, ``(x, y)`` or ``(x, y, x_val, y_val)``.
    ``on_step(event)`` runs after every step (on CUDA, in bursts of ``sync_every``);
    ``on_epoch(record, history)`` after every epoch's validation.
    ``stop``: a ``threading.Event`` (or anything with ``is_set()``, or a no-argument callable);
    once set, the run finishes the current step, validates, and returns with status
    ``interrupted`` (its message says it was a stop request).
    ``amp``: None (off), ``"bf16"`` (autocast), or ``"auto"`` (bf16 on a CUDA GPU that supports
    it, else off).  ``channels_last``: None chooses (on for conv nets on CUDA, off on the CPU).
    ``compile``: run the model through ``torch.compile`` (imports torch._dynamo and inductor).

    Raises :class:`TrainingDiverged` (history attached, model back at its last good weights: the
    end of the last completed epoch), :class:`TrainingInterrupted` on Ctrl-C (likewise) and
    :class:`TrainingFailed` when the run breaks in the middle (history status ``failed``, the
    original error as ``__cause__``).
    """
    _check_arguments(optimizer, amp, epochs, batch_size)
    training = _Training(model, data, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
                         momentum=momentum, weight_decay=weight_decay, device=device, seed=seed, amp=amp,
                         channels_last=channels_last, sync_every=sync_every, on_step=on_step, on_epoch=on_epoch,
                         stop=stop, divergence_factor=divergence_factor, config=config,
                         resident_fraction=resident_fraction, compile=compile)
    try:
        training.run_epochs()
    except _Diverged as diverged:
        raise training.diverged(str(diverged)) from None
    except KeyboardInterrupt:
        raise training.interrupted() from None
    except Exception as error:
        failure = training.failed(error)
        if isinstance(error, CnnscopeError):  # already one line for the user: keep its type
            error.history = training.history
            raise
        raise failure from error
    finally:
        training.restore_model()
    return training.history


def _check_arguments(optimizer: str, amp: str | None, epochs: int, batch_size: int) -> None:
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}: use one of {', '.join(OPTIMIZERS)}")
    if amp not in AMP_MODES:
        raise ValueError(f"amp must be None, 'bf16' or 'auto', not {amp!r}")
    if epochs < 1 or batch_size < 1:
        raise ValueError("epochs and batch_size must be at least 1")


class _Training:
    """One ``quick_train`` run: its set-up, epochs, steps, history and how it ends.

    Per step the loop makes one call (``train_step``); losses are read back from the device in
    bursts (``record_steps``), every ``sync_every`` steps, at the end of an epoch or on a stop.
    """

    def __init__(self, model: nn.Module, data, *, epochs, batch_size, lr, optimizer, momentum, weight_decay,
                 device, seed, amp, channels_last, sync_every, on_step, on_epoch, stop, divergence_factor,
                 config, resident_fraction, compile=False):
        dev = resolve_device(device)
        amp = _amp_mode(amp, dev)
        data = TrainData.coerce(data)
        lr = DEFAULT_LR[optimizer] if lr is None else float(lr)
        self.model, self.data, self.epochs, self.optimizer_name, self.lr = model, data, epochs, optimizer, lr
        self.run = run = _Run(model, data, dev, batch_size, channels_last, amp, resident_fraction)
        self.history = TrainHistory(config={**(config or {}), **_loop_config(
            epochs, batch_size, lr, optimizer, momentum, weight_decay, seed, amp, channels_last, data, run),
            "compile": bool(compile)},
            device=describe_device(dev))
        if seed is not None:
            torch.manual_seed(seed)
            run.generator.manual_seed(seed)
        else:
            run.generator.seed()
        self.opt = make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay, dev)
        self.zero_grad, self.opt_step = _eager_optimizer(self.opt, compile)
        self.forward = torch.compile(model) if compile else model
        self.sync_every = sync_every or (1 if dev.type == "cpu" else 50)
        self.monitor = DivergenceMonitor(divergence_factor)
        self.stop_requested = _stop_check(stop)
        self.on_step, self.on_epoch = on_step, on_epoch
        self.was_training = model.training
        self.good = _snapshot(model)  # the weights to go back to: the end of the last completed epoch
        self.total_steps = run.steps_per_epoch * epochs
        self.step = 0
        self.train_seconds = 0.0
        self.images_seen = 0

    def run_epochs(self) -> None:
        for epoch in range(1, self.epochs + 1):
            if self.run_epoch(epoch):
                self.history.status = "interrupted"
                self.history.message = f"stopped on request after step {self.step}"
                return
        self.history.status = "completed"

    def run_epoch(self, epoch: int) -> bool:
        """One epoch's steps, then its validation and record; True when a stop was requested."""
        self.model.train()
        started = time.perf_counter()
        pending: list[tuple[torch.Tensor, int]] = []
        loss_total, count = 0.0, 0
        correct = torch.zeros((), dtype=torch.long, device=self.run.device)
        steps_per_epoch, sync_every, stop_requested = self.run.steps_per_epoch, self.sync_every, self.stop_requested
        stopping = False
        for epoch_step, (xb, yb) in enumerate(self.run.batches(), start=1):
            pending.append((self.train_step(xb, yb, correct), epoch_step))
            self.images_seen += len(yb)
            count += len(yb)
            stopping = stop_requested()
            if len(pending) >= sync_every or epoch_step == steps_per_epoch or stopping:
                loss_total = self.record_steps(epoch, pending, started, loss_total)
                pending.clear()
                stopping = stopping or stop_requested()  # a callback may just have asked
            if stopping:
                break
        self.end_epoch(epoch, started, loss_total, count, correct)
        return stopping

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
        """Forward, backward, optimizer step; adds the batch's hits to ``correct`` on the device."""
        with self.run.autocast():
            out = logits_of(self.forward(xb))
            loss = F.cross_entropy(out, yb)
        self.zero_grad()
        loss.backward()
        self.opt_step()
        correct += (out.detach().argmax(1) == yb).sum()
        return loss.detach()

    def record_steps(self, epoch: int, pending: list[tuple[torch.Tensor, int]], started: float,
                     loss_total: float) -> float:
        """Read the pending losses back in one transfer, record them, check for divergence and report
        each step; return ``loss_total`` plus the losses weighted by their batch sizes."""
        losses = _read(pending)
        elapsed = self.train_seconds + time.perf_counter() - started
        rate = self.images_seen / elapsed if elapsed > 0 else 0.0
        batch_sizes = self.run.batch_sizes
        for value, at in losses:
            self.step += 1
            loss_total += value * batch_sizes[at - 1]
            self.history.steps.append(StepRecord(self.step, epoch, value))
            reason = self.monitor.update(self.step, epoch, value)
            if reason:
                raise _Diverged(reason)
            if self.on_step is not None:
                self.on_step(StepEvent(self.step, epoch, value, at, self.run.steps_per_epoch, self.total_steps,
                                       self.epochs, rate, elapsed))
        return loss_total

    def end_epoch(self, epoch: int, started: float, loss_total: float, count: int, correct: torch.Tensor) -> None:
        """Validate, record the epoch, keep its weights as the last good ones, and report it."""
        epoch_train = time.perf_counter() - started
        self.train_seconds += epoch_train
        val_loss, val_acc = self.run.evaluate(self.model) if self.data.has_val else (None, None)
        rate = count / epoch_train if epoch_train > 0 else 0.0
        record = EpochRecord(epoch, loss_total / max(count, 1), int(correct.item()) / max(count, 1),
                             val_loss, val_acc, time.perf_counter() - started, self.opt.param_groups[0]["lr"], rate)
        self.history.epochs.append(record)
        self.good = _snapshot(self.model)
        if self.history.best_epoch is record:
            # the best validation epoch so far: its weights kept as a CPU copy (memory: one extra
            # state_dict), for ``best.pt`` and the app's "best epoch" choice
            self.history.best_state = _snapshot(self.model, "cpu")
        if self.on_epoch is not None:
            self.on_epoch(record, self.history)

    def _kept(self) -> str:
        return f"epoch {len(self.history.epochs)}'s" if self.history.epochs else "the initial"

    def diverged(self, reason: str) -> TrainingDiverged:
        """Back to the last good weights; the error to raise, with the history attached."""
        self.model.load_state_dict(self.good)
        history = self.history
        history.status = "diverged"
        history.message = (f"training diverged: {reason} with {self.optimizer_name} at lr {self.lr:g}; lower the "
                           f"learning rate (try {self.lr / 10:g}). The history so far and {self._kept()} weights "
                           "are kept")
        return TrainingDiverged(history.message, history)

    def interrupted(self) -> TrainingInterrupted:
        """Back to the last good weights after Ctrl-C; the error to raise, with the history attached."""
        self.model.load_state_dict(self.good)
        self.history.status = "interrupted"
        self.history.message = (f"interrupted at step {self.step}; the history so far and {self._kept()} "
                                "weights are kept")
        return TrainingInterrupted(self.history)

    def failed(self, error: Exception) -> TrainingFailed:
        """Back to the last good weights after an error in the middle of the run."""
        self.model.load_state_dict(self.good)
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        self.history.status = "failed"
        self.history.message = (f"training failed at step {self.step} ({type(error).__name__}: {first}); the "
                                f"history so far and {self._kept()} weights are kept")
        return TrainingFailed(self.history.message, self.history)

    def restore_model(self) -> None:
        """The training flag and memory format as they were found."""
        self.model.train(self.was_training)
        if self.run.channels_last:
            self.model.to(memory_format=torch.contiguous_format)


class _Diverged(Exception):
    pass


def _read(pending: list[tuple[torch.Tensor, int]]) -> list[tuple[float, int]]:
    """The pending losses as floats, in one device→host transfer."""
    if len(pending) == 1:
        return [(pending[0][0].item(), pending[0][1])]
    values = torch.stack([t for t, _unused in pending]).float().tolist()
    return [(v, at) for v, (_unused, at) in zip(values, pending)]


def _snapshot(model: nn.Module, device: str | None = None) -> dict[str, torch.Tensor]:
    """A copy of the weights (on ``device``, or where they are); never a view of the live tensors."""
    if device is None:
        return {k: v.detach().clone() for k, v in model.state_dict().items()}
    return {k: v.detach().to(device, copy=True).contiguous() for k, v in model.state_dict().items()}


def step_budget(max_steps: int | None):
    """``(on_step, stop)`` for ``quick_train`` that end a run after ``max_steps`` optimiser steps (as a
    stop request: the run reads "interrupted"); ``(None, None)`` without a cap.  For quick checks."""
    if not max_steps:
        return None, None
    count = {"steps": 0}

    def on_step(event: StepEvent) -> None:
        count["steps"] = event.step

    return on_step, (lambda: count["steps"] >= max_steps)


def _stop_check(stop) -> Callable[[], bool]:
    if stop is None:
        return lambda: False
    if hasattr(stop, "is_set"):
        return stop.is_set
    if callable(stop):
        return lambda: bool(stop())
    raise TypeError("stop must be a threading.Event, an object with is_set(), or a callable")


def _loop_config(epochs, batch_size, lr, optimizer, momentum, weight_decay, seed, amp, channels_last, data, run):
    return {"epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": optimizer,
            "momentum": momentum if optimizer == "sgd" else None, "weight_decay": weight_decay,
            "seed": seed, "amp": amp, "channels_last": run.channels_last, "steps_per_epoch": run.steps_per_epoch,
            "threads": torch.get_num_threads() if run.device.type == "cpu" else None,
            "train_size": len(data.y), "val_size": len(data.y_val) if data.has_val else 0,
            "num_classes": data.num_classes, "classes": list(data.classes),
            "resident_on_device": run.resident, "adapted_per_batch": data.transform is not None}


class _Run:
    """Where the tensors live and how batches are cut from them."""

    def __init__(self, model: nn.Module, data: TrainData, device: torch.device, batch_size: int,
                 channels_last: bool, amp: str | None, resident_fraction: float):
        self.data, self.device, self.batch_size, self.amp = data, device, batch_size, amp
        model.to(device)
        self.channels_last = _channels_last(model, data, device, channels_last)
        self.memory_format = torch.channels_last if self.channels_last else None
        self.resident = device.type == "cpu" or _fits(device, data, resident_fraction)
        self.x, self.y = self._keep(data.x, data.y)
        self.x_val, self.y_val = self._keep(data.x_val, data.y_val) if data.has_val else (None, None)
        self.generator = torch.Generator(device=self.x.device)
        n = len(self.y)
        sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
        if len(sizes) > 1 and sizes[-1] == 1:
            sizes.pop()   # a batch of one breaks BatchNorm in training mode
        self.batch_sizes = sizes
        self.steps_per_epoch = len(sizes)

    def _keep(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The form a split is held in for the whole run: float32 unless adapted per batch, on the
        device when resident, channels_last when asked (``x[idx]`` keeps that layout)."""
        if self.data.transform is None and x.dtype != torch.float32:
            x = x.float()
        if self.resident:
            x, y = x.to(self.device), y.to(self.device)
        if self.memory_format is not None and x.ndim == 4 and self.data.transform is None:
            x = x.contiguous(memory_format=self.memory_format)
        return x, y

    def batches(self):
        perm = torch.randperm(len(self.y), generator=self.generator, device=self.x.device)
        start = 0
        for size in self.batch_sizes:
            idx = perm[start:start + size]
            start += size
            yield self._place(self.x[idx]), self._place(self.y[idx], labels=True)

    def _place(self, t: torch.Tensor, labels: bool = False) -> torch.Tensor:
        if t.device != self.device:
            if self.device.type == "cuda":
                t = t.pin_memory()
            t = t.to(self.device, non_blocking=True)
        if labels:
            return t
        if self.data.transform is not None:
            t = self.data.transform(t)
        if self.memory_format is not None and t.ndim == 4:
            t = t.contiguous(memory_format=self.memory_format)
        return t

    def autocast(self):
        if self.amp == "bf16":
            return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16)
        return nullcontext()

    def evaluate(self, model: nn.Module) -> tuple[float, float]:
        x, y = self.x_val, self.y_val
        batch = min(max(4 * self.batch_size, 256), 1024)
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        model.eval()
        with torch.no_grad():
            for start in range(0, len(y), batch):
                xb = self._place(x[start:start + batch])
                yb = self._place(y[start:start + batch], labels=True)
                with self.autocast():
                    out = logits_of(model(xb))
                total += F.cross_entropy(out.float(), yb, reduction="sum")
                correct += (out.argmax(1) == yb).sum()
        model.train()
        n = max(len(y), 1)
        loss = total.item() / n
        return (loss if math.isfinite(loss) else float("nan")), correct.item() / n


def _amp_mode(amp: str | None, device: torch.device) -> str | None:
    """``"auto"``: bf16 on a CUDA GPU that supports it (Ampere and later), else off."""
    if amp != "auto":
        return amp
    return "bf16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else None


def _channels_last(model: nn.Module, data: TrainData, device: torch.device, wanted: bool | None) -> bool:
    """Put the model in channels_last when asked, or by default on CUDA for convolutional nets
    (cuDNN's tensor-core kernels work in NHWC).  Not by default on the CPU: on the 2-core
    development machine oneDNN's NHWC path made LeNet-5 on digits slower (docs/benchmarks.md).
    A trial forward pass (eval, no grad) checks that the model can run so (``x.view(N, -1)`` on
    NHWC memory cannot)."""
    if wanted is False or data.x.ndim != 4:
        return False
    if wanted is None and (device.type != "cuda" or not any(isinstance(m, nn.Conv2d) for m in model.modules())):
        return False
    sample = data.x[:2].to(device)
    sample = data.transform(sample) if data.transform is not None else sample.float()
    was_training = model.training
    model.to(memory_format=torch.channels_last).eval()
    try:
        with torch.no_grad():
            model(sample.contiguous(memory_format=torch.channels_last))
        return True
    except RuntimeError as exc:
        model.to(memory_format=torch.contiguous_format)
        if wanted:
            first = str(exc).strip().splitlines()[0]
            raise ModelDataMismatch(f"the model cannot run in channels_last memory format ({first})") from exc
        return False
    finally:
        model.train(was_training)


def _fits(device: torch.device, data: TrainData, fraction: float) -> bool:
    images = [t for t in (data.x, data.x_val) if t is not None]
    element = 4 if data.transform is None else None   # adapted up front: held as float32
    needed = sum(t.numel() * (element or t.element_size()) for t in images)
    try:
        free, _unused = torch.cuda.mem_get_info(device)
    except RuntimeError:
        return False
    return needed <= fraction * free
