"""``cnnscope rf``: the table, one unit on an image, the effective field, and its errors."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from cnnscope.export import rf_table


def _rows(run_cli, *argv):
    code, out, _ = run_cli("rf", *argv, "--format", "json")
    assert code == 0
    return json.loads(out)


def test_rf_rows_carry_the_recurrence(run_cli):
    data = _rows(run_cli, "resnet_mini")
    fields = [row["rf"] for row in data["layers"] if row["rf"]]
    recurrences = [f["recurrence"] for f in fields if f["recurrence"]]
    assert any(r.startswith("r = 10 + (3−1)·1·2 = 14,") for r in recurrences)
    assert "union of 6×6, 14×14" in recurrences
    assert fields[-1]["global"] and fields[-1]["size"] == [28, 28]


def test_rf_table_writes_the_recurrence(run_cli):
    code, out, _ = run_cli("rf", "resnet_mini")
    assert code == 0
    assert "r = 10 + (3−1)·1·2 = 14" in out and "union of 6×6, 14×14" in out and "global (28)" in out


def test_rf_json_for_one_layer_lists_its_path(run_cli):
    data = _rows(run_cli, "vgg16", "--layer", "features.9")
    assert [row["name"] for row in data["layers"]][-1] == "features.9"
    assert all(not row["name"].startswith("classifier") for row in data["layers"])
    assert data["layers"][-1]["rf"]["size"] == [16, 16] and data["layers"][-1]["rf"]["jump"] == [4, 4]


def test_rf_picture_of_one_unit_with_the_effective_field(run_cli, tmp_path):
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((40, 50, 3)) * 255).astype("uint8")).save(photo)
    target = tmp_path / "rf.png"
    unit = _rows(run_cli, "resnet_mini", "--layer", "3", "--image", photo, "--unit", "5,6", "-o", target)["unit"]
    with Image.open(target) as picture:
        assert picture.width > 2 * 28 and picture.height > 28
    # unit (5, 6) of a 14-wide, jump-2 field starting at −4: rows 6..19, columns 8..21
    assert unit["layer"] == "3" and unit["unit"] == [5, 6] and unit["grid"] == [12, 12]
    assert unit["theoretical"]["size"] == [14, 14] and unit["theoretical"]["box"] == [6, 8, 19, 21]
    assert set(unit["effective_squares"]) == {"50%", "90%", "99%"}


def test_unit_line_under_the_table():
    field = SimpleNamespace(layer="3", unit=(5, 6), grid=(12, 12), size=(14, 14), box=(6, 8, 19, 21),
                            squares={"50%": 5, "90%": 9})
    assert rf_table.unit_line(field) == ("unit 5,6 of 3 (grid 12×12): theoretical field 14×14, rows 6..19, "
                                         "columns 8..21; effective field squares 50% 5, 90% 9")


def test_empirical_squares_in_json(run_cli):
    unit = _rows(run_cli, "lenet5", "--empirical", "--layer", "3", "--samples", "4")["unit"]
    squares = unit["effective_squares"]
    assert unit["theoretical"]["size"] == [14, 14]  # 5, pool → 6, conv 5 with jump 2 → 14
    assert 1 <= squares["50%"] <= squares["90%"] <= squares["99%"] <= 14


@pytest.mark.parametrize("argv,fragment", [
    (["rf", "vgg16", "--layer", "features.99"], "no layer named 'features.99'"),
    (["rf", "resnet18", "--layer", "fc", "--empirical"], "sees the whole input"),
    (["rf", "lenet5", "--layer", "3", "--empirical", "--unit", "99,0"], "outside '3''s output grid"),
    (["rf", "lenet5", "--image", "/nonexistent.png"], "no such image file"),
    (["rf", "lenet5", "-o", "out.gif"], "unknown suffix .gif; choose .png, .jpg, .jpeg, .json, .csv, .md or .txt"),
    (["rf", "lenet5", "--samples", "0"], "--samples must be at least 1"),
])
def test_rf_bad_input_is_one_line(run_cli, argv, fragment):
    code, _, err = run_cli(*argv)
    run_cli.assert_one_line_error(code, err, fragment)
