"""The number formats every view shares (``cnnscope/units.py``): percentages, shares and RF cells."""

from cnnscope import units
from cnnscope.report import ReceptiveField


def test_percent_has_one_decimal_and_a_dash_for_nothing():
    assert units.percent(0.875) == "87.5%" and units.percent(1.0) == "100.0%" and units.percent(0.0) == "0.0%"
    assert units.percent(None) == "—" and units.percent(None, "") == ""
    for value in (0.0005, 0.12345, 0.9995, 1 / 3, 2 / 3):  # the same digits as Python's own ".1%"
        assert units.percent(value) == f"{value:.1%}"


def test_share_is_empty_when_either_side_is_zero():
    assert units.share(3, 8) == "37.5%" and units.share(1, 3) == "33.3%"
    assert units.share(0, 8) == "" and units.share(3, 0) == ""


def test_rf_cell():
    assert units.rf_size(None) == "—" and units.rf_size(None, "") == ""
    assert units.rf_size(ReceptiveField(size=[7, 7], jump=[2, 2], start=[-3, -3])) == "7"
    assert units.rf_size(ReceptiveField(size=[7, 5], jump=[2, 2], start=[-3, -2])) == "7×5"
    assert units.rf_size(ReceptiveField(size=[224, 224], jump=[1, 1], start=[0, 0], is_global=True)) == "global"
