"""Training-memory estimate from a trace (documented in docs/conventions.md).

training = parameters + buffers + gradients (trainable) + optimizer state + activations + input,
where the optimizer state is one tensor per trainable parameter for SGD with momentum and two
for Adam/AdamW (first and second moments), and activations are every tensor the forward pass
allocates (what autograd keeps for the backward pass, approximately).  Not included: the CUDA
context, allocator caching and fragmentation, cuDNN workspaces and backward's transient buffers.
"""

from __future__ import annotations


def training_bytes(counted, activation_bytes: int, input_bytes: int) -> tuple[int, int]:
    base = counted.param_bytes + counted.buffer_bytes + counted.trainable_bytes + activation_bytes + input_bytes
    return base + counted.trainable_bytes, base + 2 * counted.trainable_bytes
