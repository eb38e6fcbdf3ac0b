"""Filter pictures readable at phone width with a colour bar; 1-D outputs as bars."""

import numpy as np

from cnnscope.vis.feature_maps import bar_units, feature_grid
from cnnscope.vis.filters import MAX_COLUMNS, colour_bar_text, filter_grid, with_colour_bar


def test_the_colour_bar_names_the_shared_scale_values_and_where_zero_is():
    left, right, sentence = colour_bar_text(-0.5, 0.5, rgb=False)
    assert (left, right) == ("-0.5", "0.5") and "one scale for every filter" in sentence and "not 0" not in sentence
    assert "mid-grey is not 0" in colour_bar_text(-0.5, 0.25, rgb=False)[2]  # the middle is -0.125
    left, right, sentence = colour_bar_text(None, None, rgb=True)
    assert left == "the filter's min" and "each filter stretched on its own" in sentence and "R, G, B" in sentence


def test_the_colour_bar_is_a_black_to_white_ramp_under_the_picture():
    from PIL import Image

    picture = Image.new("RGB", (300, 40), (255, 255, 255))
    with_bar = np.asarray(with_colour_bar(picture, -1.0, 1.0).convert("L"))
    assert with_bar.shape[0] > 40 and (with_bar[:40] == 255).all()   # the picture is kept, the bar is below it
    row = with_bar[40 + 4 + 6].astype(int)                           # the middle of the bar
    rising = (np.diff(row) >= 0) & (np.diff(row) <= 3)                # a smooth climb, pixel by pixel
    runs, run, end = [], 0, 0
    for k, up in enumerate(rising):
        run = run + 1 if up else 0
        if run > max(runs, default=0):
            end = k + 1
        runs.append(run)
    start = end - max(runs)
    assert max(runs) >= 150 and row[start] <= 2 and row[end] >= 250   # black to white over the bar

def test_many_filters_get_few_wide_columns_and_a_cap_is_said():
    weight = np.random.default_rng(0).normal(size=(64, 3, 11, 11)).astype(np.float32)
    picture = filter_grid(weight, "t")
    # 6 columns of 11 px × 6 (66 px) plus gaps: about 450 px wide, not the 600+ of 8 columns
    assert MAX_COLUMNS == 6 and 400 <= picture.width <= 520, picture.size
    capped = filter_grid(weight, "t", max_filters=12)
    assert capped.height < picture.height / 2  # 2 rows instead of 11


def test_one_d_outputs_are_bars_of_all_units_or_the_largest():
    assert bar_units(np.array([3.0, -1.0, 2.0])) == ([0, 1, 2], "")
    values = np.arange(100, dtype=float) % 37  # the largest: 36 at 36 and 73, then 35 at 35 and 72
    chosen, note = bar_units(values, top=4)
    assert chosen == [36, 73, 35, 72] and note == "the 4 largest of 100 values"
    picture = feature_grid(np.array([1.0, -2.0, 0.5]), "fc")  # a Linear output: bars, not 1-pixel tiles
    grey = np.asarray(picture.convert("RGB"))
    assert ((grey[..., 2] > 150) & (grey[..., 0] < 60)).any() and ((grey[..., 0] > 200) & (grey[..., 1] < 60)).any()
