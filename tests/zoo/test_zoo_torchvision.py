"""Golden numbers: every torchvision classification weight entry's published metadata.

Parameters must match ``num_params`` exactly and MACs ``_ops`` (GMACs, rounded to three
decimals) within 0.5% -- or within the rounding of the published figure for the few tiny
models where 0.5% is smaller than half a unit of the last digit.  Everything runs on the meta
device, and FlopCounterMode (which reports 2 FLOPs per MAC) must agree exactly.
"""

import pytest
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import get_model, get_model_weights, list_models

import cnnscope
from cnnscope.zoo.torchvision_models import crop_size, weights_config

NAMES = list_models(module=torchvision.models)
ENTRIES = [(name, w) for name in NAMES for w in get_model_weights(name)]


def test_every_torchvision_classification_model_is_in_the_zoo():
    zoo = set(cnnscope.list_models())
    assert set(NAMES) <= zoo
    assert len(NAMES) >= 80


@pytest.mark.slow
@pytest.mark.parametrize("name,weights", ENTRIES, ids=[str(w) for _, w in ENTRIES])
def test_params_and_macs_match_published_metadata(name, weights):
    from cnnscope.zoo.meta_init import build_on

    model = build_on("meta", lambda: get_model(name, weights=None, **weights_config(name, weights)))
    size = crop_size(weights)
    report = cnnscope.analyze(model, (1, 3, size, size), name=name)
    assert report.traced_on == "meta"
    assert report.totals.params == weights.meta["num_params"]
    published = weights.meta["_ops"] * 1e9
    tolerance = max(0.005 * published, 0.0005e9)
    assert abs(report.totals.macs - published) <= tolerance, (report.totals.macs, published)
    assert report.totals.flops == 2 * report.totals.macs


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet50", "vgg16", "vit_b_16", "swin_t", "mobilenet_v3_small", "densenet121",
                                  "inception_v3", "maxvit_t", "efficientnet_b0", "shufflenet_v2_x0_5"])
def test_macs_equal_flop_counter_mode_exactly(name):
    report = cnnscope.analyze(name)
    model = cnnscope.build_model(name, device="meta").eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(report.input_shape, device="meta"))
    assert 2 * report.totals.macs == counter.get_total_flops()


def test_zoo_default_input_is_the_weights_crop_size():
    from cnnscope.zoo import get_entry

    assert get_entry("inception_v3").input_shape == (3, 299, 299)
    assert get_entry("resnet50").input_shape == (3, 224, 224)
    assert get_entry("efficientnet_b7").input_shape == (3, 600, 600)


def test_googlenet_is_built_without_auxiliary_heads_like_its_published_weights():
    model = cnnscope.build_model("googlenet", device="meta")
    assert model.aux1 is None and model.aux2 is None


def test_inception_v3_aux_head_is_counted_and_reported_as_unused_in_eval():
    report = cnnscope.analyze("inception_v3")
    assert report.totals.params == 27_161_264
    codes = {d.code: d for d in report.diagnostics}
    assert "unused-parameters" in codes and "AuxLogits" in codes["unused-parameters"].message
