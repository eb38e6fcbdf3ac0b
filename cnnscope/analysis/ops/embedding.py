"""Embedding lookups (``nn.Embedding``, ``nn.EmbeddingBag``, ``F.embedding``): each position's
integer id becomes a vector, so the field of every position is its own (pointwise)."""

from __future__ import annotations

from torch import nn

from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.analysis.preflight import ShapeError, label
from cnnscope.i18n import _

register_kind("embedding", "looks up a vector for every integer id (token embeddings)",
              modules=(nn.Embedding, nn.EmbeddingBag), functions=("embedding", "embedding_bag"))


@rule("check_module", "embedding")
def check_ids(tracer, row, module, tensors) -> None:
    ids = tensors[0]
    if ids.is_floating_point() or ids.is_complex():
        raise ShapeError(_("{name} takes integer ids but receives {dtype} values; give the input an integer dtype "
                           "(--input-dtype int64, or input_dtype=torch.int64)").format(
                             name=label(row.name, row.type), dtype=str(ids.dtype)[6:]),
                         layer=row.name)


@rule("rf", "embedding")
def same_field(engine, row, field: rf.Field):
    return rf.plain(field)
