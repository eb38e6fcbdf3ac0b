"""``cnnscope code`` and specs on the command line: spec errors are one line, generated code summarizes.

(The CLI tests of tests/test_spec.py; the spec tests themselves are tests/spec/test_spec.py.)
"""

import json


def test_cli_spec_errors_are_one_line(run_cli, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n")
    code, _, err = run_cli("summary", path)
    assert code == 1
    assert err == f'cnnscope: error: {path}: layer 0 (conv, the 1st layer in the list, line 3): unknown argument ' \
                  '"kernal" (did you mean "kernel"?); conv takes out, kernel, stride, padding, dilation, groups, bias\n'


def test_cli_code_writes_a_file(run_cli, tmp_path):
    target = tmp_path / "net.py"
    code, out, _ = run_cli("code", "in1x28x28,c5-6p2,tanh,ap2,flat,fc10", "-o", target)
    assert code == 0 and out == ""
    assert "class Model(nn.Sequential):" in target.read_text()
    code, out, _ = run_cli("summary", f"{target}:Model", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 6 * 26 + 6 * 14 * 14 * 10 + 10


def test_code_to_stdout_with_another_input(run_cli):
    code, out, _ = run_cli("code", "in1x28x28,c5-6p2,tanh,ap2,flat,fc10", "--input", "3,32,32")
    assert code == 0 and "class Model(nn.Sequential):" in out and "nn.Conv2d(3, 6" in out


def test_code_wants_a_spec(run_cli):
    code, _, err = run_cli("code", "resnet18")
    run_cli.assert_one_line_error(code, err, "'resnet18' is not a spec")
    assert code == 2
