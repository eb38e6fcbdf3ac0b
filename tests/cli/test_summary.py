"""``cnnscope summary``: every output comes from the same report; bad input is one line and a
non-zero exit."""

import csv
import io
import json
import textwrap

import pytest
import torch

import cnnscope
from cnnscope.export import tabular



def test_summary_json_is_exactly_the_report(run_cli):
    code, out, _ = run_cli("summary", "resnet_mini", "--format", "json")
    assert code == 0
    assert json.loads(out) == cnnscope.analyze("resnet_mini").to_dict()


def test_summary_numbers_and_rows(run_cli):
    code, out, _ = run_cli("summary", "tutorial_cnn", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["totals"]["params"] == 1_008_091 and data["totals"]["macs"] == 1_329_500
    rows = {row["name"]: row for row in data["layers"]}
    assert rows["max_pool2d"]["kind"] == "function" and rows["max_pool2d"]["output_shape"] == [1, 10, 12, 12]


def test_summary_table_shows_rows_and_totals(run_cli):
    code, out, _ = run_cli("summary", "tutorial_cnn")
    assert code == 0
    assert "max_pool2d" in out and "1×10×12×12" in out and "1×2000" in out  # a functional row, shapes
    assert "Params" in out and "1,008,091" in out and "FLOPs (2 × MACs)" in out  # the totals under the rows


def test_summary_depth_limits_rows(run_cli):
    _, shallow, _ = run_cli("summary", "resnet18", "--depth", "1", "--format", "csv")
    _, deep, _ = run_cli("summary", "resnet18", "--all", "--format", "csv")
    shallow_names = {row["name"] for row in csv.DictReader(io.StringIO(shallow))}
    deep_names = {row["name"] for row in csv.DictReader(io.StringIO(deep))}
    assert "layer1" in shallow_names and "layer1.0.conv1" not in shallow_names and "layer1.0.conv1" in deep_names
    assert shallow.splitlines()[0].startswith("index,name,type")


def test_summary_markdown_table_to_stdout_and_to_a_file_without_suffix(run_cli, tmp_path):
    code, out, _ = run_cli("summary", "lenet5", "--format", "md")
    assert code == 0 and out == tabular.to_markdown(cnnscope.analyze("lenet5"), 3)  # --depth 3 by default
    target = tmp_path / "lenet"
    code, out, _ = run_cli("summary", "lenet5", "--format", "md", "-o", target)
    assert code == 0 and out == "" and target.read_text() == tabular.to_markdown(cnnscope.analyze("lenet5"), 3)
    assert [p.name for p in tmp_path.iterdir()] == ["lenet"]  # no temporary left behind


def test_input_with_three_numbers_adds_the_batch(run_cli):
    code, out, _ = run_cli("summary", "resnet18", "--input", "3,64,64", "--format", "json")
    assert code == 0 and json.loads(out)["input_shape"] == [1, 3, 64, 64]
    code, out, _ = run_cli("summary", "resnet18", "--input", "2x3x64x80", "--format", "json")
    assert json.loads(out)["input_shape"] == [2, 3, 64, 80]


@pytest.mark.parametrize("argv,fragments", [
    (["summary", "resnet5"], ["unknown model 'resnet5'", "did you mean", "resnet50"]),
    (["summary", "vgg16", "--input", "3,16,16"], ["input too small", "features.30 (MaxPool2d)", "= 0 < 1", "32×32"]),
    (["summary", "lenet5", "--input", "3,28,28"], ["layer 0 (Conv2d) expects 1 input channels but receives 3"]),
    (["summary", "lenet5", "--input", "1,28,x"], ["--input '1,28,x'", "integers"]),
    (["summary", "lenet5", "--input", "1,0,28"], ["positive"]),
    (["summary", "lenet5", "--format", "xml"], ["invalid choice: 'xml'"]),
])
def test_bad_input_is_one_line(run_cli, argv, fragments):
    code, _, err = run_cli(*argv)
    run_cli.assert_one_line_error(code, err, *fragments)


def test_shape_failure_prints_the_rows_traced_so_far(run_cli):
    code, out, err = run_cli("summary", "tutorial_cnn", "--input", "1,32,32")
    run_cli.assert_one_line_error(code, err, "fc1 (Linear) expects 2000 input features but receives 2880 (20×12×12")
    assert "rows traced before the failure" in out and "1×2880" in out
    code, out, _ = run_cli("summary", "tutorial_cnn", "--input", "1,32,32", "--format", "json")
    assert code == 1 and out == ""  # never a table mixed into JSON


def test_weights_files(run_cli, tmp_path):
    model = cnnscope.build_model("lenet5")
    good = tmp_path / "good.pt"
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, good)
    code, out, _ = run_cli("summary", "lenet5", "--weights", good, "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 61_706

    code, _, err = run_cli("summary", "lenet5", "--weights", tmp_path / "missing.pt")
    run_cli.assert_one_line_error(code, err, "no such weights file")

    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"this is not a checkpoint")
    code, _, err = run_cli("summary", "lenet5", "--weights", corrupt)
    run_cli.assert_one_line_error(code, err, "not a readable PyTorch weights file")

    other = tmp_path / "other.pt"
    torch.save(cnnscope.build_model("resnet_mini").state_dict(), other)
    code, _, err = run_cli("summary", "lenet5", "--weights", other)
    run_cli.assert_one_line_error(code, err, "do not fit the model", "missing keys", "unexpected keys")

    reshaped = dict(model.state_dict())
    reshaped["9.weight"] = torch.zeros(84, 121)
    torch.save(reshaped, other)
    code, _, err = run_cli("summary", "lenet5", "--weights", other)
    run_cli.assert_one_line_error(code, err, "shape mismatches: 9.weight (84, 121) vs model (84, 120)")


def test_weights_are_loaded_without_unpickling_code(run_cli, tmp_path):
    class Evil:
        def __reduce__(self):
            return (exec, ("print('pwned')",))  # not print: Ray, once started in this process, may replace it

    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    code, out, err = run_cli("summary", "lenet5", "--weights", path)
    run_cli.assert_one_line_error(code, err, "holds Python objects (exec)", "refused for safety")
    assert "pwned" not in out


USER_FILE = textwrap.dedent('''
    import torch
    from torch import nn

    class Small(nn.Module):
        input_shape = (1, 8, 8)

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)

        def forward(self, x):
            return self.conv(x)

    class NeedsArgs(nn.Module):
        def __init__(self, width):
            super().__init__()

    def make_small():
        return Small()

    NOT_A_MODEL = 3

    class Plain:
        pass
''')


def test_file_references(run_cli, tmp_path):
    path = tmp_path / "nets.py"
    path.write_text(USER_FILE)
    for name in ("Small", "make_small"):
        code, out, _ = run_cli("summary", f"{path}:{name}", "--format", "json")
        assert code == 0
        data = json.loads(out)
        assert data["input_shape"] == [1, 1, 8, 8] and data["totals"]["params"] == 40
    for name, fragment in [("Missing", "has no 'Missing'; it defines NeedsArgs, Small"),
                           ("NeedsArgs", "needs constructor arguments (width)"),
                           ("NOT_A_MODEL", "neither an nn.Module subclass nor a factory"),
                           ("Plain", "not an nn.Module subclass")]:
        code, _, err = run_cli("summary", f"{path}:{name}")
        run_cli.assert_one_line_error(code, err, fragment)
    code, _, err = run_cli("summary", f"{tmp_path / 'absent.py'}:Small")
    run_cli.assert_one_line_error(code, err, "no such file")


# Batch norm after a global pool sees one value per channel at batch 1, which training mode refuses.
_BN_ON_ONE_PIXEL = "in3x8x8,c3-4,gap,bn,flat,fc2"


def test_train_mode_at_the_natural_batch_of_one_traces_at_batch_two(run_cli):
    code, out, err = run_cli("summary", _BN_ON_ONE_PIXEL, "--mode", "train", "--depth", "0")
    assert code == 0, err
    assert out.splitlines()[0].startswith("model — input 2×3×8×8, train mode (batch 2")  # a one-line spec is named "model"
    assert "traced at batch 2" in out and "2 (batch norm)" in out  # the diagnostic names the layer
    report = json.loads(run_cli("summary", _BN_ON_ONE_PIXEL, "--mode", "train", "--format", "json")[1])
    assert report["input_shape"] == [2, 3, 8, 8] and report["mode"] == "train"
    assert [d["code"] for d in report["diagnostics"]] == ["train-batch-2"]
    # the same 2×(3·3·3·4 + 4·2) MACs per image as in eval mode at batch 1, doubled
    eval_report = json.loads(run_cli("summary", _BN_ON_ONE_PIXEL, "--format", "json")[1])
    assert report["totals"]["macs"] == 2 * eval_report["totals"]["macs"]


def test_an_explicit_batch_of_one_in_train_mode_is_still_refused(run_cli):
    code, _, err = run_cli("summary", _BN_ON_ONE_PIXEL, "--mode", "train", "--input", "1,3,8,8", "--format", "json")
    run_cli.assert_one_line_error(code, err, "batch of 2 or more", "2,3,8,8")


STUDENT_MISTAKE = """name: net
input: [1, 28, 28]
layers:
  - conv: {out: 6, kernel: 5}
  - relu
  - maxpool: {kernel: 2}
  - conv: {out: 16, kernel: 5}
  - maxpool: {kernel: 2}
  - conv: {out: 16, kernel: 5}
"""


def test_a_spec_files_mistake_names_the_layer_as_the_table_does_with_its_entry_and_line(run_cli, tmp_path):
    """Not ``layers[5].conv`` (0-based, counting the ReLU): the name of the summary's row, the entry in
    words, and the line of the file; the fix with its numbers."""
    import cnnscope

    spec = tmp_path / "net.yaml"
    spec.write_text(STUDENT_MISTAKE)
    code, _, err = run_cli("summary", spec)
    run_cli.assert_one_line_error(code, err, f"{spec}: layer 5 (conv, the 6th layer in the list, line 9): "
                                             "the map is 4×4 here", "use kernel ≤ 4, or padding ≥ 1")
    spec.write_text(STUDENT_MISTAKE.rsplit("  - conv", 1)[0])  # the layers before the mistake
    names = [r.name for r in cnnscope.analyze(str(spec)).layers if r.name]
    assert names == ["0", "1", "2", "3", "4"]  # the next row would be "5", as the message says
