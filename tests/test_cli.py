"""The command line: outputs come from the same report; bad input is one line and a non-zero exit."""

import json
import subprocess
import sys
import textwrap

import pytest
import torch

import cnnscope
from cnnscope.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cnnscope: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_summary_json_is_exactly_the_report(capsys):
    code, out, _ = run(capsys, "summary", "resnet_mini", "--format", "json")
    assert code == 0
    assert json.loads(out) == cnnscope.analyze("resnet_mini").to_dict()


def test_summary_table_shows_rows_and_totals(capsys):
    code, out, _ = run(capsys, "summary", "tutorial_cnn")
    assert code == 0
    assert "max_pool2d" in out and "1×10×12×12" in out and "1×2000" in out
    assert "1,008,091" in out  # params
    assert "1,329,500" in out  # MACs


def test_summary_depth_limits_rows(capsys):
    _, shallow, _ = run(capsys, "summary", "resnet18", "--depth", "1", "--format", "csv")
    _, deep, _ = run(capsys, "summary", "resnet18", "--all", "--format", "csv")
    assert "layer1.0.conv1" not in shallow and "layer1.0.conv1" in deep
    assert shallow.splitlines()[0].startswith("index,name,type")


def test_summary_markdown_and_output_file(capsys, tmp_path):
    target = tmp_path / "lenet.md"
    code, out, _ = run(capsys, "summary", "lenet5", "--format", "md", "-o", str(target))
    assert code == 0 and out == ""
    text = target.read_text()
    assert text.startswith("# lenet5") and "| Layer |" in text and "61,706" in text
    assert not [p for p in tmp_path.iterdir() if p.name != "lenet.md"]  # no temporary left behind


def test_input_with_three_numbers_adds_the_batch(capsys):
    code, out, _ = run(capsys, "summary", "resnet18", "--input", "3,64,64", "--format", "json")
    assert code == 0 and json.loads(out)["input_shape"] == [1, 3, 64, 64]
    code, out, _ = run(capsys, "summary", "resnet18", "--input", "2x3x64x80", "--format", "json")
    assert json.loads(out)["input_shape"] == [2, 3, 64, 80]


def test_list_groups_and_wildcards(capsys):
    code, out, _ = run(capsys, "list", "resnet*")
    assert code == 0 and "resnet50" in out and "resnet_mini" in out and "vgg16" not in out
    assert "Tutorial nets" in out and "torchvision" in out


@pytest.mark.parametrize("argv,fragments", [
    (["summary", "resnet5"], ["unknown model 'resnet5'", "did you mean", "resnet50"]),
    (["summary", "vgg16", "--input", "3,16,16"], ["input too small", "features.30 (MaxPool2d)", "= 0 < 1", "32×32"]),
    (["summary", "lenet5", "--input", "3,28,28"], ["layer 0 (Conv2d) expects 1 input channels but receives 3"]),
    (["summary", "lenet5", "--input", "1,28,x"], ["--input '1,28,x'", "integers"]),
    (["summary", "lenet5", "--input", "1,0,28"], ["positive"]),
    (["summary", "lenet5", "--format", "xml"], ["invalid choice: 'xml'"]),
    (["list", "nothing_like_this*"], ["no model matches"]),
])
def test_bad_input_is_one_line(capsys, argv, fragments):
    with_exit = pytest.raises(SystemExit) if "--format" in argv else None
    if with_exit:
        with with_exit as info:
            main(argv)
        code, err = info.value.code, capsys.readouterr().err
    else:
        code, _, err = run(capsys, *argv)
    assert_one_line_error(code, err, *fragments)


def test_shape_failure_prints_the_rows_traced_so_far(capsys):
    code, out, err = run(capsys, "summary", "tutorial_cnn", "--input", "1,32,32")
    assert_one_line_error(code, err, "fc1 (Linear) expects 2000 input features but receives 2880 (20×12×12")
    assert "rows traced before the failure" in out and "1×2880" in out


def test_weights_files(capsys, tmp_path):
    model = cnnscope.build_model("lenet5")
    good = tmp_path / "good.pt"
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, good)
    code, out, _ = run(capsys, "summary", "lenet5", "--weights", str(good))
    assert code == 0 and "61,706" in out

    code, _, err = run(capsys, "summary", "lenet5", "--weights", str(tmp_path / "missing.pt"))
    assert_one_line_error(code, err, "no such weights file")

    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"this is not a checkpoint")
    code, _, err = run(capsys, "summary", "lenet5", "--weights", str(corrupt))
    assert_one_line_error(code, err, "not a readable PyTorch weights file")

    other = tmp_path / "other.pt"
    torch.save(cnnscope.build_model("resnet_mini").state_dict(), other)
    code, _, err = run(capsys, "summary", "lenet5", "--weights", str(other))
    assert_one_line_error(code, err, "do not fit the model", "missing keys", "unexpected keys")

    reshaped = dict(model.state_dict())
    reshaped["9.weight"] = torch.zeros(84, 121)
    torch.save(reshaped, other)
    code, _, err = run(capsys, "summary", "lenet5", "--weights", str(other))
    assert_one_line_error(code, err, "shape mismatches: 9.weight (84, 121) vs model (84, 120)")


def test_weights_are_loaded_without_unpickling_code(tmp_path, capsys):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"x": Evil()}, path)
    code, out, err = run(capsys, "summary", "lenet5", "--weights", str(path))
    assert_one_line_error(code, err, "not a readable PyTorch weights file")
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


def test_file_references(tmp_path, capsys):
    path = tmp_path / "nets.py"
    path.write_text(USER_FILE)
    for name in ("Small", "make_small"):
        code, out, _ = run(capsys, "summary", f"{path}:{name}", "--format", "json")
        assert code == 0
        data = json.loads(out)
        assert data["input_shape"] == [1, 1, 8, 8] and data["totals"]["params"] == 40
    for name, fragment in [("Missing", "has no 'Missing'; it defines NeedsArgs, Small"),
                           ("NeedsArgs", "needs constructor arguments (width)"),
                           ("NOT_A_MODEL", "neither an nn.Module subclass nor a factory"),
                           ("Plain", "not an nn.Module subclass")]:
        code, _, err = run(capsys, "summary", f"{path}:{name}")
        assert_one_line_error(code, err, fragment)
    code, _, err = run(capsys, "summary", f"{tmp_path / 'absent.py'}:Small")
    assert_one_line_error(code, err, "no such file")


def test_debug_env_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("CNNSCOPE_DEBUG", "1")
    with pytest.raises(cnnscope.errors.ModelNotFoundError):
        main(["summary", "resnet5"])


def test_console_script_and_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "cnnscope", "summary", "lenet5", "--input", "2,1,28", "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == "cnnscope: error: layer 0 (Conv2d) expects 1 input channels but receives 2 (input 1×2×1×28)\n"
    help_text = subprocess.run(["cnnscope", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "summary" in help_text.stdout


def test_help_does_not_import_torch():
    code = "import sys; from cnnscope.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\nprint('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().endswith("False")
