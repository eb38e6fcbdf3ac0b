"""Cost formulas per ATen operator: multiply-accumulates and cheap "other" ops.

The tracer sees every ATen call of the forward pass (a ``TorchDispatchMode``), so composite
Python code (``F.multi_head_attention_forward``, ``einsum``, ``matmul``) is counted through the
kernels it lowers to.  Conventions (docs/conventions.md):

* MACs: convolution, transposed convolution, mm/addmm/bmm/baddbmm and fused attention, bias
  excluded -- torchvision's ``_ops`` and fvcore's convention.  FLOPs = 2 x MACs.
* other_ops: the cheap work counted apart -- one op per output element of a pointwise op,
  per input element of a reduction, per window element of a pooling op, two per element
  of an inference-mode normalisation (scale and shift), three per element of softmax.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

aten = torch.ops.aten

# op overload packet -> f(args, kwargs, out) -> int
_MAC_FORMULAS: dict[object, Callable] = {}
_OTHER_FORMULAS: dict[object, Callable] = {}


def _register(table: dict, *ops):
    def decorator(fn):
        for op in ops:
            if op in table:
                raise ValueError(f"duplicate cost formula for {op}")
            table[op] = fn
        return fn

    return decorator


def mac_formula(*ops):
    """Register a MAC formula for ATen overload packets (raises on duplicates)."""
    return _register(_MAC_FORMULAS, *ops)


def other_formula(*ops):
    """Register a cheap-op formula for ATen overload packets (raises on duplicates)."""
    return _register(_OTHER_FORMULAS, *ops)


# Users' formulas for their own modules: class -> f(module, inputs, output) -> MACs.  A module
# with a formula is counted by it alone; the ATen ops inside it are not charged MACs.
_MODULE_FORMULAS: dict[type, Callable] = {}


class FormulaHandle:
    """Returned by ``register_formula``; ``remove()`` takes the formula back out."""

    def __init__(self, table: dict, key):
        self._table, self._key = table, key

    def remove(self) -> None:
        self._table.pop(self._key, None)


def register_formula(target, macs: Callable) -> FormulaHandle:
    """Count ``target``'s multiply-accumulates with ``macs``.

    ``target`` is an ATen operator (``torch.ops.mylib.my_op`` or ``torch.ops.aten._fft_r2c``),
    with ``macs(args, kwargs, out) -> int``; or an ``nn.Module`` subclass, with
    ``macs(module, inputs, output) -> int``, which then replaces the count of the ops inside it.
    Registering a target twice raises ``ValueError``; ``handle.remove()`` undoes a registration.
    """
    import inspect

    from torch import nn

    if inspect.isclass(target) and issubclass(target, nn.Module):
        if target in _MODULE_FORMULAS:
            raise ValueError(f"{target.__name__} already has a MAC formula")
        _MODULE_FORMULAS[target] = macs
        return FormulaHandle(_MODULE_FORMULAS, target)
    packet = getattr(target, "overloadpacket", target)
    if not isinstance(packet, torch._ops.OpOverloadPacket):
        raise TypeError(f"register_formula takes an ATen operator or an nn.Module class, not {target!r}")
    mac_formula(packet)(macs)
    return FormulaHandle(_MAC_FORMULAS, packet)


def module_formula(module) -> Callable | None:
    for cls in type(module).__mro__:
        if cls in _MODULE_FORMULAS:
            return _MODULE_FORMULAS[cls]
    return None


def _numel(shape) -> int:
    return math.prod(shape)


@mac_formula(aten.convolution, aten._convolution, aten.cudnn_convolution, aten.mkldnn_convolution,
             aten.convolution_overrideable)
def _conv_macs(args, kwargs, out) -> int:
    x, w = args[0], args[1]
    transposed = bool(args[6]) if len(args) > 6 else False
    if transposed:
        # Every input element is multiplied by the (C_out/groups x k...) slice it scatters to.
        # weight: (C_in, C_out/groups, k...), so per input element: C_out/groups * prod(k).
        return _numel(x.shape) * _numel(w.shape[1:])
    # Every output element accumulates C_in/groups * prod(k) products.
    return _numel(out.shape) * _numel(w.shape[1:])


@mac_formula(aten._slow_conv2d_forward)
def _slow_conv_macs(args, kwargs, out) -> int:
    # _slow_conv2d_forward(input, weight, kernel_size, bias, stride, padding): never transposed.
    first = out[0] if isinstance(out, (tuple, list)) else out
    return _numel(first.shape) * _numel(args[1].shape[1:])


@mac_formula(aten.mm, aten.bmm, aten._scaled_mm, aten._int_mm, aten.mv, aten.dot, aten.vdot)
def _mm_macs(args, kwargs, out) -> int:
    # (…, M, K) @ (…, K, N): every output element accumulates K products (for mv/dot, K = len;
    # a 0-d output has numel 1, an empty one — no proposals — 0).
    first = out[0] if isinstance(out, (tuple, list)) else out
    return _numel(first.shape) * args[0].shape[-1]


@mac_formula(aten.addmv)
def _addmv_macs(args, kwargs, out) -> int:
    return _numel(out.shape) * args[1].shape[-1]


@mac_formula(aten.addbmm)
def _addbmm_macs(args, kwargs, out) -> int:
    # addbmm(bias, b1, b2) sums the batch of products: B·M·N·K.
    return _numel(args[1].shape) * args[2].shape[-1]


@mac_formula(aten.addmm, aten.baddbmm)
def _addmm_macs(args, kwargs, out) -> int:
    # addmm(bias, a, b): the bias add is not a MAC.
    return _numel(out.shape) * args[1].shape[-1]


@mac_formula(
    aten._scaled_dot_product_flash_attention_for_cpu,
    aten._scaled_dot_product_flash_attention,
    aten._scaled_dot_product_efficient_attention,
    aten._scaled_dot_product_cudnn_attention,
)
def _sdpa_macs(args, kwargs, out) -> int:
    q, k, v = args[0], args[1], args[2]
    *batch, lq, d = q.shape
    lk, dv = k.shape[-2], v.shape[-1]
    # Q @ K^T and softmax(.) @ V.
    return _numel(batch) * lq * lk * (d + dv)


@mac_formula(aten._flash_attention_forward, aten._efficient_attention_forward)
def _attention_kernel_macs(args, kwargs, out) -> int:
    # These kernels take (batch, length, heads, dim) tensors, the transpose of SDPA's layout.
    q, k, v = args[0], args[1], args[2]
    b, lq, h, d = q.shape
    return b * h * lq * k.shape[1] * (d + v.shape[-1])


# Ops that do multiply-accumulate work but have no formula here (backward kernels, recurrent and
# spectral ops): charged 0 MACs and listed in the report's ``uncounted_ops``, never silent.
# torch's own FlopCounterMode registry is consulted too, so an op it counts is never missed.
UNCOUNTED_COMPUTE_NAMES = frozenset({
    "convolution_backward", "_flash_attention_backward", "_efficient_attention_backward",
    "_scaled_dot_product_flash_attention_backward", "_scaled_dot_product_efficient_attention_backward",
    "_scaled_dot_product_cudnn_attention_backward", "_cudnn_rnn", "mkldnn_rnn_layer", "_thnn_fused_lstm_cell",
    "_thnn_fused_gru_cell", "lstm", "gru", "rnn_tanh", "rnn_relu", "_fft_r2c", "_fft_c2r", "_fft_c2c",
    "linalg_solve", "_linalg_solve_ex", "linalg_inv_ex", "_linalg_svd", "_linalg_eigh", "cholesky", "triangular_solve",
    "linalg_lu_factor_ex", "_weight_int8pack_mm", "_weight_int4pack_mm", "fbgemm_linear_int8_weight",
})


def _flop_counter_ops() -> set:
    try:
        from torch.utils.flop_counter import flop_registry
    except ImportError:  # pragma: no cover - very old torch
        return set()
    return set(flop_registry)


_TORCH_COUNTED = _flop_counter_ops()


_OP_NAMES: dict = {}  # ATen overload -> its packet's name (a forward calls a few dozen overloads many times)


def op_name(func) -> str:
    """``aten.convolution`` for ``aten.convolution.default``: the name a breakdown shows."""
    name = _OP_NAMES.get(func)
    if name is None:
        name = _OP_NAMES[func] = str(func.overloadpacket)
    return name


def is_uncounted(func) -> bool:
    """True for an op that does MAC work cnnscope has no formula for."""
    packet = func.overloadpacket
    if packet in _MAC_FORMULAS:
        return False
    return packet in _TORCH_COUNTED or getattr(packet, "__name__", "") in UNCOUNTED_COMPUTE_NAMES


_REDUCTIONS = {aten.mean, aten.sum, aten.amax, aten.amin, aten.max, aten.min, aten.var, aten.std, aten.var_mean}


@other_formula(*_REDUCTIONS)
def _reduction_ops(args, kwargs, out) -> int:
    return _numel(args[0].shape)


@other_formula(aten.max_pool2d_with_indices, aten.max_pool2d, aten.avg_pool2d, aten.max_pool1d,
               aten.avg_pool1d, aten.max_pool3d_with_indices, aten.avg_pool3d)
def _pool_ops(args, kwargs, out) -> int:
    kernel = args[1]
    first = out[0] if isinstance(out, (tuple, list)) else out
    return _numel(first.shape) * _numel(kernel)


@other_formula(aten._adaptive_avg_pool2d, aten.adaptive_max_pool2d, aten._adaptive_avg_pool3d,
               aten.adaptive_avg_pool1d, aten.adaptive_max_pool1d)
def _adaptive_pool_ops(args, kwargs, out) -> int:
    return _numel(args[0].shape)


@other_formula(aten._native_batch_norm_legit_no_training, aten.native_batch_norm,
               aten._native_batch_norm_legit, aten.native_layer_norm, aten.native_group_norm,
               aten.cudnn_batch_norm, aten._batch_norm_with_update, aten._batch_norm_no_update)
def _norm_ops(args, kwargs, out) -> int:
    return 2 * _numel(args[0].shape)


@other_formula(aten._softmax, aten._log_softmax)
def _softmax_ops(args, kwargs, out) -> int:
    return 3 * _numel(args[0].shape)


@other_formula(aten.hardswish, aten._prelu_kernel, aten.prelu)
def _activation_ops(args, kwargs, out) -> int:
    # Activations PyTorch does not tag "pointwise": one op per output element, like the others.
    first = out[0] if isinstance(out, (tuple, list)) else out
    return _numel(first.shape)


# Copies keep values: no arithmetic, whatever their tags say.
_COPIES = {aten.clone, aten._to_copy, aten.copy_, aten.copy, aten.detach, aten.alias, aten.lift_fresh}


def macs_of(func, args, kwargs, out) -> int:
    formula = _MAC_FORMULAS.get(func.overloadpacket)
    return int(formula(args, kwargs, out)) if formula else 0


_POINTWISE: dict = {}  # ATen overload -> whether it is tagged pointwise and is no copy (tags never change)


def _counts_pointwise(func) -> bool:
    pointwise = _POINTWISE.get(func)
    if pointwise is None:
        pointwise = _POINTWISE[func] = func.overloadpacket not in _COPIES and torch.Tag.pointwise in func.tags
    return pointwise


def other_ops_of(func, args, kwargs, out) -> int:
    formula = _OTHER_FORMULAS.get(func.overloadpacket)
    return other_ops_by(formula, formula is None and _counts_pointwise(func), args, kwargs, out)


def other_ops_by(formula, pointwise: bool, args, kwargs, out) -> int:
    """The cheap ops of one call, from its overload's other-ops formula and pointwise flag (``op_costs``)."""
    if formula is not None:
        return int(formula(args, kwargs, out))
    if pointwise:
        first = out[0] if isinstance(out, (tuple, list)) else out
        return _numel(first.shape) if isinstance(first, torch.Tensor) else 0
    return 0


_FRESH_RETURNS: dict = {}  # ATen overload -> per return, whether it is a new tensor (no alias of an input)


def _fresh_returns(func) -> list[bool]:
    fresh = _FRESH_RETURNS.get(func)
    if fresh is None:
        fresh = _FRESH_RETURNS[func] = [ret.alias_info is None for ret in func._schema.returns]
    return fresh


def op_costs(func) -> tuple:
    """What ``macs_of``, ``other_ops_of``, ``allocated_bytes`` and ``is_uncounted`` look up for one ATen
    overload, in one tuple: (name, MAC formula or None, other-ops formula or None, counts one op per
    output element, per return whether it is a new tensor, does uncounted MAC work).  The tables can
    change between traces (``register_formula``), so a tracer caches this per trace, not forever."""
    packet = func.overloadpacket
    macs = _MAC_FORMULAS.get(packet)
    other = _OTHER_FORMULAS.get(packet)
    return (op_name(func), macs, other, other is None and _counts_pointwise(func), tuple(_fresh_returns(func)),
            macs is None and is_uncounted(func))


def allocated_bytes(func, out) -> int:
    """Bytes of the new tensors an op returns: views and in-place results allocate nothing."""
    return new_bytes(_fresh_returns(func), out)


def new_bytes(fresh, out) -> int:
    """Bytes of the returns ``fresh`` marks new (``op_costs``)."""
    outputs = out if isinstance(out, (tuple, list)) else (out,)
    total = 0
    for new, tensor in zip(fresh, outputs):
        if new and isinstance(tensor, torch.Tensor):
            total += tensor.numel() * tensor.element_size()
    return total