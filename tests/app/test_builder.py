"""The spec builder (issue 22): start from nothing, add layers with per-type fields, move and delete them,
templates; a bad spec keeps the partial table with one line naming the layer, its line and the fix."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnscope.app import spec_edit

from .shown import shown

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spec_app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.sidebar.radio(key="source").set_value("Spec").run()
    assert not at.exception
    return at


def _main_errors(at):
    return [shown(e.value) for e in at.main.error]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _add(at, kind: str, **fields):
    at.selectbox(key="form_kind").set_value(kind).run()
    for field, value in fields.items():
        at.number_input(key=f"form_{kind}_{field}").set_value(value).run()
    at.button(key="form_add").click().run()
    assert not at.exception, at.exception


def _table(at):
    frames = [d.value for d in at.main.dataframe]
    return frames[0].values.tolist() if frames else []


def test_new_starts_empty_and_the_form_builds_conv_pool_conv_pool_fc(spec_app):
    at = spec_app
    at.button(key="spec_new").click().run()
    assert at.session_state.spec_text == spec_edit.NEW_SPEC and not _main_errors(at)
    assert any("No layers yet" in shown(i.value) for i in at.main.info)  # a state to build from, not an error
    assert not at.button(key="form_add").disabled  # layers: [] does not disable Add
    _add(at, "conv", out=6, kernel=5)
    _add(at, "maxpool")
    _add(at, "conv", out=16, kernel=5)
    _add(at, "maxpool")
    _add(at, "flatten")
    _add(at, "linear", out=10)
    assert at.session_state.spec_text == (
        "name: my_net\ninput: [1, 28, 28]\nlayers:\n"
        "  - conv: {out: 6, kernel: 5, stride: 1, padding: 0}\n"
        "  - maxpool: {kernel: 2, stride: 2}\n"           # its own kernel, not the conv's 5
        "  - conv: {out: 16, kernel: 5, stride: 1, padding: 0}\n"
        "  - maxpool: {kernel: 2, stride: 2}\n"
        "  - flatten\n"
        "  - linear: {out: 10}\n")
    assert not _main_errors(at), _main_errors(at)
    # by hand: conv 6·1·5·5+6 = 156; conv 16·6·5·5+16 = 2,416; 28→24→12→8→4: linear 16·4·4·10+10 = 2,570
    assert _metrics(at)["Parameters"] == f"{156 + 2416 + 2570:,}" == "5,142"
    # MACs: 6·24·24·25 + 16·8·8·(6·25) + 256·10 = 86,400 + 153,600 + 2,560
    assert _metrics(at)["MACs"] == "242.56 k"


def test_a_pool_after_a_kernel_5_conv_keeps_its_own_kernel_2(spec_app):
    at = spec_app
    at.button(key="spec_new").click().run()
    _add(at, "conv", kernel=5)
    at.selectbox(key="form_kind").set_value("maxpool").run()
    assert at.number_input(key="form_maxpool_kernel").value == 2
    assert at.number_input(key="form_maxpool_stride").value == 2
    at.button(key="form_add").click().run()
    assert at.session_state.spec_text.splitlines()[-1] == "  - maxpool: {kernel: 2, stride: 2}"
    at.selectbox(key="form_kind").set_value("conv").run()
    assert at.number_input(key="form_conv_kernel").value == 5  # the conv fields keep what was typed in them


def test_every_type_has_its_own_fields_and_defaults():
    keys = [f"form_{kind}_{field[0]}" for kind, fields in spec_edit.FIELDS.items() for field in fields]
    assert len(keys) == len(set(keys))
    defaults = {kind: {f[0]: f[4] for f in fields} for kind, fields in spec_edit.FIELDS.items()}
    assert defaults["conv"] == {"out": 16, "kernel": 3, "stride": 1, "padding": 0}
    assert defaults["maxpool"] == defaults["avgpool"] == {"kernel": 2, "stride": 2}
    assert defaults["linear"] == {"out": 10} and defaults["dropout"] == {"p": 0.5}


STUDENT = ("name: my_net\ninput: [1, 28, 28]\nlayers:\n  - conv: {out: 6, kernel: 5}\n  - maxpool: {kernel: 2}\n"
           "  - conv: {out: 16, kernel: 5}\n  - maxpool: {kernel: 2}\n  - flatten\n  - linear: {out: 10}\n")


def test_the_kernel_mistake_keeps_the_partial_table_and_says_the_fix(spec_app):
    at = spec_app
    at.text_area(key="spec_text").set_value(STUDENT).run()
    assert _metrics(at)["Parameters"] == "5,142"
    _add(at, "conv", out=16, kernel=5)  # a conv goes before flatten: onto the 4×4 map
    errors = _main_errors(at)
    assert errors == [
        "Layer 4 (conv, the 5th layer in the list, line 8): the map is 4×4 here (28 → conv 5 → 24 → maxpool 2 → 12 "
        "→ conv 5 → 8 → maxpool 2 → 4), too small for a 5×5 kernel: output height and width = "
        "floor((4 + 2·0 − 1·(5−1) − 1) / 1) + 1 = 0 < 1; use kernel ≤ 4, or padding ≥ 1"], errors
    assert _table(at) == [["input", "", "1×28×28", ""], ["0", "conv", "6×24×24", "156"],
                          ["1", "maxpool", "6×12×12", "0"], ["2", "conv", "16×8×8", "2,416"],
                          ["3", "maxpool", "16×4×4", "0"], ["4", "conv", "✗ fails: see below", ""]]
    assert [shown(e.value) for e in at.sidebar.error] == [  # and where, in the sidebar
        "Layer 4 (conv, the 5th layer in the list, line 8): the spec has a mistake; the Spec section of the page "
        "says what and how to fix it"]
    assert not at.metric  # no analysis of a network that cannot be built
    at.number_input(key="form_conv_kernel").set_value(4)  # the fix it names works
    at.button(key="spec_undo").click().run()
    at.button(key="form_add").click().run()
    assert not _main_errors(at) and _metrics(at)["Parameters"] == f"{5142 + 16 * 16 * 4 * 4 + 16 - 2570 + 10 * 16 + 10:,}"


def test_an_unknown_type_keeps_the_layers_before_it_and_suggests_the_name(spec_app):
    at = spec_app
    at.text_area(key="spec_text").set_value(STUDENT.replace("  - maxpool: {kernel: 2}\n  - flatten",
                                                            "  - maxpol: {kernel: 2}\n  - flatten")).run()
    assert _main_errors(at) == ['Layer 3 (the 4th layer in the list, line 7): unknown layer type "maxpol" '
                                '(did you mean "maxpool"?)']
    assert [row[0] for row in _table(at)] == ["input", "0", "1", "2", "3"]


def test_another_input_that_the_spec_does_not_fit_gets_the_same_diagnosis(spec_app):
    at = spec_app
    at.text_area(key="spec_text").set_value(STUDENT).run()
    next(t for t in at.sidebar.text_input if t.label == "Input N,C,H,W").set_value("1,1,12,12").run()
    # 12 → conv 5 → 8 → pool → 4: the second conv's 5×5 kernel does not fit
    assert _main_errors(at) == [
        "Layer 2 (conv, the 3rd layer in the list, line 6): the map is 4×4 here (12 → conv 5 → 8 → maxpool 2 → 4), "
        "too small for a 5×5 kernel: output height and width = floor((4 + 2·0 − 1·(5−1) − 1) / 1) + 1 = 0 < 1; "
        "use kernel ≤ 4, or padding ≥ 1"]
    assert _table(at) == [["input", "", "1×12×12", ""], ["0", "conv", "6×8×8", "156"], ["1", "maxpool", "6×4×4", "0"],
                          ["2", "conv", "✗ fails: see below", ""]]


@pytest.mark.parametrize("label,key,params", [
    ("LeNet-5", "spec_template_lenet5", 156 + 2416 + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)),
    ("Tiny VGG", "spec_template_tiny_vgg", (3 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + 128 + (64 * 64 * 9 + 64) + 128 + 650),
    # stem 16·3·9 + bn 32; block 1: 2·(16·16·9) + 2·32; block 2: 32·16·9 + 64 + 32·32·9 + 64, shortcut 32·16 + 64;
    # linear 32·10 + 10
    ("Tiny ResNet", "spec_template_tiny_resnet",
     432 + 32 + (2 * 2304 + 64) + (4608 + 64 + 9216 + 64 + 512 + 64) + 330),
])
def test_templates_load_and_analyse(spec_app, label, key, params):
    at = spec_app
    assert spec_edit.STARTS[label][0] == key
    at.button(key=key).click().run()
    assert at.session_state.spec_text == spec_edit.STARTS[label][1]
    assert not _main_errors(at), _main_errors(at)
    assert _metrics(at)["Parameters"] == f"{params:,}"


def test_the_tiny_resnet_uses_the_residual_block_syntax():
    assert "  - residual:\n      layers:\n" in spec_edit.TINY_RESNET and "      shortcut:\n" in spec_edit.TINY_RESNET


def test_move_delete_and_undo(spec_app):
    at = spec_app
    at.button(key="spec_template_lenet5").click().run()
    layers = lambda: spec_edit.spec_data(at.session_state.spec_text)["layers"]  # noqa: E731
    assert layers()[:3] == [{"conv": {"out": 6, "kernel": 5, "padding": 2}}, "tanh", {"avgpool": {"kernel": 2, "stride": 2}}]
    assert at.button(key="edit_up").disabled  # layer 0 selected: nothing above it
    at.selectbox(key="edit_layer").set_value("1 · tanh").run()
    at.button(key="edit_down").click().run()
    assert layers()[1:3] == [{"avgpool": {"kernel": 2, "stride": 2}}, "tanh"]
    assert at.selectbox(key="edit_layer").value == "2 · tanh"  # the moved layer stays selected
    at.button(key="edit_up").click().run()
    assert layers()[1:3] == ["tanh", {"avgpool": {"kernel": 2, "stride": 2}}]
    at.button(key="edit_delete").click().run()  # layer 1 (tanh)
    assert len(layers()) == 11 and layers()[1] == {"avgpool": {"kernel": 2, "stride": 2}}
    assert _metrics(at)["Parameters"] == "61,706"  # an activation has no parameters
    at.button(key="spec_undo").click().run()
    assert len(layers()) == 12 and layers()[1] == "tanh"


def test_delete_removes_the_layer_shown_and_the_box_then_shows_the_layer_now_there(spec_app):
    at = spec_app
    at.button(key="spec_template_lenet5").click().run()
    kinds = lambda: [next(iter(i)) if isinstance(i, dict) else i  # noqa: E731
                     for i in spec_edit.spec_data(at.session_state.spec_text)["layers"]]
    lenet = ["conv", "tanh", "avgpool", "conv", "tanh", "avgpool", "flatten", "linear", "tanh", "linear", "tanh",
             "linear"]
    assert kinds() == lenet
    box = lambda: at.selectbox(key="edit_layer")  # noqa: E731
    box().set_value("2 · avgpool {kernel: 2, stride: 2}").run()
    at.button(key="edit_delete").click().run()
    assert kinds() == lenet[:2] + lenet[3:]  # the avgpool went
    assert box().value == "2 · conv {out: 16, kernel: 5}" and box().options[2] == box().value
    at.button(key="edit_delete").click().run()  # the box reads conv: the conv goes, nothing else
    assert kinds() == lenet[:2] + lenet[4:]
    assert box().value == "2 · tanh"
    # Move down then Delete: the moved layer is the one shown, and the one deleted
    at.button(key="edit_down").click().run()
    assert kinds()[2:4] == ["avgpool", "tanh"] and box().value == "3 · tanh"
    at.button(key="edit_delete").click().run()
    assert kinds() == ["conv", "tanh", "avgpool", "flatten", "linear", "tanh", "linear", "tanh", "linear"]
    assert box().value == "3 · flatten"
    at.selectbox(key="edit_layer").set_value("8 · linear {out: 10}").run()
    at.button(key="edit_delete").click().run()  # the last layer: the box moves to the new last one
    assert kinds()[-1] == "tanh" and box().value == "7 · tanh"
    assert not at.exception


@pytest.mark.parametrize("text,line", [
    ("name: a\ninput: [1, 28, 28]\nlayers:\n\t- relu\n",
     "YAML syntax error at line 4: a tab character indents this line; YAML indents with spaces only: replace the tab with two spaces"),
    ("name: a\ninput: [1, 28, 28]\nlayers:\n  - conv: {out: 6}\n    - relu\n",
     "YAML syntax error at line 5: this line is indented differently from the lines above it"),
    ("name: a\ninput [1, 28, 28]\nlayers:\n  - relu\n", "YAML syntax error at line 2: a colon is missing after 'input'"),
    ("name: a\ninput: [1, 28, 28]\nlayers:\n  - conv: {out: 6}\n  relu\n",
     "YAML syntax error at line 5: 'relu' is not a list item like the line above it: start it with '- '"),
    ("name: a\ninput: [1, 28, 28]\nlayers:\n  - conv:\n",
     "Layer 0 (conv, the 1st layer in the list, line 4): conv needs settings such as {out: 16, kernel: 3}, found nothing"),
    ("name: a\ninput: [1, 28, 28]\nlayers:\n  - conv: {out: \"6\"}\n",
     "Layer 0 (conv, the 1st layer in the list, line 4): out must be a positive integer, got the text '6': write "
     "the number without quotes, out: 6"),
    ("", "The spec is empty: press New or pick a template above"),
])
def test_yaml_and_spec_mistakes_read_as_one_plain_line_in_the_main_page(spec_app, text, line):
    at = spec_app
    at.text_area(key="spec_text").set_value(text).run()
    errors = _main_errors(at)
    assert len(errors) == 1 and errors[0].startswith(line), errors
    assert "NoneType" not in errors[0] and "<block" not in errors[0]


def test_a_one_line_spec_becomes_yaml_when_the_form_edits_it(spec_app):
    at = spec_app
    at.text_area(key="spec_text").set_value("in1x28x28,c5-6p2,tanh,ap2,flat,fc10").run()
    _add(at, "linear", out=5)
    assert at.session_state.spec_text.startswith("name: spec\ninput: [1, 28, 28]\nlayers:\n  - conv: ")
    assert at.session_state.spec_text.endswith("  - linear: {out: 10}\n  - linear: {out: 5}\n")
    assert _metrics(at)["Parameters"] == f"{11926 + 55:,}"  # + linear 10·5 + 5


def test_the_reference_is_in_the_page_not_a_dead_file_name(spec_app):
    at = spec_app
    texts = [m.value for m in at.main.markdown]
    assert any("| `conv` | `out` (required), `kernel` (3)" in t for t in texts)
    assert any("`maxpool` | `kernel` (2), `stride` (= kernel)" in t for t in texts)
    assert not any("docs/spec.md" in t for t in texts + [e.value for e in at.error])
    assert "docs/spec.md" not in at.text_area(key="spec_text").help


def test_edits_round_trip_and_keep_blocks():
    for text in (spec_edit.LENET5, spec_edit.TINY_VGG, spec_edit.TINY_RESNET, (ROOT / "examples/inception_block.yaml").read_text()):
        data = spec_edit.spec_data(text)
        assert spec_edit.spec_data(spec_edit.dump(data)) == data
    assert spec_edit.move(spec_edit.TINY_VGG, 0, -1) == spec_edit.dump(spec_edit.spec_data(spec_edit.TINY_VGG))
    assert spec_edit.insert(spec_edit.NEW_SPEC, "relu") == "name: my_net\ninput: [1, 28, 28]\nlayers:\n  - relu\n"
    assert spec_edit.delete(spec_edit.insert(spec_edit.NEW_SPEC, "relu"), 0) == spec_edit.NEW_SPEC
    with pytest.raises(spec_edit.NotEditable):
        spec_edit.spec_data("name: a\nlayers: relu\n")


def test_a_mistake_inside_a_block_is_named_as_the_table_names_it_with_the_layers_before_the_block():
    from cnnscope.app import spec_errors, spec_text
    from cnnscope.errors import SpecError

    text = spec_edit.TINY_RESNET.replace("        - relu\n        - conv: {out: 16,", "        - relu\n        - conv: {out: 16, kernal: 3,")
    with pytest.raises(SpecError) as info:
        spec_text.spec_plan(text)
    problem = spec_errors.problem(text, info.value)
    assert "kernal" in text.splitlines()[14 - 1]  # two comment lines, name, input, layers, 3 layers, residual ...
    assert problem.line.startswith("layer 3.layers.3 (conv, the 4th layer of the residual block's layers, line 14): "
                                   'unknown argument "kernal"'), problem.line
    # the three layers before the block, planned: conv 16·3·9 = 432 (no bias), batch norm 2·16
    assert problem.rows == (("input", "", "3×32×32", ""), ("0", "conv", "16×32×32", "432"),
                            ("1", "batchnorm", "16×32×32", "32"), ("2", "relu", "16×32×32", "0"),
                            ("3.layers.3", "conv", "✗ fails: see below", ""))
