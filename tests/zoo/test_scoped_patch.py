"""zoo/scoped_patch: the one patch-while-building mechanism of params_to_meta and skip_weight_loading."""

import threading

import pytest

from cnnscope.zoo.scoped_patch import ScopedPatch


class Target:
    def greet(self):
        return "original"


def _patch() -> ScopedPatch:
    def replacements(greet):
        def patched(self):
            return "patched" if patch.active() else greet(self)

        return (patched,)

    patch = ScopedPatch(lambda: [(Target, "greet")], replacements)
    return patch


def test_installed_by_the_first_block_restored_by_the_last_also_on_error():
    original, patch = Target.greet, _patch()
    with patch():
        with patch():
            assert Target().greet() == "patched"
        assert Target.greet is not original and Target().greet() == "patched"
    assert Target.greet is original and not patch.active()
    with pytest.raises(KeyError):
        with patch():
            raise KeyError("inside")
    assert Target.greet is original


def test_other_threads_are_served_the_original():
    patch, seen = _patch(), {}

    def elsewhere():
        seen["greet"] = Target().greet()

    with patch():
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert seen == {"greet": "original"}


def test_skip_weight_loading_acts_only_in_its_thread():
    pytest.importorskip("torchvision")
    from torchvision.models import ResNet18_Weights

    from cnnscope.zoo import torchvision_models
    from cnnscope.zoo.torchvision_models import _SKIP, skip_weight_loading

    seen = {}

    def elsewhere():  # patched meanwhile, but outside the block: get_state_dict would really download here
        seen["active"] = torchvision_models._skip.active()

    with skip_weight_loading():
        assert ResNet18_Weights.DEFAULT.get_state_dict() is _SKIP
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    assert seen == {"active": False}
