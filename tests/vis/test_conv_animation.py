"""The pictures of a convolution-arithmetic plan: one GIF frame per output cell, and a self-contained player."""

from __future__ import annotations

import argparse
import base64
import io
import re

import pytest
from PIL import Image

from cnnscope.errors import UsageError
from cnnscope.studies.arithmetic import CLASSIC, plan
from cnnscope.vis.conv_animation import frame_image, frame_size, html_page, write_gif


@pytest.mark.parametrize("settings", [dict(size=5, kernel=3, padding=1), dict(size=7, kernel=3, dilation=2),
                                      dict(size=3, kernel=3, stride=2, padding=1, transposed=True, output_padding=1),
                                      dict(size=6, kernel=4, stride=3, padding=2)])
def test_the_gif_has_one_frame_per_output_cell_and_loops(tmp_path, settings):
    shown = plan(**settings)
    path = write_gif(shown, tmp_path / "conv.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == shown.out ** 2 == len(shown.frames)
        assert gif.info.get("loop") == 0
        assert gif.size == frame_size(shown)
    assert not [p for p in tmp_path.iterdir() if p.name != "conv.gif"]  # no temporary file left behind


def test_a_frame_highlights_the_kernel_taps_and_the_output_cell():
    shown = plan(5, 3, padding=1)
    first, last = frame_image(shown, 0), frame_image(shown, 24)
    assert first.size == last.size == frame_size(shown)
    assert first.tobytes() != last.tobytes()
    orange = (255, 160, 70)  # a tap on a real input cell
    assert orange in {c for _, c in first.getcolors(1 << 16)}


def test_the_gif_frames_differ_where_the_kernel_moved(tmp_path):
    shown = plan(4, 3)
    with Image.open(write_gif(shown, tmp_path / "a.gif")) as gif:
        frames = []
        for n in range(gif.n_frames):
            gif.seek(n)
            frames.append(gif.convert("RGB").tobytes())
    assert len(set(frames)) == 4


def test_the_html_player_is_self_contained_and_has_its_controls():
    shown = plan(**CLASSIC[2].settings())
    page = html_page(shown)
    for element in ('id="frame-counter"', 'id="frame-caption"', 'id="play"', 'id="prev"', 'id="next"',
                    'type="range"'):
        assert element in page, element
    assert "frame 1 / 25" in page
    assert not re.search(r"<script[^>]+src=", page) and "http" not in page  # nothing fetched from the network
    pngs = re.findall(r'"(iVBOR[A-Za-z0-9+/=]+)"', page)
    assert len(pngs) == 25
    assert Image.open(io.BytesIO(base64.b64decode(pngs[0]))).size == frame_size(shown)
    assert "out (0,0) ← in (0,0) (0,1) (1,0) (1,1) + 5 padding cells" in page


def _args(*argv):
    from cnnscope.cli.arithmetic import add_arguments

    parser = argparse.ArgumentParser()
    parser.add_argument("-o", "--output")
    add_arguments(parser)
    return parser.parse_args(["--arithmetic", *argv])


def test_the_command_prints_the_frames_without_output(capsys):
    from cnnscope.cli.arithmetic import run

    assert run(_args("--size", "5", "--kernel", "3", "--padding", "1")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == ["out = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1", "    = ⌊(5 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 5"]
    assert sum(line.startswith("out (") for line in lines) == 25


def test_the_command_writes_a_gif_or_a_page(tmp_path, capsys):
    from cnnscope.cli.arithmetic import run

    gif = tmp_path / "conv.gif"
    assert run(_args("--size", "5", "--kernel", "3", "--padding", "1", "-o", str(gif))) == 0
    assert capsys.readouterr().out == f"wrote {gif}: 25 frames, 5×5 input, kernel 3, stride 1, padding 1 → 5×5\n"
    assert Image.open(gif).n_frames == 25
    page = tmp_path / "conv.html"
    assert run(_args("--size", "2", "--kernel", "3", "--stride", "2", "--transposed", "-o", str(page))) == 0
    assert capsys.readouterr().out == \
        f"wrote {page}: 25 frames, transposed, 2×2 input, kernel 3, stride 2, padding 0 → 5×5\n"
    assert 'id="frame-counter"' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("argv, message", [
    (("--kernel", "3"), "--arithmetic needs --size (e.g. --size 5 --kernel 3)"),
    ((), "--arithmetic needs --size and --kernel (e.g. --size 5 --kernel 3)"),
    (("--size", "5", "--kernel", "3", "-o", "conv.png"),
     "-o conv.png: --arithmetic writes a .gif (animation) or a .html (a player page)"),
    (("--size", "4", "--kernel", "7"), "kernel 7 (dilated span 7) is larger than the padded input 4 + 2·0 = 4: "
                                       "⌊(4 + 2·0 − 1·(7−1) − 1)/1⌋ + 1 = -2 outputs"),
])
def test_the_command_refuses_bad_settings_in_one_line(argv, message):
    from cnnscope.cli.arithmetic import run

    with pytest.raises(UsageError) as caught:
        run(_args(*argv))
    assert str(caught.value) == message


def test_a_missing_folder_is_said_before_drawing(tmp_path):
    from cnnscope.cli.arithmetic import run

    with pytest.raises(UsageError, match="no such folder"):
        run(_args("--size", "5", "--kernel", "3", "-o", str(tmp_path / "missing" / "conv.gif")))
