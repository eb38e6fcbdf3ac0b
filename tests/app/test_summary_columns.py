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
