"""Training-memory estimate from a trace (documented in docs/conventions.md).

training = parameters + buffers + gradients (trainable) + optimizer state + activations + input,
where the optimizer state is one tensor per trainable parameter for SGD with momentum and two
for Adam/AdamW (first and second moments), and activations are every tensor the forward pass
allocates (what autograd keeps for the backward pass, approximately).  Not included: the CUDA
context, allocator caching and fragmentation, cuDNN workspaces and backward's transient buffers.
"""

from __future__ import annotations

from cnnscope.i18n import _


def training_bytes(counted, activation_bytes: int, input_bytes: int) -> tuple[int, int]:
    base = counted.param_bytes + counted.buffer_bytes + counted.trainable_bytes + activation_bytes + input_bytes
    return base + counted.trainable_bytes, base + 2 * counted.trainable_bytes


# Training precisions the estimate can size, and what each keeps in which precision (the app's
# "Training precision" box; docs/conventions.md).  Mixed precision is torch.autocast's: the model's
# parameters stay fp32 (the master weights), so their gradients and Adam's moments are fp32 too;
# conv/linear/matmul run in half precision and their outputs (most saved activations) are half;
# autocast caches one half copy of each weight it casts during the forward pass.  "bf16" is a model
# cast to bfloat16 as a whole (model.to(torch.bfloat16)): everything is 2 bytes, Adam's state too.
PRECISIONS = {
    "fp32": "fp32",
    "fp16-mixed": "fp16 mixed (autocast)",
    "bf16-mixed": "bf16 mixed (autocast)",
    "bf16": "bf16 (whole model)",
}
HALF = 2  # bytes per fp16/bf16 value


def adam_parts(totals, precision: str = "fp32", traced_bytes: int = 4) -> dict[str, int]:
    """Adam training memory by part (bytes), for ``precision`` (a key of PRECISIONS).

    ``totals`` is a report's (its estimate was traced in a dtype of ``traced_bytes`` bytes a value, 4 for
    float32).  fp32 adds up to ``totals.training_bytes_adam``.  Half activations are an approximation:
    autocast keeps some ops in fp32 (softmax, norms' statistics, losses), so the real figure is a little higher.
    """
    if precision not in PRECISIONS:
        from cnnscope.errors import UsageError

        raise UsageError(_("unknown training precision {precision!r}; known: {PRECISIONS}").format(
                             precision=precision, PRECISIONS=', '.join(PRECISIONS)))
    trainable = totals.training_bytes_adam - totals.training_bytes_sgd  # one fp32 copy of the trainable parameters
    parts = {"parameters": totals.param_bytes, "buffers": totals.buffer_bytes, "gradients": trainable,
             "Adam moments": 2 * trainable, "activations": totals.activation_bytes, "input": totals.input_bytes}
    if precision == "fp32":
        return parts
    halve = HALF / traced_bytes
    parts["activations"] = round(totals.activation_bytes * halve)
    if precision == "bf16":
        for key in ("parameters", "buffers", "gradients", "Adam moments"):
            parts[key] = round(parts[key] * halve)
    else:
        parts["half weight copies"] = round(trainable * halve)  # autocast's cast cache, for the forward pass
    return parts
