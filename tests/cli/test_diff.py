"""``cnnscope diff``: identical architectures in one line, the added blocks as diff lines, every format,
bad input as one line with nothing written.  (The alignment itself: tests/studies/test_diff.py.)"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest


def test_identical_architectures_are_one_line_and_exit_0(run_cli):
    code, out, err = run_cli("diff", "resnet18", "resnet18")
    assert code == 0 and err == ""
    assert out == ("identical architectures: resnet18 and resnet18 (69 rows, 11,689,512 params, 1.81 G MACs at "
                   "1×3×224×224)\n")


def test_resnet18_against_resnet34_lists_the_added_blocks_and_the_totals(run_cli):
    code, out, _ = run_cli("diff", "resnet18", "resnet34")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("--- resnet18 ") and lines[1].startswith("+++ resnet34 ")
    assert lines[2] == "56 rows added (in 8 whole blocks), 0 removed, 0 changed; 69 identical"
    added = [line.split()[1] for line in lines if line.startswith("+ ")]
    assert added == ["layer1.2", "layer2.2", "layer2.3", "layer3.2", "layer3.3", "layer3.4", "layer3.5", "layer4.2"]
    assert "+ layer1.2  BasicBlock  7 rows, 1×64×56×56, 73,984 params, 231.21 M MACs" in lines
    assert "  … 18 identical rows: conv1 … layer1.1.relu" in lines
    params = next(line for line in lines if line.split()[:1] == ["params"]).split()
    assert params == ["params", "11,689,512", "21,797,672", "+10,108,160", "(+86.5%)"]


@pytest.fixture
def two_specs(tmp_path):
    """A user's spec and its next version: the first kernel 3 → 5 (padding 1 → 2), the dropout gone."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "examples" / "tiny_vgg.yaml").read_text()
    old, new = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    old.write_text(text)
    changed = text.replace("out: 32, kernel: 3, stride: 1, padding: 1", "out: 32, kernel: 5, stride: 1, padding: 2")
    new.write_text("\n".join(line for line in changed.splitlines() if "dropout" not in line) + "\n")
    assert changed != text
    return old, new


def test_two_versions_of_a_spec_show_the_changed_conv_and_the_removed_dropout(run_cli, two_specs):
    code, out, _ = run_cli("diff", *two_specs)
    assert code == 0
    lines = out.splitlines()
    # 3·32·5·5 + 32 = 2,432 parameters; 32·32·32 outputs × 75 = 2.46 M MACs; field 3 → 5
    assert ("~ 0  Conv2d   kernel 3×3 → 5×5, padding 1 → 2, params 896 → 2,432, MACs 884.74 k → 2.46 M, "
            "RF 3 → 5") in lines
    assert "- 7  Dropout  1×64" in lines
    assert lines[2] == "0 rows added, 1 removed, 1 changed; 12 identical"


def test_json_markdown_and_html_files(run_cli, two_specs, tmp_path):
    code, out, _ = run_cli("diff", *two_specs, "-o", tmp_path / "d.json")
    assert code == 0 and out == f"wrote {tmp_path / 'd.json'}\n"
    data = json.loads((tmp_path / "d.json").read_text())
    assert data["counts"] == {"added": 0, "removed": 1, "changed": 1, "same": 12}
    assert data["totals"]["params"] == {"a": 57_226, "b": 57_226 + 2_432 - 896, "change": 2_432 - 896}
    assert data["provenance"]["cnnscope"] and data["rows"][0]["changes"]["kernel_size"] == {"a": [3, 3], "b": [5, 5]}

    assert run_cli("diff", *two_specs, "-o", tmp_path / "d.md")[0] == 0
    markdown = (tmp_path / "d.md").read_text()
    assert "| ~ | `0` | Conv2d | kernel 3×3 → 5×5" in markdown and "## Totals" in markdown

    assert run_cli("diff", *two_specs, "-o", tmp_path / "d.html")[0] == 0
    page = (tmp_path / "d.html").read_text()

    class Links(HTMLParser):
        outside: list = []

        def handle_starttag(self, tag, attrs):
            self.outside += [v for k, v in attrs if k in ("src", "href") and v and "//" in v]

    parser = Links()
    parser.feed(page)
    assert parser.outside == [] and '<tr class="changed">' in page and '<tr class="removed">' in page

    code, out, _ = run_cli("diff", *two_specs, "--format", "md")
    assert code == 0 and out.startswith("# Diff: ")


@pytest.mark.parametrize("argv,fragment", [
    (["diff", "resnet18", "resnet19"], "B (resnet19): unknown model 'resnet19'"),
    (["diff", "resnet5", "resnet18"], "A (resnet5): unknown model 'resnet5'"),
    (["diff", "resnet18"], "diff takes two models, A and B (1 given)"),
    (["diff", "lenet5", "lenet5", "lenet5"], "(3 given)"),
    (["diff", "lenet5", "lenet5", "-o", "d.csv"], "unknown suffix .csv; choose .txt, .json, .md or .html"),
    (["diff", "lenet5", "lenet5", "-o", "d.md", "--format", "json"], "contradicts -o d.md"),
    (["diff", "lenet5", "lenet5", "--input", "3,x"], "--input"),
])
def test_bad_input_is_one_line_and_writes_nothing(run_cli, argv, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(*argv)
    run_cli.assert_one_line_error(code, err, fragment)
    assert out == "" and list(tmp_path.iterdir()) == []


def test_resnet18_against_its_pt2_export_says_identical(run_cli, tmp_path):
    import torch
    from torchvision.models import resnet18

    path = tmp_path / "resnet18.pt2"
    torch.export.save(torch.export.export(resnet18().eval(), (torch.randn(1, 3, 224, 224),)), path)
    code, out, _ = run_cli("diff", "resnet18", path)
    assert code == 0
    assert out.splitlines()[0] == (f"identical architectures: resnet18 and {path} (69 rows, 11,689,512 params, "
                                   "1.81 G MACs at 1×3×224×224)")
    assert out.splitlines()[1].startswith("the two sides come from different formats")
