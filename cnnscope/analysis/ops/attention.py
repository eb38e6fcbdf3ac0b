"""Attention: every query position mixes every key position, so over spatial positions (or
tokens made from them) the field is global."""

from __future__ import annotations

from torch import nn

from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.registry import register_kind, rule

register_kind("attention", "attention: each position mixes all positions",
              modules=(nn.MultiheadAttention,),
              functions=("scaled_dot_product_attention", "multi_head_attention_forward"))


@rule("rf", "attention")
def attention_field(engine, row, field: rf.Field):
    return rf.Global("attention over spatial positions")


@rule("rf_tokens", "attention")
def attention_tokens(engine, row):
    return rf.Global("attention over the spatial tokens")
