"""`cnnscope rf`: the table, one unit on an image, the effective field, and its errors."""

import json

import numpy as np
import pytest
from PIL import Image

from cnnscope.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rf_table_writes_the_recurrence(capsys):
    code, out, _ = run(capsys, "rf", "resnet_mini")
    assert code == 0
    assert "r = 10 + (3−1)·1·2 = 14" in out and "union of 6×6, 14×14" in out and "global (28)" in out


def test_rf_json_for_one_layer_lists_its_path(capsys):
    code, out, _ = run(capsys, "rf", "vgg16", "--layer", "features.9", "--format", "json")
    data = json.loads(out)
    assert [row["name"] for row in data["layers"]][-1] == "features.9"
    assert all(not row["name"].startswith("classifier") for row in data["layers"])
    assert data["layers"][-1]["rf"]["size"] == [16, 16] and data["layers"][-1]["rf"]["jump"] == [4, 4]


def test_rf_picture_of_one_unit_with_the_effective_field(capsys, tmp_path):
    photo = tmp_path / "photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((40, 50, 3)) * 255).astype("uint8")).save(photo)
    target = tmp_path / "rf.png"
    code, out, _ = run(capsys, "rf", "resnet_mini", "--layer", "3", "--image", str(photo), "--unit", "5,6",
                       "-o", str(target))
    assert code == 0
    with Image.open(target) as picture:
        assert picture.width > 2 * 28 and picture.height > 28
    # unit (5, 6) of a 14-wide, jump-2 field starting at −4: rows 6..19, columns 8..21
    assert "unit 5,6 of 3 (grid 12×12): theoretical field 14×14, rows 6..19, columns 8..21" in out
    assert "effective field squares 50%" in out


def test_empirical_squares_in_json(capsys):
    code, out, _ = run(capsys, "rf", "lenet5", "--empirical", "--layer", "3", "--samples", "4", "--format", "json")
    unit = json.loads(out)["unit"]
    squares = unit["effective_squares"]
    assert unit["theoretical"]["size"] == [14, 14]  # 5, pool → 6, conv 5 with jump 2 → 14
    assert 1 <= squares["50%"] <= squares["90%"] <= squares["99%"] <= 14


@pytest.mark.parametrize("argv,fragment", [
    (["rf", "vgg16", "--layer", "features.99"], "no layer named 'features.99'"),
    (["rf", "resnet18", "--layer", "fc", "--empirical"], "sees the whole input"),
    (["rf", "lenet5", "--layer", "3", "--empirical", "--unit", "99,0"], "outside '3''s output grid"),
    (["rf", "lenet5", "--image", "/nonexistent.png"], "no such image file"),
    (["rf", "lenet5", "-o", "out.gif"], "use .png for the picture"),
])
def test_rf_bad_input_is_one_line(capsys, argv, fragment):
    code, _, err = run(capsys, *argv)
    assert code != 0 and len(err.strip().splitlines()) == 1 and fragment in err
