"""Name prefixes (``timm:NAME``): one registry in ``zoo/registry.py`` that ``sources`` asks, no second list."""

import pytest
from torch import nn

from cnnscope.sources import _is_prefixed_name, load_model
from cnnscope.zoo import registry
from cnnscope.zoo.registry import ModelEntry, is_prefixed


@pytest.mark.parametrize("source", ["fake:c5-6", "fake:c5-6,relu", "fake:net.py:Net"])
def test_a_registered_prefix_is_routed_like_timm(monkeypatch, source):
    """Regression: ``sources`` knew only "timm", so another namespace's name reached the zoo only by
    falling through: one with a comma was parsed as a one-line spec, ``x:net.py:Net`` as a file."""
    entry = ModelEntry(source, "fake", lambda: nn.Conv2d(1, 2, 5), (1, 8, 8))
    monkeypatch.setitem(registry._PREFIXES, "fake", (lambda name: entry, lambda pattern: [entry]))
    assert is_prefixed(source) and not is_prefixed("no" + source) and not is_prefixed(source[5:])
    loaded = load_model(source, device="meta")
    assert isinstance(loaded.module, nn.Conv2d) and (loaded.name, loaded.input_shape) == (source, (1, 8, 8))


def test_timm_is_registered_and_paths_are_not_prefixed_names():
    assert _is_prefixed_name("timm:resnet50") and not _is_prefixed_name("resnet50")
    assert not _is_prefixed_name("timm:nets/model.yaml") and not _is_prefixed_name("timm:net.py")
    assert not _is_prefixed_name("timm:x.yml") and not _is_prefixed_name("timm:X.JSON")  # every spec suffix
    assert not _is_prefixed_name("timm") and not _is_prefixed_name("nets.py:Net")
