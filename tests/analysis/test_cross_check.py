"""MACs cross-checked against fvcore (jit trace of a real CPU forward) per operator kind.

fvcore's total also counts batch norm and pooling, so only its MAC-type operators are summed.
torchinfo is checked where its convention agrees: parameters (it counts tied weights once too).
"""

import pytest
import torch

import cnnscope

fvcore_nn = pytest.importorskip("fvcore.nn")
torchinfo = pytest.importorskip("torchinfo")

MAC_OPERATORS = ("conv", "linear", "matmul", "addmm", "bmm", "einsum", "baddbmm")


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2", "squeezenet1_1", "lenet5", "inception_mini",
                                  "resnet_mini", "tutorial_cnn"])
def test_macs_equal_fvcore_mac_operators(name):
    report = cnnscope.analyze(name)
    torch.manual_seed(0)
    model = cnnscope.build_model(name, device="cpu").eval()
    analysis = fvcore_nn.FlopCountAnalysis(model, torch.zeros(report.input_shape))
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_operator = analysis.by_operator()
    assert sum(by_operator.get(op, 0) for op in MAC_OPERATORS) == report.totals.macs


@pytest.mark.parametrize("name", ["resnet18", "alexnet_mnist", "nin"])
def test_params_equal_torchinfo(name):
    report = cnnscope.analyze(name)
    model = cnnscope.build_model(name, device="meta")
    stats = torchinfo.summary(model, input_size=tuple(report.input_shape), device="meta", verbose=0)
    assert stats.total_params == report.totals.params
