"""Text the app shows from the studies, in Chinese: the kernel study's findings and verdict, the conv
arithmetic's frames, a unit's explanation; the same numbers as in English, and the JSON's verdict text in
English whatever the language."""

import re

import pytest

pytest.importorskip("babel")

from cnnscope.i18n import use_language  # noqa: E402

from .test_app_b_pages_zh import english_left  # noqa: E402


def _stats(**accs):
    params = {"single": 49, "stack3x3": 27, "factorized": 14}
    return {kind: {"val_acc": acc, "train_loss": loss, "converged": [True] * len(acc), "params": params[kind] * 1024,
                   "macs": params[kind] * 65536, "majority_rate": 0.1, "n_val": 360}
            for kind, (acc, loss) in accs.items()}


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def test_the_kernel_findings_in_chinese_carry_the_english_numbers():
    from cnnscope.export.kernels import findings
    from cnnscope.studies.kernels.variants import study

    variants = study(7, 16, 32)
    english = findings(variants, 7, 16)
    with use_language("zh"):
        chinese = findings(variants, 7, 16)
    assert english[0].startswith("three 3×3 layers: 27·C² weights against 49·C² — 45% fewer")
    assert chinese[0].startswith("三个 3×3 卷积层：27·C² 个权重")
    for en, zh in zip(english, chinese):
        assert english_left(zh) == [], zh
        assert sorted(_numbers(en)) == sorted(_numbers(zh)), (en, zh)


@pytest.mark.parametrize("accs", [
    dict(single=([0.90, 0.91, 0.92], [0.30, 0.31, 0.29]), stack3x3=([0.97, 0.98, 0.99], [0.05, 0.04, 0.06]),
         factorized=([0.95, 0.96, 0.94], [0.10, 0.12, 0.11])),  # resolved, stack3x3 best, fits better
    dict(single=([0.12, 0.13, 0.11], [2.3] * 3), stack3x3=([0.97, 0.98, 0.99], [0.03] * 3)),  # one did not learn
    dict(single=([0.95], [0.2]), stack3x3=([0.96], [0.19])),  # one seed: not resolved
])
def test_the_kernel_verdict_in_chinese(accs):
    from cnnscope.export.kernels import verdict_data, verdict_text
    from cnnscope.studies.kernels.verdict import judge

    verdict = judge(_stats(**accs), rf=7)
    english = verdict_text(verdict)
    with use_language("zh"):
        chinese = verdict_text(verdict)
        data = verdict_data(verdict)
    assert english_left(chinese) == [], chinese
    assert "7×7" in chinese and sorted(_numbers(english)) == sorted(_numbers(chinese)), (english, chinese)
    assert data["text"] == english  # JSON values do not change with the language


def test_the_arithmetic_frames_in_chinese():
    from cnnscope.studies.arithmetic import describe, plan

    shown = plan(5, 3, 2, 1)
    english = describe(shown)
    with use_language("zh"):
        chinese = describe(shown)
        from cnnscope.vis.conv_animation import html_page

        page = html_page(plan(3, 3, 1, 0))
    assert english[0] == "convolution: 5×5 input, kernel 3, stride 2, padding 1 (padding, strides)"
    assert chinese[0] == "卷积：5×5 输入，卷积核 3，步幅 2，填充 1 (有填充，带步幅)"
    assert chinese[4].startswith("输出 (0,0) ← 输入 填充 填充 填充 | 填充 (0,0) (0,1)")
    assert [_numbers(line) for line in chinese] == [_numbers(line) for line in english]
    for line in chinese:
        assert english_left(line) == [], line
    assert '<html lang="zh">' in page and ">播放</button>" in page and "第 1 / 1 帧" in page


def test_a_units_explanation_in_chinese():
    import torch

    from cnnscope.probes.unit import explain

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3).eval(), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(48, 4)).eval()
    x = torch.randn(1, 2, 8, 8)
    for layer, unit in (("0", (1, 0, 7)), ("1", (1, 2, 2)), ("3", (2, 1, 3)), ("5", (3,))):
        english = explain(model, x, layer, unit)
        with use_language("zh"):
            chinese = explain(model, x, layer, unit)
        assert chinese.sum == english.sum and chinese.value == english.value
        for line in chinese.formula + chinese.notes + [chinese.field_note]:
            assert english_left(line) == [], (layer, line)
        assert [_numbers(line) for line in chinese.formula] == [_numbers(line) for line in english.formula]


def test_the_pictures_draw_chinese_with_a_cjk_font():
    """The loss curves' PNG and a unit's picture (matplotlib) and the arithmetic GIF's frames (PIL): no
    missing-glyph warning, and the Chinese frame differs from the English one where the words are."""
    import warnings

    import numpy as np
    import torch

    from cnnscope.probes.unit import explain
    from cnnscope.studies.arithmetic import plan
    from cnnscope.train.history import EpochRecord, StepRecord, TrainHistory
    from cnnscope.vis import fonts
    from cnnscope.vis.conv_animation import frame_image
    from cnnscope.vis.training_curves import loss_png
    from cnnscope.vis.unit_figure import unit_picture

    if fonts.cjk_font_path() is None:
        pytest.skip("no CJK font installed (pip install cnnscope[zh])")
    history = TrainHistory([EpochRecord(1, 1.0, 0.5, 0.9, 0.6, 1.0, 1e-3), EpochRecord(2, 0.5, 0.7, 0.6, 0.8, 1.0, 1e-3)],
                           [StepRecord(k, 1 + (k > 4), 1.0 / k) for k in range(1, 9)],
                           {"model": "lenet5", "dataset": "digits", "steps_per_epoch": 4}, "cpu", status="completed")
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3)).eval()
    e = explain(model, torch.randn(1, 1, 6, 6), "0", (1, 2, 2))
    with use_language("zh"), warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from.*")  # matplotlib's "Glyph ... missing from font"
        assert loss_png(history)[:8] == b"\x89PNG\r\n\x1a\n"
        unit_picture(e, np.zeros((6, 6, 3)), "层 0 的单元 (1, 2, 2)")
        chinese = np.asarray(frame_image(plan(3, 3, 1, 0), 0))
    english = np.asarray(frame_image(plan(3, 3, 1, 0), 0))
    assert chinese.shape[1] == english.shape[1] and not np.array_equal(chinese[:40], english[:40])
