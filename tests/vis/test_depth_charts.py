"""The charts along the depth: one point per leaf row, values taken from the report's records."""

import pytest

from cnnscope.vis.charts import DEPTH_CHARTS, depth_figures, depth_series


@pytest.fixture(scope="module")
def lenet(analyze=None):
    import cnnscope

    return cnnscope.analyze("lenet5")


def test_lenet_series_follow_the_records(lenet):
    series = depth_series(lenet)
    assert [p[1] for p in series["resolution"]] == [28, 28, 14, 10, 10, 5, 1, 1]  # flatten on: no height
    assert [p[1] for p in series["channels"]] == [6, 6, 6, 16, 16, 16, 120, 120, 120, 84, 84, 10]
    assert [p[1] for p in series["rf"]] == [5, 5, 6, 14, 14, 16, 32, 32]  # global fields left out
    assert series["macs"][0][1] == pytest.approx(100 * 117_600 / 416_520)  # the first conv's share
    assert series["macs"][-1][1] == pytest.approx(100) and series["params"][-1][1] == pytest.approx(100)
    assert series["resolution"][0][2] == "0: 28×28" and len(series["macs"]) == len(lenet.leaves())


def test_overlaid_figures_have_one_line_per_model(lenet):
    import cnnscope

    mini = cnnscope.analyze("resnet_mini")
    figures = depth_figures([lenet, mini])
    assert [f.layout.title.text for f in figures] == [title for _, title, _, _ in DEPTH_CHARTS]
    assert [t.name for t in figures[0].data] == ["lenet5", "resnet_mini"]
    assert [t.name for t in figures[3].data] == ["lenet5 MACs", "lenet5 params", "resnet_mini MACs",
                                                  "resnet_mini params"]
    assert figures[3].data[1].line.dash == "dot" and figures[3].data[0].line.color == figures[3].data[1].line.color
    assert list(figures[2].data[1].y) == [p[1] for p in depth_series(mini)["rf"]]


def test_log_axes_write_whole_numbers_not_si_decimals(lenet):
    """vgg16's 25,088 features after flatten read "16,384" and "32,768" on the axis, not "16.384k"."""
    for figure, (_, title, _, log) in zip(depth_figures([lenet]), DEPTH_CHARTS):
        assert (figure.layout.yaxis.tickformat == ",d") == log, title
        assert (figure.layout.yaxis.type == "log") == log, title
