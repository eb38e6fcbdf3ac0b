"""``cnnscope list``: the zoo grouped, filtered with wildcards, as text or JSON."""

import json


def test_list_groups_and_wildcards(run_cli):
    code, out, _ = run_cli("list", "resnet*")
    assert code == 0 and "resnet50" in out and "resnet_mini" in out and "vgg16" not in out
    assert "Tutorial nets" in out and "torchvision" in out
    code, out, _ = run_cli("list", "resnet*", "--format", "json")
    entries = {e["name"]: e for e in json.loads(out)}
    assert entries["resnet_mini"]["group"] == "tutorial" and entries["resnet50"]["input_shape"] == [3, 224, 224]
    assert "vgg16" not in entries


def test_no_match_is_one_line(run_cli):
    code, _, err = run_cli("list", "nothing_like_this*")
    run_cli.assert_one_line_error(code, err, "no model matches 'nothing_like_this*'")


def test_list_shows_every_group_with_natural_inputs(run_cli):
    code, out, _ = run_cli("list")
    assert code == 0
    for title in ("Tutorial nets", "torchvision classification", "torchvision detection", "torchvision segmentation",
                  "torchvision video", "torchvision optical-flow"):
        assert title in out
    assert "[3×800×800]" in out and "3×16×112×112" in out and "2 × 3×368×768" in out


def test_list_one_group(run_cli):
    code, out, _ = run_cli("list", "--group", "detection", "--format", "json")
    entries = json.loads(out)
    assert code == 0 and len(entries) == 12 and {e["group"] for e in entries} == {"detection"}
    faster = next(e for e in entries if e["name"] == "fasterrcnn_resnet50_fpn")
    assert faster["input_format"] == "image_list" and faster["natural_inputs"] == [[3, 800, 800]]
    code, _, err = run_cli("list", "--group", "nonsense")
    run_cli.assert_one_line_error(code, err, "unknown group 'nonsense'")


def test_list_timm_with_a_pattern(run_cli):
    import pytest

    pytest.importorskip("timm")
    code, out, _ = run_cli("list", "timm:*convnext_t*")
    assert code == 0 and "timm:convnext_tiny" in out and "3×224×224" in out and "resnet50" not in out


def test_full_list_points_to_timm_when_installed(run_cli):
    import pytest

    pytest.importorskip("timm")
    code, out, _ = run_cli("list")
    assert code == 0 and "timm models (" in out and "cnnscope list 'timm:*'" in out
    assert "timm:convnext_tiny" not in out  # over a thousand names: listed only when asked for
