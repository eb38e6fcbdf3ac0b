"""sources.load_model, the one loader: seeded real weights that leave the caller's random state alone,
and the kinds of source a front end accepts."""

import pytest
import torch

from cnnscope.errors import SpecError, UsageError
from cnnscope.sources import COMMAND_LINE, FILE, SPEC, TEXT, ZOO, load_model, seeded, source_kind


def _weights(module):
    return [p.detach().clone() for p in module.parameters()]


def test_real_weights_are_seeded_inside_and_the_callers_random_state_is_kept():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    loaded = load_model("lenet5", device="cpu")
    assert torch.equal(torch.random.get_rng_state(), before)
    assert loaded.origin == "random initialisation (seed 0)"
    torch.manual_seed(0)  # what the seeding callers did before there was one loader: the same weights
    from cnnscope.zoo import build_model

    expected = _weights(build_model("lenet5", device="cpu"))
    assert all(torch.equal(a, b) for a, b in zip(_weights(loaded.module), expected))
    other = load_model("lenet5", device="cpu", seed=1)
    assert other.origin == "random initialisation (seed 1)"
    assert not torch.equal(_weights(other.module)[0], expected[0])


def test_seed_none_draws_from_the_callers_seeded_block():
    with seeded(3):
        first = _weights(load_model("in1x8x8,c3-4,flat,fc2", device="cpu", seed=None).module)
        after = torch.rand(1)
    with seeded(3):
        second = _weights(load_model("in1x8x8,c3-4,flat,fc2", device="cpu", seed=3).module)
        assert not torch.equal(torch.rand(1), after)  # seed=3 forked: the block's own stream did not move
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_meta_allocates_nothing_and_says_no_origin():
    loaded = load_model("resnet18")
    assert next(loaded.module.parameters()).device.type == "meta" and loaded.origin is None


@pytest.mark.parametrize("source, kind", [("resnet18", ZOO), ("timm:resnet18", ZOO), ("in1x8x8,c3-4", SPEC),
                                          ("net.yaml", SPEC), ("nets/net.py:Net", FILE)])
def test_source_kinds(source, kind):
    assert source_kind(source) == kind


def test_a_front_end_can_refuse_kinds():
    with pytest.raises(UsageError, match=r"'nets/net.py:Net' is file.py:Name; only a zoo name is accepted here"):
        load_model("nets/net.py:Net", kinds=(ZOO,))
    with pytest.raises(ValueError):
        source_kind("x", (TEXT, *COMMAND_LINE))


def test_spec_text_is_parsed_never_read_from_a_path(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("input: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3}\n")
    with pytest.raises(SpecError):
        load_model(str(path), kinds=(TEXT,))  # a path is text here: not a spec
    loaded = load_model("in1x8x8,c3-2", kinds=(TEXT,))
    assert loaded.name == "spec" and loaded.input_shape == (1, 8, 8)
    with pytest.raises(SpecError, match="a one-line spec needs an input"):
        load_model("c3-2,relu", (1, 8, 8), kinds=(TEXT,))
