"""zoo/meta_init: meta builds patch nn.Module only for the duration of the build, and put the originals back."""

import threading

import pytest
import torch
from torch import nn

from cnnscope.zoo.meta_init import build_on, params_to_meta

ORIGINALS = (nn.Module.register_parameter, nn.Module.register_buffer)


def patched_now() -> tuple[bool, bool]:
    return (nn.Module.register_parameter is not ORIGINALS[0], nn.Module.register_buffer is not ORIGINALS[1])


class NeedsValues(nn.Module):
    """Computes its configuration with tensors, as torchvision's RegNet does: impossible under torch.device("meta")."""

    seen_patched = None

    def __init__(self, fail: bool = False):
        super().__init__()
        width = torch.arange(1, 4).tolist()[-1]
        NeedsValues.seen_patched = patched_now()
        self.fc = nn.Linear(width, 2)
        self.register_buffer("scale", torch.ones(2))
        if fail:
            raise ValueError("the builder failed")


def test_a_meta_build_that_needs_values_patches_only_while_it_builds():
    NeedsValues.seen_patched = None
    model = build_on("meta", NeedsValues)
    assert NeedsValues.seen_patched == (True, True)  # the fallback did run, patched
    assert {n: t.device.type for n, t in model.state_dict().items()} == {
        "fc.weight": "meta", "fc.bias": "meta", "scale": "meta"}
    assert nn.Module.register_parameter is ORIGINALS[0] and nn.Module.register_buffer is ORIGINALS[1]
    assert nn.Linear(2, 2).weight.device.type == "cpu"


def test_a_build_that_raises_still_restores_the_originals():
    with pytest.raises(ValueError, match="the builder failed"):
        build_on("meta", NeedsValues, fail=True)
    assert NeedsValues.seen_patched == (True, True)
    assert nn.Module.register_parameter is ORIGINALS[0] and nn.Module.register_buffer is ORIGINALS[1]
    with pytest.raises(KeyError):
        with params_to_meta():
            raise KeyError("inside the block")
    assert patched_now() == (False, False)


def test_a_plain_meta_build_does_not_patch_at_all():
    def builder():
        builder.seen = patched_now()
        return nn.Conv2d(3, 4, 3)

    model = build_on("meta", builder)
    assert builder.seen == (False, False) and model.weight.device.type == "meta"
    assert patched_now() == (False, False)


def test_nested_blocks_restore_only_at_the_outermost_and_other_threads_are_untouched():
    built_elsewhere = {}

    def other_thread():
        built_elsewhere["device"] = nn.Linear(2, 2).weight.device.type

    with params_to_meta():
        with params_to_meta():
            assert nn.Linear(2, 2).weight.device.type == "meta"
        assert patched_now() == (True, True)  # the inner block left the outer one's patch in place
        assert nn.Linear(2, 2).weight.device.type == "meta"
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert built_elsewhere == {"device": "cpu"}
    assert patched_now() == (False, False)
    assert nn.Linear(2, 2).weight.device.type == "cpu"
