"""Measured peak memory of a real forward (and backward) pass, beside the trace's estimate.

``measure_peak`` runs the model for real, on random weights and a random input (seeded), and
returns the peak of **live tensor bytes** created by the run:

* on **CUDA**, ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``, minus what
  was allocated before the pass (the model and the input): every tensor the caching allocator
  handed out, rounded up to its 512-byte blocks, including cuBLAS/cuDNN workspaces; not the
  CUDA context and not memory the allocator keeps cached but unused;
* on the **CPU**, a ``TorchDispatchMode`` that sees every ATen op: an output's untyped storage is
  added (``nbytes``) the first time it is seen and subtracted when it is freed
  (``weakref.finalize`` on the storage).  Views and in-place results share a storage and count
  once; storages that exist before the pass (parameters, buffers, the input) are never counted.

Parameters, buffers and the input are reported apart (``param_bytes``, ``buffer_bytes``,
``input_bytes``); gradients are created by the backward pass, so they are inside the training
peak, and also reported alone (``grad_bytes``).  docs/conventions.md compares these numbers with
the estimate.
"""

from __future__ import annotations

import copy
import weakref
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from cnnscope.errors import UsageError
from cnnscope.probes.latency import resolve_device
from cnnscope.i18n import _


@dataclass(frozen=True)
class PeakMemory:
    device: str  # "cpu" or "cuda"
    training: bool  # forward + backward in training mode, else one forward in eval mode
    grad: bool  # autograd recorded the forward (False: under torch.no_grad, as in inference)
    peak_bytes: int  # peak of live bytes created by the pass (params, buffers and input excluded)
    param_bytes: int
    buffer_bytes: int
    input_bytes: int
    grad_bytes: int  # gradients left after the backward pass (0 without one); inside peak_bytes
    trainable_bytes: int  # parameters that require grad (what an optimizer keeps state for)

    @property
    def total_bytes(self) -> int:
        """Everything live at the peak: the model, the input and the pass's own tensors."""
        return self.peak_bytes + self.param_bytes + self.buffer_bytes + self.input_bytes

    def to_dict(self) -> dict:
        return asdict(self)


class _LiveStorages(TorchDispatchMode):
    """Live bytes of the storages that ATen ops created since the mode was entered."""

    def __init__(self, existing):
        super().__init__()
        self.known = {s._cdata for s in existing}  # never counted: they were there before
        self.live = 0
        self.peak = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in tree_leaves(out):
            if isinstance(tensor, torch.Tensor):
                self._see(tensor.untyped_storage())
        return out

    def _see(self, storage) -> None:
        key = storage._cdata
        if key in self.known:
            return
        self.known.add(key)
        nbytes = storage.nbytes()
        self.live += nbytes
        self.peak = max(self.peak, self.live)
        weakref.finalize(storage, self._free, key, nbytes)

    def _free(self, key, nbytes) -> None:
        self.known.discard(key)
        self.live -= nbytes


def _materialized(model: nn.Module, device: torch.device, seed: int) -> nn.Module:
    """A copy of ``model`` on ``device`` with real weights (the caller's model is never touched);
    a model on meta gets fresh weights from each module's ``reset_parameters`` (seeded)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        tensors = [*model.parameters(), *model.buffers()]
        if any(t.device.type == "meta" for t in tensors):
            copied = copy.deepcopy(model).to_empty(device=device)
            with torch.no_grad():
                for module in copied.modules():
                    if hasattr(module, "reset_parameters"):
                        module.reset_parameters()
            return copied
        return copy.deepcopy(model).to(device)


def _inputs(shapes, dtypes, device, seed: int) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    result = []
    for shape, dtype in zip(shapes, dtypes):
        if dtype.is_floating_point:
            result.append(torch.randn(tuple(shape), generator=generator).to(device=device, dtype=dtype))
        else:  # token ids and masks: zeros are valid for any embedding
            result.append(torch.zeros(tuple(shape), dtype=dtype, device=device))
    return result


def _backward(output) -> None:
    parts = [t for t in tree_leaves(output) if isinstance(t, torch.Tensor) and t.requires_grad]
    if not parts:
        raise UsageError(_("the model's output does not depend on any trainable parameter: nothing to backpropagate"))
    loss = sum(t.float().sum() for t in parts)
    loss.backward()


def _storage_bytes(tensors) -> int:
    seen, total = set(), 0
    for t in tensors:
        storage = t.untyped_storage()
        if storage._cdata not in seen:
            seen.add(storage._cdata)
            total += storage.nbytes()
    return total


def measure_peak(model: nn.Module, input_shapes, device: str = "cpu", training: bool = False, *,
                 grad: bool = True, input_dtypes=None, seed: int = 0) -> PeakMemory:
    """The measured peak of one real pass of ``model`` (a copy: the model is left as it was).

    ``input_shapes``: one shape or a list of them (with the batch dimension).  ``training``:
    forward + backward in training mode (``loss = sum of the outputs``), else one forward in eval
    mode, with autograd recording (``grad=True``, what training keeps for the backward pass) or
    under ``torch.no_grad`` (``grad=False``, inference).  ``device``: ``cpu``, ``cuda`` or ``auto``.
    """
    target = resolve_device(device)
    shapes = [input_shapes] if input_shapes and isinstance(input_shapes[0], int) else list(input_shapes)
    dtypes = list(input_dtypes) if input_dtypes else [torch.get_default_dtype()] * len(shapes)
    if len(dtypes) == 1 and len(shapes) > 1:
        dtypes = dtypes * len(shapes)
    work = _materialized(model, target, seed)
    work.train(training)
    inputs = _inputs(shapes, dtypes, target, seed)
    params, buffers = list(work.parameters()), list(work.buffers())
    static = dict(param_bytes=_storage_bytes(params), buffer_bytes=_storage_bytes(buffers),
                  input_bytes=_storage_bytes(inputs),
                  trainable_bytes=_storage_bytes([p for p in params if p.requires_grad]))
    enabled = grad or training
    with torch.random.fork_rng(devices=[target] if target.type == "cuda" else []):
        torch.manual_seed(seed)
        if target.type == "cuda":
            torch.cuda.synchronize(target)
            base = torch.cuda.memory_allocated(target)
            torch.cuda.reset_peak_memory_stats(target)
            with torch.set_grad_enabled(enabled):
                output = work(*inputs)
                if training:
                    _backward(output)
            torch.cuda.synchronize(target)
            peak = torch.cuda.max_memory_allocated(target) - base
        else:
            mode = _LiveStorages([t.untyped_storage() for t in params + buffers + inputs])
            with mode, torch.set_grad_enabled(enabled):
                output = work(*inputs)
                if training:
                    _backward(output)
            peak = mode.peak
    grads = [p.grad for p in params if p.grad is not None]
    result = PeakMemory(device=target.type, training=training, grad=enabled, peak_bytes=int(peak),
                        grad_bytes=_storage_bytes(grads), **static)
    del output, work, inputs, grads
    return result


def measure_report(model: nn.Module, report, device: str = "cpu", seed: int = 0) -> dict:
    """The measurements ``summary --measure`` adds to a report: forward (eval mode, autograd on),
    inference (eval, ``no_grad``) and training (train mode, forward+backward) peaks at the report's
    input shapes and dtypes, whatever mode the report was traced in (see ``ModelReport.measured``)."""
    shapes = report.input_shapes()
    dtypes = [getattr(torch, name) for name in report.input_dtypes] or None
    forward = measure_peak(model, shapes, device, training=False, input_dtypes=dtypes, seed=seed)
    inference = measure_peak(model, shapes, device, training=False, grad=False, input_dtypes=dtypes, seed=seed)
    training = measure_peak(model, shapes, device, training=True, input_dtypes=dtypes, seed=seed)
    trainable = training.trainable_bytes
    return {
        "device": forward.device, "seed": seed,
        "forward_peak_bytes": forward.peak_bytes,  # eval forward, autograd recording
        "inference_peak_bytes": inference.peak_bytes,  # eval forward under no_grad
        "training_peak_bytes": training.total_bytes,  # params + buffers + input + forward/backward peak
        "training_pass_peak_bytes": training.peak_bytes,  # the forward/backward peak alone
        "grad_bytes": training.grad_bytes,
        # Optimizer state is not run: one (SGD+momentum) or two (Adam) copies of the trainable
        # parameters added to the measured training peak.
        "training_bytes_sgd": training.total_bytes + trainable,
        "training_bytes_adam": training.total_bytes + 2 * trainable,
    }
