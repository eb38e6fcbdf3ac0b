"""A census file whose figures were edited into something that is not a number (a CSV touched by hand, a JSON
from elsewhere) is one line naming the row and the column -- in the CLI and the app alike -- never an internal
error, and the file is left as it was."""

from __future__ import annotations

import json

import pytest

from cnnscope.export import census_file
from cnnscope.export.census_file import NotACensusError

from .test_file import sample_rows


def _csv_with(tmp_path, old: str, new: str):
    path = tmp_path / "zoo.csv"
    census_file.write(path, sample_rows())
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_word_in_a_csv_figure_is_one_line(tmp_path):
    path = _csv_with(tmp_path, ",11689512,", ",lots,")
    with pytest.raises(NotACensusError) as caught:
        census_file.read(path)
    assert str(caught.value) == f"{path}: row 1: params is 'lots', not a number"


@pytest.mark.parametrize("value", [[1], {"a": 1}, "1e999x"])
def test_a_json_figure_of_another_type_is_one_line(tmp_path, value):
    path = tmp_path / "zoo.json"
    census_file.write(path, sample_rows())
    document = json.loads(path.read_text(encoding="utf-8"))
    document["rows"][1]["rf_size_h"] = value
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(NotACensusError) as caught:
        census_file.read(path)
    assert str(caught.value) == f"{path}: row 2: rf_size_h is {value!r}, not a number"


def test_a_row_without_a_name_is_one_line(tmp_path):
    path = tmp_path / "zoo.json"
    census_file.write(path, sample_rows())
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["rows"][2]["name"]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(NotACensusError) as caught:
        census_file.read(path)
    assert str(caught.value) == f"{path}: row 3 has no name"


def test_the_census_command_refuses_it_and_keeps_the_file(tmp_path, capsys):
    from cnnscope.cli.main import main

    path = _csv_with(tmp_path, ",11689512,", ",lots,")
    before = path.read_bytes()
    assert main(["census", "lenet5", "-o", str(path)]) == 1
    assert capsys.readouterr().err.strip() == f"cnnscope: error: {path}: row 1: params is 'lots', not a number"
    assert path.read_bytes() == before
