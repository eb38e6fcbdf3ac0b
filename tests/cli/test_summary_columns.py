"""`summary --columns` and `--by-operator`: the cells are the report's numbers, in the asked order."""

from __future__ import annotations

import json

import cnnscope
from cnnscope.export.summary_rows import COLUMNS, DEFAULT_COLUMNS, headers, row_cells


def test_chosen_columns_in_the_markdown_table(run_cli):
    code, out, err = run_cli("summary", "lenet5", "--format", "md", "--depth", "1",
                             "--columns", "name,kind,kernel,stride,params%,macs,jump")
    assert code == 0, err
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("| Layer"))
    assert header == "| Layer | Kind | Kernel | Stride | % Params | MACs | Jump |"
    report = cnnscope.analyze("lenet5")
    first = report.layers[1]  # layer 0: Conv2d(1, 6, 5, padding=2)
    row = next(line for line in lines if line.startswith(f"| `{first.name}`"))
    share = f"{100 * first.params / report.totals.params:.1f}%"
    assert row == f"| `0` | conv | 5 | 1 | {share} | 117.60 k | 1 |"  # 28·28·6 outputs × 25 MACs


def test_every_column_renders_on_a_real_report():
    report = cnnscope.analyze("resnet18")
    cells = row_cells(report.layer("layer1.0.conv1"), report, tuple(COLUMNS))
    assert dict(zip(COLUMNS, cells)) == {
        "name": "    layer1.0.conv1", "type": "Conv2d", "kind": "conv", "input": "1×64×56×56",
        "output": "1×64×56×56", "kernel": "3", "stride": "1", "padding": "1", "params": "36,864",
        "params%": "0.3%", "trainable": "36,864", "macs": "115.61 M", "macs%": "6.4%", "flops": "231.21 M",
        "other": "—", "memory": "0.77 MB", "rf": "19", "jump": "4", "start": "-9"}
    assert headers(DEFAULT_COLUMNS) == ["Layer", "Type", "Output shape", "Params", "MACs", "% MACs", "RF"]


def test_by_operator_lines_sum_to_the_total(run_cli):
    code, out, _ = run_cli("summary", "resnet18", "--depth", "0", "--by-operator")
    assert code == 0
    assert "MACs by operator" in out
    assert any(line.split()[:2] == ["aten.convolution", "1,813,561,344"] for line in out.splitlines())
    code, out, _ = run_cli("summary", "resnet18", "--format", "json")
    data = json.loads(out)
    assert sum(data["totals"]["macs_by_operator"].values()) == data["totals"]["macs"]
    assert data["uncounted_ops"] == []


def test_an_unknown_column_is_one_line(run_cli):
    code, out, err = run_cli("summary", "lenet5", "--columns", "name,macz")
    run_cli.assert_one_line_error(code, err, "unknown column 'macz'", "known: name, type")
    assert code == 2 and out == ""
