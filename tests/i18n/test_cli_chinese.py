"""The command line in Chinese (issue 27, item 2): ``--lang zh`` (before or after the command),
``CNNSCOPE_LANG=zh`` or a ``zh_*`` locale give a Chinese table whose numbers are the English one's,
aligned by display width (a CJK character takes two terminal columns), Chinese error lines with the
same exit codes, and JSON / CSV / Markdown exports that do not change at all."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

pytest.importorskip("babel")
from rich.cells import cell_len  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
import test_bad_inputs as bad_inputs  # noqa: E402

CJK = re.compile("[\u4e00-\u9fff]")
NUMBER = re.compile(r"-?\d+(?:,\d{3})*(?:\.\d+)?")


@pytest.fixture(autouse=True)
def english_environment(monkeypatch):
    """Each test chooses its language itself: no CNNSCOPE_LANG or Chinese locale from the machine."""
    for variable in ("CNNSCOPE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)


def summary(run_cli, *args):
    code, out, err = run_cli("summary", "lenet5", *args)
    assert code == 0, err
    return out


def table_lines(text: str) -> list[str]:
    """The rich table of a summary: from its header row to the blank line before the totals."""
    lines = text.splitlines()
    header = next(k for k, line in enumerate(lines) if "─" in line) - 1
    end = next(k for k in range(header, len(lines)) if not lines[k].strip())
    return lines[header:end]


def test_chinese_summary_has_the_numbers_of_the_english_one(run_cli):
    english = summary(run_cli)
    chinese = summary(run_cli, "--lang", "zh")
    assert chinese != english
    assert "参数量" in chinese and "输出形状" in chinese and "感受野" in chinese  # headers
    assert "可训练" in chinese and "训练内存" in chinese  # totals' labels
    assert "Params" not in chinese and "trainable" not in chinese
    english_numbers, chinese_numbers = NUMBER.findall(english), NUMBER.findall(chinese)
    assert len(english_numbers) > 60  # every row's shape, params, MACs, share and field, and the totals
    assert chinese_numbers == english_numbers


def test_chinese_table_is_aligned_by_display_width(run_cli):
    chinese = summary(run_cli, "--lang", "zh")
    lines = table_lines(chinese)
    assert CJK.search(lines[0]), lines[0]  # the header row is Chinese: its characters are two columns wide
    widths = {cell_len(line.rstrip()) for line in lines if "─" not in line}
    rule = next(line for line in lines if "─" in line)
    # every row ends at the same display column, which is where the rule under the header ends
    assert widths == {cell_len(rule.rstrip())}, widths
    # a right-aligned column ends where its header ends: "MACs" over "117.60 k"
    header, first_row = lines[0], lines[2]

    def end_column(line: str, token: str) -> int:
        return cell_len(line[:line.index(token) + len(token)])

    assert end_column(header, "参数量") == end_column(first_row, "156")
    assert end_column(header, "MACs") == end_column(first_row, "117.60 k")


@pytest.mark.parametrize("choose", [
    ("--lang", "zh", "summary", "lenet5"),
    ("summary", "lenet5", "--lang", "zh"),
    ("summary", "--lang=zh", "lenet5"),
])
def test_lang_option_before_or_after_the_command(run_cli, choose):
    code, out, err = run_cli(*choose)
    assert code == 0, err
    assert out == summary(run_cli, "--lang", "zh")


@pytest.mark.parametrize("variable,value", [("CNNSCOPE_LANG", "zh"), ("LANG", "zh_CN.UTF-8"),
                                            ("LC_ALL", "zh_TW.UTF-8")])
def test_language_from_the_environment(run_cli, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    assert summary(run_cli) == summary(run_cli, "--lang", "zh")


def test_lang_option_wins_over_the_environment(run_cli, monkeypatch):
    monkeypatch.setenv("CNNSCOPE_LANG", "zh")
    english = summary(run_cli, "--lang", "en")
    assert "Params" in english and not CJK.search(english)


@pytest.mark.parametrize("argv,env", [(("--lang", "fr", "summary", "lenet5"), None),
                                      (("summary", "lenet5", "--lang=klingon"), None),
                                      (("summary", "lenet5"), "fr_FR"),
                                      (("summary", "lenet5", "--lang"), None)])
def test_an_unknown_language_is_one_line_and_exit_2(run_cli, monkeypatch, argv, env):
    if env:
        monkeypatch.setenv("CNNSCOPE_LANG", env)
    code, out, err = run_cli(*argv)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnscope: error: ") and "en, zh" in lines[0], err


def test_a_foreign_locale_is_english_not_an_error(run_cli, monkeypatch):
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")  # only CNNSCOPE_LANG and --lang are checked strictly
    assert "Params" in summary(run_cli)


@pytest.mark.parametrize("argv", [
    ("summary", "lenet5", "--format", "json"),
    ("summary", "lenet5", "--format", "csv"),
    ("summary", "lenet5", "--format", "md"),
    ("rf", "lenet5", "--format", "json"),
    ("rf", "lenet5", "--format", "csv"),
    ("rf", "lenet5", "--format", "md"),
    ("list", "--format", "json"),
])
def test_exports_do_not_change_with_the_language(run_cli, argv):
    english = run_cli(*argv)
    chinese = run_cli("--lang", "zh", *argv)
    assert english[0] == chinese[0] == 0, chinese[2]
    assert chinese[1] == english[1]


# Rows of the bad-input table (tests/cli/test_bad_inputs.py), one of each kind of mistake.
CHINESE_ROWS = ["o-missing-folder", "o-read-only", "spec-latin1", "depth-negative", "input-letters", "input-negative",
                "input-one-number", "weights-python-objects", "spec-is-a-folder", "py-without-name",
                "features-image-missing", "unknown-command", "summary-no-model", "list-no-match", "summary-unknown-model",
                "summary-format", "summary-depth-text", "file-needs-arguments", "spec-missing", "weights-other-model",
                "rf-layer-unknown", "rf-unit-outside", "filters-layer-not-conv", "code-zoo-name", "train-epochs-zero",
                "input-too-small", "spec-unknown-key", "explain-unit-outside", "explain-unit-rank", "explain-unit-text",
                "one-line-unknown-layer", "compare-bad-one-line"]
ROWS = {row.id: row for row in bad_inputs.BAD}

# What may stay as it is in a Chinese line: quoted values, paths and file names, options, code.
UNTRANSLATABLE = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\{[^}]*\}|\S*[/\\]\S*|\S+\.\w+\b|--?[\w-]+|\w+\(\)|"
                            r"[A-Z]\w*")
ENGLISH_WORDS = {n: re.compile(r"\b[a-z]{2,}(?:,? +[a-z]{2,}){%d,}" % (n - 1)) for n in (2, 3)}


def english_left(line: str, words: int = 2) -> list[str]:
    """Runs of ``words`` or more English words in ``line`` once quoted values, paths, options, choices
    and code are taken out: an error line allows none; help text, which names tools ("torch hub",
    "cnnscope train"), is checked for three in a row."""
    return ENGLISH_WORDS[words].findall(UNTRANSLATABLE.sub(" ", line))


def test_the_english_detector_finds_an_untranslated_sentence():
    assert english_left("cnnscope: 错误: cannot write out.txt: permission denied")
    assert not english_left("cnnscope: 错误: --input '1,a,28'：应为整数，例如 3,224,224 或 1,3,224,224")


@pytest.mark.parametrize("row_id", CHINESE_ROWS)
def test_bad_input_line_in_chinese(row_id, tmp_path, run_cli, monkeypatch):
    row = ROWS[row_id]
    (tmp_path / "zh").mkdir()
    (tmp_path / "en").mkdir()
    monkeypatch.setenv("CNNSCOPE_LANG", "zh")
    code, out, err, before, after = bad_inputs.run_row(row, tmp_path / "zh", run_cli, monkeypatch)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnnscope: 错误: "), err
    assert "Traceback" not in err
    assert CJK.search(lines[0].removeprefix("cnnscope: 错误: ")), lines[0]
    assert english_left(lines[0]) == [], lines[0]
    assert code == row.code  # the exit code does not change with the language
    assert after == before
    monkeypatch.setenv("CNNSCOPE_LANG", "en")
    english_code, unused, english_err, *unused_states = bad_inputs.run_row(row, tmp_path / "en", run_cli, monkeypatch)
    assert english_code == code and row.message in english_err


HELPED = ["list", "summary", "rf", "code", "filters", "features", "graph", "explain", "compare", "diff", "kernels",
          "train", "runs", "app"]


@pytest.mark.parametrize("command", HELPED)
def test_help_in_chinese_has_no_english_sentence(run_cli, command):
    code, out, err = run_cli("--lang", "zh", command, "--help")
    assert code == 0 and out.startswith("用法：")
    usage_end = out.index("\n\n")  # the usage lines are option names
    left = [line for line in out[usage_end:].splitlines() if english_left(line, words=3)]
    assert not left, left


def test_chinese_help_is_wrapped_by_display_width(run_cli):
    from cnnscope.cli.common import display_width

    code, out, err = run_cli("--lang", "zh", "train", "--help")
    wrapped = [line for line in out.splitlines() if CJK.search(line)]
    assert len(wrapped) > 20
    # argparse wraps to the terminal width less 2 (COLUMNS, else 80 in a pipe); no Chinese line is wider
    limit = max(display_width(line) for line in run_cli("train", "--help")[1].splitlines())
    assert max(display_width(line) for line in wrapped) <= limit
    assert not any(line.lstrip().startswith(("）", "，", "。")) for line in wrapped)


def test_a_spec_layer_is_named_in_chinese(run_cli):
    """The heading of a spec's failing layer (its name, which entry of the list, its line) is a sentence too."""
    broken = Path(__file__).resolve().parents[2] / "examples" / "broken.yaml"
    code, out, err = run_cli("summary", str(broken), "--lang", "zh")
    line = err.strip()
    assert code == 1 and "层 0（conv，列表中的第 1 层，第 6 行）" in line, line
    assert english_left(line.partition("未知的参数")[0]) == [], line  # the argument names after it stay as typed


def test_filter_and_feature_pictures_are_titled_in_chinese(run_cli, tmp_path):
    for argv in (("filters", "lenet5"), ("features", "lenet5", "--image", "digits:17")):
        code, out, err = run_cli(*argv, "-o", str(tmp_path / "picture.png"), "--lang", "zh")
        assert code == 0, err
        assert "权重：" in out and "weights" not in out, out  # the title drawn on the picture, also said on stdout
    assert "个滤波器" in run_cli("filters", "lenet5", "-o", str(tmp_path / "f.png"), "--lang", "zh")[1]


def test_a_training_checkpoint_is_described_in_chinese(tmp_path):
    """Picture titles name a cnnscope training run's weights in the reader's language."""
    from cnnscope.i18n import use_language
    from cnnscope.weights import _describe

    run = {"config": {"model": "lenet5", "dataset": "digits", "epochs": 10}, "state_dict": {}}
    assert _describe(run, tmp_path / "model.pt") == "cnnscope train checkpoint model.pt (lenet5 on digits, 10 epochs)"
    with use_language("zh"):
        assert _describe(run, tmp_path / "model.pt") == "cnnscope train 检查点 model.pt（lenet5 在 digits 上，10 个轮次）"
        assert _describe({"model": {}}, tmp_path / "w.pt") == "检查点 w.pt"


def test_kernels_table_in_chinese_is_aligned(run_cli):
    """``cnnscope kernels``: title and headers in Chinese, columns padded by display width, numbers the English ones."""
    english, chinese = run_cli("kernels")[1], run_cli("kernels", "--lang", "zh")[1]
    lines = chinese.splitlines()
    assert lines[0].startswith("达到 7×7 的感受野") and lines[2].startswith("变体") and "权重数" in lines[2]
    header, first = lines[2], lines[3]
    assert cell_len(header[:header.index("MACs")]) == cell_len(first[:first.index("629.41 M")])
    table = slice(3, 7)
    assert NUMBER.findall("\n".join(english.splitlines()[table])) == NUMBER.findall("\n".join(lines[table]))


def test_list_describes_the_tutorial_nets_in_chinese(run_cli):
    """The tutorial nets' descriptions are messages: Chinese in the text, English in the JSON."""
    code, out, err = run_cli("list", "--lang", "zh")
    assert code == 0, err
    assert "使用 tanh 和平均池化" in out and "with tanh" not in out
    assert "经典的 MNIST 入门网络" in out
    assert "with tanh and average pooling" in run_cli("--lang", "zh", "list", "lenet5", "--format", "json")[1]


def test_the_explain_picture_is_titled_in_chinese(run_cli, tmp_path, monkeypatch):
    import cnnscope.vis.unit_figure as unit_figure

    titles = []
    drawn = unit_figure.unit_picture
    monkeypatch.setattr(unit_figure, "unit_picture", lambda e, p, title, *a, **k: titles.append(title) or drawn(
        e, p, title, *a, **k))
    code, out, err = run_cli("explain", "lenet5", "--image", "digits:17", "--unit", "2,12,12", "-o",
                             str(tmp_path / "unit.png"), "--lang", "zh")
    assert code == 0, err
    assert titles == ["lenet5 · 层 0 · 单元 2,12,12 = 0.5109"], titles
