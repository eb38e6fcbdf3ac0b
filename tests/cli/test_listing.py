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
