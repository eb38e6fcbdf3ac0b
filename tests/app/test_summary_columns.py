"""The app's layer table uses the columns of `summary --columns` (same names, same cells)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

import cnnscope
from cnnscope.export.summary_rows import COLUMNS, DEFAULT_COLUMNS, headers, row_cells


def test_the_layer_table_takes_the_cli_column_names():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    picker = at.multiselect(key="summary_columns")
    assert list(picker.options) == [f"{key} ({c.header})" for key, c in COLUMNS.items()]
    assert list(picker.value) == list(DEFAULT_COLUMNS)
    assert at.dataframe[0].value.columns.tolist() == headers(DEFAULT_COLUMNS)
    picker.set_value(["name", "kernel", "params", "jump"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    report = cnnscope.analyze("lenet5")
    assert table.columns.tolist() == ["Layer", "Kernel", "Params", "Jump"]
    assert tuple(table.iloc[0]) == row_cells(report.layers[1], report, ("name", "kernel", "params", "jump")) \
        == ("0", "5", "156", "1")  # Conv2d(1, 6, 5): 6·25 + 6 parameters


def test_a_phone_gets_the_key_columns_by_priority():
    """The compact table (shown below 640 px): layer, output shape, parameters, then the first other chosen column."""
    from cnnscope.app.pages.summary import compact_columns

    assert compact_columns(list(DEFAULT_COLUMNS)) == ["name", "output", "params", "macs"]
    assert compact_columns(["name", "kernel", "rf"]) == ["name", "output", "params", "kernel"]
    assert compact_columns(["params"]) == ["name", "output", "params"]
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    compact = next(h.proto.body for h in at.get("html") if "cs-compact" in h.proto.body)
    headers_shown = [h.split(">")[-1] for h in compact.split("</th>")[:-1]]
    assert headers_shown == ["Layer", "Output shape", "Params", "MACs"]
    assert ('<td style="padding-left: 0.3rem">0</td><td>1×6×28×28</td><td class="num">156</td>'
            '<td class="num">117.60 k</td>') in compact  # LeNet-5's first conv: 6·1·5·5 + 6 parameters
