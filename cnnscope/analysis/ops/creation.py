"""New tensors shaped like an input but holding constants (``x.new_full(...)``, ``zeros_like``):
their values do not depend on the input, so they carry no receptive field, like a parameter.
Writing an image into such a tensor (``copy_``, a merge) gives it the image's field."""

from __future__ import annotations

from cnnscope.analysis.ops.registry import register_kind, rule

register_kind("creation", "a new tensor of constants shaped like its input (new_full, zeros_like, ...)",
              functions=("new_full", "new_zeros", "new_ones", "new_empty", "new_tensor", "zeros_like", "ones_like",
                         "full_like", "empty_like", "rand_like", "randn_like", "randint_like"))


@rule("rf", "creation")
def no_field(engine, row, field):
    return None


@rule("rf_tokens", "creation")
def no_field_from_tokens(engine, row):
    return None
