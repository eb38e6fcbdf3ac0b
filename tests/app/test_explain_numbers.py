"""Every number explained: the parameter and MAC arithmetic of a row, the shape legend, the training
precisions' memory and the Summary page's help, checked against hand-computed numbers and torch's own
modules (the bias of each row is read from the real module, not from the report)."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest
from torch import nn

import cnnscope
from cnnscope.analysis.analyze import plain_meta_reason
from cnnscope.analysis.memory import PRECISIONS, adam_parts
from cnnscope.errors import UsageError
from cnnscope.studies.explain import count_arithmetic, mac_count, parameter_count, shape_legend
from cnnscope.zoo import build_model as build

from .shown import shown


def test_lenet5_first_conv_is_worked_out_by_hand():
    row = cnnscope.analyze("lenet5").layer("0")  # Conv2d(1, 6, 5, padding=2) on 1×1×28×28
    assert count_arithmetic(row) == [
        "parameters = out·in·kh·kw + out (bias)",
        "           = 6·1·5·5 + 6 = 156",
        "MACs = N·H_out·W_out·out·in·kh·kw",
        "     = 1·28·28·6·1·5·5 = 117,600",
        "bias additions are not multiply-accumulates: not counted"]
    assert shape_legend(row)[2:] == ["height: n = 28, k = 5, s = 1, p = 2, d = 1",
                                     "width: n = 28, k = 5, s = 1, p = 2, d = 1"]
    fc = cnnscope.analyze("lenet5").layer("9")  # Linear(120, 84)
    assert count_arithmetic(fc)[:4] == ["parameters = in·out + out (bias)", "           = 120·84 + 84 = 10,164",
                                        "MACs = N·in·out", "     = 1·120·84 = 10,080"]


def test_a_depthwise_conv_and_batch_norm_of_mobilenet_v2():
    report = cnnscope.analyze("mobilenet_v2")
    depthwise = report.layer("features.1.conv.0.0")  # Conv2d(32, 32, 3, groups=32, bias=False) at 112×112
    assert parameter_count(depthwise).numbers == "32·(32/32)·3·3" and parameter_count(depthwise).value == 288
    assert mac_count(depthwise).value == 112 * 112 * 32 * 1 * 9 == depthwise.macs
    norm = report.layer("features.1.conv.0.1")  # BatchNorm2d(32): γ and β
    assert parameter_count(norm).value == 64 == norm.params and mac_count(norm) is None


class Decoder(nn.Module):
    """Transposed convolutions (grouped, biased or not), a 1-D and a 3-D conv, norms and a 3-D linear."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1)
        self.up_grouped = nn.ConvTranspose2d(4, 6, 2, stride=2, groups=2, bias=False)
        self.norm = nn.GroupNorm(2, 6)
        self.plain = nn.BatchNorm2d(6, affine=False)
        self.line = nn.Conv1d(6, 5, 3, padding=1)
        self.tokens = nn.Linear(5, 7)
        self.layer_norm = nn.LayerNorm(7)
        self.volume = nn.Conv3d(1, 2, (2, 3, 3), bias=False)

    def forward(self, x):
        y = self.plain(self.norm(self.up_grouped(self.up(x))))  # 1×8×5×5 → 1×4×10×10 → 1×6×20×20
        z = self.line(y.flatten(2))                              # 1×6×400 → 1×5×400
        t = self.layer_norm(self.tokens(z.transpose(1, 2)))     # 1×400×5 → 1×400×7
        return self.volume(t.reshape(1, 1, 4, 100, 7))          # 1×1×4×100×7 → 1×2×3×98×5


def test_transposed_grouped_1d_3d_convs_and_norms_by_hand():
    report = cnnscope.analyze(Decoder(), (1, 8, 5, 5))
    up, grouped = report.layer("up"), report.layer("up_grouped")
    # weight (in, out/groups, k, k): 8·4·3·3 + 4; every input value spreads over out/groups·k·k outputs
    assert (parameter_count(up).value, mac_count(up).value) == (8 * 4 * 9 + 4, 5 * 5 * 8 * 4 * 9) == (292, 7200)
    assert parameter_count(grouped).numbers == "4·(6/2)·2·2" and parameter_count(grouped).value == 48
    assert mac_count(grouped).value == 10 * 10 * 4 * 3 * 4 == 4800
    assert parameter_count(report.layer("norm")).value == 12
    assert parameter_count(report.layer("plain")).value == 0
    line = report.layer("line")
    assert (parameter_count(line).value, mac_count(line).value) == (5 * 6 * 3 + 5, 400 * 5 * 6 * 3) == (95, 36000)
    tokens = report.layer("tokens")
    assert mac_count(tokens).numbers == "(1·400)·5·7" and mac_count(tokens).value == 14000
    assert parameter_count(report.layer("layer_norm")).value == 14
    volume = report.layer("volume")
    assert parameter_count(volume).value == 2 * 1 * 2 * 3 * 3 == 36
    assert mac_count(volume).value == 3 * 98 * 5 * 2 * 1 * 18 == 52920
    for row in report.leaves():
        for worked, counted in ((parameter_count(row), row.params), (mac_count(row), row.macs)):
            assert worked is None or worked.value == counted, (row.name, worked, counted)


@pytest.mark.parametrize("name", ["lenet5", "vgg16", "resnet18", "mobilenet_v2", "fcn_resnet50", "r3d_18"])
def test_every_conv_linear_and_batch_norm_row_is_worked_to_the_reports_number(name):
    """Each such row gets a formula whose number is the report's, with a bias exactly where the module has one."""
    report, model = cnnscope.analyze(name), build(name)
    checked = 0
    for row in report.leaves():
        if row.kind != "module" or row.op_kind not in ("conv", "transposed_conv", "linear") \
                and not row.type.startswith("BatchNorm"):
            continue
        params = parameter_count(row)
        assert params is not None and params.value == row.params, (name, row.name, params, row.params)
        module = model.get_submodule(row.name)
        if row.op_kind != "linear" or isinstance(module, nn.Linear):
            if hasattr(module, "bias") and not row.type.startswith("BatchNorm"):
                assert ("bias" in params.formula) == (module.bias is not None), (name, row.name)
        if row.op_kind in ("conv", "linear"):
            macs = mac_count(row)
            assert macs is not None and macs.value == row.macs, (name, row.name, macs, row.macs)
        checked += 1
    assert checked >= 5, (name, checked)


TOTALS = SimpleNamespace(param_bytes=4000, buffer_bytes=80, activation_bytes=10_000, input_bytes=1_000,
                         training_bytes_sgd=4000 + 80 + 4000 + 10_000 + 1_000 + 4000,
                         training_bytes_adam=4000 + 80 + 4000 + 10_000 + 1_000 + 8000)


def test_training_memory_per_precision_by_hand():
    # 1,000 trainable fp32 parameters, 80 bytes of buffers, 10,000 bytes of fp32 activations, a 1,000-byte input
    assert sum(adam_parts(TOTALS, "fp32").values()) == TOTALS.training_bytes_adam == 27_080
    # autocast: fp32 weights, grads and moments; activations halved; a half copy of the weights
    mixed = adam_parts(TOTALS, "fp16-mixed")
    assert mixed == {"parameters": 4000, "buffers": 80, "gradients": 4000, "Adam moments": 8000,
                     "activations": 5000, "input": 1000, "half weight copies": 2000}
    assert adam_parts(TOTALS, "bf16-mixed") == mixed and sum(mixed.values()) == 24_080
    # the whole model in bfloat16: everything 2 bytes (the input as given)
    assert sum(adam_parts(TOTALS, "bf16").values()) == 2000 + 40 + 2000 + 4000 + 5000 + 1000 == 14_040
    with pytest.raises(UsageError, match="unknown training precision 'fp8'"):
        adam_parts(TOTALS, "fp8")


def test_lenet5_training_memory_in_each_precision():
    t = cnnscope.analyze("lenet5").totals
    trainable = 61_706 * 4
    assert sum(adam_parts(t, "fp32").values()) == t.training_bytes_adam
    assert sum(adam_parts(t, "fp16-mixed").values()) == t.training_bytes_adam - t.activation_bytes // 2 + trainable // 2
    assert sum(adam_parts(t, "bf16").values()) == \
        (t.training_bytes_adam - t.activation_bytes - t.input_bytes) // 2 + t.activation_bytes // 2 + t.input_bytes


def test_the_meta_device_reason_is_in_words_not_a_torch_setting():
    torch_says = ("The register_meta function for torch.nonzero() raises unimplemented by default, as a correct "
                  "data-independent implementation does not exist. To enable this registration, please set "
                  "'torch.fx.experimental._config.meta_nonzero_assume_all_nonzero' to True.")
    assert plain_meta_reason(torch_says) == ("torch.nonzero() returns a result whose size depends on the tensor's "
                                            "values, which a trace of shapes alone cannot know")
    assert plain_meta_reason("Tensor.item() cannot be called on meta tensors\nmore") == \
        "Tensor.item() cannot be called on meta tensors"


def test_ssdlite_diagnostics_name_no_torch_setting():
    report = cnnscope.analyze("ssdlite320_mobilenet_v3_large")
    message = next(d.message for d in report.diagnostics if d.code == "traced-on-cpu")
    assert "_config" not in message and "torch.nonzero() returns a result whose size depends" in message


# -- the Summary page -------------------------------------------------------------------------------------

def test_every_metric_has_help_and_the_precision_box_changes_the_training_estimate(app):
    from cnnscope.app.pages.summary import short_bytes

    helps = {m.label: m.help for m in app.metric}
    assert list(helps) == ["Parameters", "MACs", "FLOPs", "Activations", "Training (Adam, est.)"]
    assert all(helps.values())
    assert "416,520 multiply-accumulates" in helps["MACs"] and "2 × MACs" in helps["FLOPs"]
    t = cnnscope.analyze("lenet5").totals
    assert f"{t.activation_bytes:,} bytes" in helps["Activations"]
    assert {m.label: m.value for m in app.metric}["Training (Adam, est.)"] == short_bytes(t.training_bytes_adam)
    assert list(app.selectbox(key="summary_precision").options) == list(PRECISIONS.values())
    app.selectbox(key="summary_precision").set_value("fp16-mixed").run()
    mixed = t.training_bytes_adam - t.activation_bytes // 2 + 61_706 * 2
    metric = next(m for m in app.metric if m.label == "Training (Adam, est.)")
    assert metric.value == short_bytes(mixed) and f"{mixed:,} bytes" in metric.help
    assert "master weights" in app.selectbox(key="summary_precision").help


def test_short_metric_values_by_hand():
    from cnnscope.app.pages.summary import short_bytes

    assert short_bytes(170_640_448) == "163 MB"  # r3d_18's activations: 162.74 MB, cut off before
    assert short_bytes(58_408) == "57.0 kB" and short_bytes(1_048_840) == "1.00 MB"
    assert short_bytes(int(5.5 * 2**30)) == "5.50 GB"


def test_the_shape_arithmetic_tab_shows_the_counts_and_a_legend(app):
    app.selectbox(key="arith_layer").set_value("0").run()
    code = app.code[0].value
    assert "6·1·5·5 + 6 = 156" in code and "1·28·28·6·1·5·5 = 117,600" in code
    legend = [shown(c.value) for c in app.caption]
    assert any("p = padding added on each side" in c and "height: n = 28, k = 5, s = 1, p = 2, d = 1" in c
               for c in legend), legend


def test_every_summary_column_has_help(app):
    import json

    from cnnscope.export.summary_rows import COLUMNS

    app.multiselect(key="summary_columns").set_value(list(COLUMNS)).run()
    config = json.loads(app.dataframe[0].proto.columns)
    assert {header: c["help"] for header, c in config.items() if header != "_index"} == {c.header: c.help for c in COLUMNS.values()}
    assert all(c.help for c in COLUMNS.values())


def test_call_2_rows_are_explained():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.query_params["model"] = "resnet18"
    at.run()
    assert "layer1.0.relu (call 2)" in " ".join(at.dataframe[0].value["Layer"])
    assert any("row per call" in shown(c.value) for c in at.caption)


def test_r3d_18_activations_fit_their_column_with_the_exact_figure_in_the_help():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.query_params["model"] = "r3d_18"
    at.run()
    metric = next(m for m in at.metric if m.label == "Activations")
    activations = cnnscope.analyze("r3d_18").totals.activation_bytes  # 170,640,448 bytes = 162.74 MB
    assert metric.value == "163 MB" and f"162.74 MB ({activations:,} bytes)" in metric.help


def test_the_batch_cap_is_high_and_the_whole_input_is_bounded():
    from cnnscope.app import input_caps

    assert input_caps.parse_inputs("image", "1000,3,224,224") == ((1000, 3, 224, 224),)  # was capped at 64
    with pytest.raises(UsageError, match="capped at batch 1024"):
        input_caps.parse_inputs("image", "2000,3,32,32")
    # 1024·3·512·512 = 805,306,368 numbers > 2^28; 2^28 // (3·512·512) = 341
    with pytest.raises(UsageError, match="holds 805,306,368 numbers.*a batch of at most 341 at this size"):
        input_caps.parse_inputs("image", "1024,3,512,512")
    assert "batch 1,024" in input_caps.input_help("image") and "traces shapes only" in input_caps.input_help("image")
