"""Spec mistakes in plain words: the partial plan up to the failing layer, the sizes that led there and the
fix; YAML mistakes as 'line N: ...'; locations named as the summary table names the layers."""

import pytest

import cnnscope
from cnnscope.errors import SpecError
from cnnscope.spec.load import spec_text_to_spec
from cnnscope.spec.locate import entry_words, line_of, ordinal, table_name
from cnnscope.spec.plan import make_plan

STUDENT = """name: student
input: [1, 28, 28]
layers:
  - conv: {out: 6, kernel: 5}
  - relu
  - maxpool: {kernel: 2}
  - conv: {out: 16, kernel: 5}
  - relu
  - maxpool: {kernel: 2}
  - conv: {out: 16, kernel: 5}
  - flatten
  - linear: {out: 10}
"""


def _error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        make_plan(spec_text_to_spec(text))
    return info.value


def test_a_kernel_larger_than_the_map_keeps_the_rows_before_it_and_says_why_and_the_fix():
    error = _error(STUDENT)
    # 28 −5+1 = 24, /2 = 12, −5+1 = 8, /2 = 4: a 5×5 kernel on a 4×4 map
    assert error.location == "layers[6].conv" and error.layer == "6" and error.kind == "conv"
    assert error.reason.startswith("the map is 4×4 here (28 → conv 5 → 24 → maxpool 2 → 12 → conv 5 → 8 → "
                                   "maxpool 2 → 4), too small for a 5×5 kernel: output height and width = "
                                   "floor((4 + 2·0 − 1·(5−1) − 1) / 1) + 1 = 0 < 1")
    assert error.fix == "use kernel ≤ 4, or padding ≥ 1"  # 4−4−1 ≥ 0 and 4+2−4−1 ≥ 0
    rows = error.partial
    assert [r.name for r in rows] == ["0", "1", "2", "3", "4", "5"]
    assert [r.output for r in rows] == [(6, 24, 24), (6, 24, 24), (6, 12, 12), (16, 8, 8), (16, 8, 8), (16, 4, 4)]
    assert [r.params for r in rows] == [6 * 1 * 25 + 6, 0, 0, 16 * 6 * 25 + 16, 0, 0]


def test_the_fix_it_names_works():
    for fixed in (STUDENT.replace("out: 16, kernel: 5}\n  - flatten", "out: 16, kernel: 4}\n  - flatten"),
                  STUDENT.replace("out: 16, kernel: 5}\n  - flatten", "out: 16, kernel: 5, padding: 1}\n  - flatten")):
        make_plan(spec_text_to_spec(fixed))


def test_plan_rows_are_named_as_the_summary_table_names_the_layers():
    plan = make_plan(spec_text_to_spec(open("examples/mini_resnet.yaml").read()))
    report = cnnscope.analyze("examples/mini_resnet.yaml")
    table = {r.name: r for r in report.layers}
    for row in plan.rows:
        assert row.name in table, row.name
        assert tuple(table[row.name].output_shape[1:]) == row.output
    plan = make_plan(spec_text_to_spec(open("examples/tiny_vgg.yaml").read()))
    assert [r.name for r in plan.rows if r.where.startswith("layers[3]")] == ["3.0", "3.1", "3.2", "3.3", "3.4", "3.5"]


def test_a_failure_in_a_later_repetition_names_that_repetition_and_a_shortcut_starts_from_the_block_input():
    error = _error("input: [1, 12, 12]\nlayers:\n  - repeat: {times: 3, layers: [conv: {out: 2, kernel: 5}]}\n")
    assert error.layer == "0.2" and "(12 → conv 5 → 8 → conv 5 → 4)" in error.reason  # the 3rd conv
    error = _error("input: [4, 8, 8]\nlayers:\n  - residual:\n      layers: [conv: {out: 4, kernel: 3, stride: 2, "
                   "padding: 1}]\n      shortcut: [maxpool: {kernel: 16}]\n")
    assert error.layer == "0.shortcut.0" and "(the input)" in error.reason  # not after the body's 8 → 4
    assert [r.name for r in error.partial] == ["0.layers.0"]


def test_residual_paths_that_differ_get_the_shortcut_that_makes_them_match():
    error = _error("input: [32, 16, 16]\nlayers:\n  - residual:\n      layers: [conv: {out: 64, kernel: 3, "
                   "stride: 2, padding: 1}]\n")
    assert error.layer == "0" and error.reason.endswith("shortcut: [conv: {out: 64, kernel: 1, stride: 2}]")
    make_plan(spec_text_to_spec("input: [32, 16, 16]\nlayers:\n  - residual:\n      layers: [conv: {out: 64, "
                                "kernel: 3, stride: 2, padding: 1}]\n      shortcut: [conv: {out: 64, kernel: 1, "
                                "stride: 2}]\n"))


def test_a_pool_too_large_gets_both_fixes_and_both_work():
    error = _error("input: [1, 2, 2]\nlayers:\n  - maxpool: {kernel: 7}\n")
    assert error.fix == "use kernel ≤ 2, or padding ≥ 3"  # 2 + 2·3 − 6 − 1 = 1 ≥ 0; and 3 ≤ 7 // 2
    for fixed in ("{kernel: 2}", "{kernel: 7, padding: 3}"):
        assert make_plan(spec_text_to_spec(f"input: [1, 2, 2]\nlayers:\n  - maxpool: {fixed}\n")).output == (1, 1, 1)


@pytest.mark.parametrize("location,name,words", [
    ("layers[3]", "3", "the 4th layer in the list"),
    ("layers[0].conv", "0", "the 1st layer in the list"),
    ("layers[3].residual.layers[1].conv", "3.layers.1", "the 2nd layer of the residual block's layers"),
    ("layers[5].residual.shortcut[0].conv", "5.shortcut.0", "the 1st layer of the residual block's shortcut"),
    ("layers[2].repeat.layers[1].conv", "2.1", "the 2nd layer of the repeat block's layers"),
    ("layers[4].concat.branches[1][2].conv", "4.branches.1.2", "the 3rd layer of branch 2 of the concat block"),
    ("input", None, None),
])
def test_locations_in_the_tables_names_and_in_words(location, name, words):
    assert table_name(location) == name and entry_words(location) == words


def test_ordinals_and_the_line_of_a_location():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert line_of(STUDENT, "layers[6].conv") == 10 and line_of(STUDENT, "input") == 2
    assert line_of("not: [valid", "layers[0]") is None


H = "name: a\ninput: [1, 28, 28]\nlayers:\n"

# Real malformed specs: each mistake as one line naming the line where it is, in plain words.
YAML_MISTAKES = [
    ("indented too far", H + "  - conv: {out: 6}\n    - relu\n", 5,
     "this line is indented differently from the lines above it: it starts with 4 spaces, the list items above "
     "start with 2"),
    ("indented too little", H + "  - conv: {out: 6}\n - relu\n", 5, "indented differently from the lines above it"),
    ("a key indented", "name: a\n  input: [1, 28, 28]\nlayers:\n  - relu\n", 2,
     "indented differently from the lines above it"),
    ("missing colon after a key", "name a\ninput: [1, 28, 28]\nlayers:\n  - relu\n", 1,
     "a colon is missing after 'name': write name: a"),
    ("missing colon after layers", "name: a\ninput: [1, 28, 28]\nlayers\n  - relu\n", 3,
     "a colon is missing after 'layers': write layers:"),
    ("missing colon after a type", H + "  - conv {out: 6, kernel: 5}\n", 4, "put a colon after the layer type: conv:"),
    ("no space after a colon", "name: a\ninput:[1, 28, 28]\nlayers:\n  - relu\n", 2,
     "put a space after the colon: input: [1, 28, 28]"),
    ("a tab", H + "\t- relu\n", 4, "a tab character indents this line; YAML indents with spaces only: replace the tab with two spaces"),
    ("a tab under layers, line 3", "name: a\nlayers:\n\t- relu\n", 3, "a tab character indents this line; YAML indents with spaces only: replace the tab with two spaces"),
    ("an item without a dash", H + "  - conv: {out: 6}\n  relu\n", 5,
     "'relu' is not a list item like the line above it: start it with '- '"),
    ("a layer without a dash", H + "  conv: {out: 6}\n  relu\n", 5,
     "'relu' is a layer but not a list item: start it with '- '"),
    ("a mapping line in a list", H + "  - relu\n  conv: {out: 6}\n", 5,
     "'conv: {out: 6}' is not a list item like the line above it"),
    ("no space after the dash", H + "  -conv: {out: 6}\n  -relu\n", 5, "put a space after the dash: '- relu'"),
    ("an unclosed brace", H + "  - conv: {out: 6, kernel: 5\n  - relu\n", 4,
     "the '{' opened here is not closed: end it with '}' on the same line"),
    ("an unclosed bracket", "name: a\ninput: [1, 28, 28\nlayers:\n  - relu\n", 2, "the '[' opened here is not closed"),
    ("a brace too many", H + "  - conv: {out: 6}}\n", 4, "one '}' too many"),
    ("a missing comma", H + "  - conv: {out: 6 kernel: 5}\n", 4, "separate the entries with commas"),
    ("two pairs on a line", H + "  - conv: out: 6\n", 4, "write a layer's settings in braces"),
    ("an unclosed quote", "name: 'a\ninput: [1, 28, 28]\nlayers:\n  - relu\n", 1, "a quote (' or \") is opened here"),
    ("a block scalar", "name: a\ninput: >[1, 28, 28]\nlayers:\n  - relu\n", 2,
     "'>' before a value starts a block of text in YAML: remove the '>'"),
    ("two items on a line", H + "  - relu\n  - maxpool: {kernel: 2}    - conv: {out: 16}\n", 5,
     "a '- ' in the middle of a line: put each layer on its own line"),
    ("a stray comma", H + "  - ,onv: {out: 6}\n", 4, "a ',' where a value should be: remove it"),
    ("a python tag", "!!python/object/apply:os.system ['echo pwned']\n", 1,
     "'!!python/object/apply:os.system' is a YAML tag, which a spec does not accept"),
]


@pytest.mark.parametrize("text,line,words", [m[1:] for m in YAML_MISTAKES], ids=[m[0] for m in YAML_MISTAKES])
def test_yaml_mistakes_are_one_line_in_plain_words(text, line, words):
    with pytest.raises(SpecError) as info:
        spec_text_to_spec(text)
    message = str(info.value)
    assert message.startswith(f"YAML syntax error at line {line}: "), message
    assert words in message and "<block" not in message and "\n" not in message, message


SCHEMA_MISTAKES = [
    ("a number as text", H + '  - conv: {out: 6, kernel: "5"}\n',
     "kernel must be a positive integer, got the text '5': write the number without quotes, kernel: 5"),
    ("a word for a number", H + "  - conv: {out: six}\n", "out must be a positive integer, got the text 'six'"),
    ("a setting without value", H + "  - conv: {out: 6, kernel: }\n",
     'kernel must be a positive integer, got nothing: write a number after "kernel:"'),
    ("a layer without settings", H + "  - conv:\n", "conv needs settings such as {out: 16, kernel: 3}, found nothing"),
    ("a key without value", "name: a\ninput:\nlayers: [relu]\n", "input must be [channels, height, width], got nothing"),
    ("layers without value", "name: a\ninput: [1, 28, 28]\nlayers:\n", "nothing is listed under layers"),
    ("layers as a mapping", H + "  conv: {out: 6}\n", "layers holds 'key: value' lines, not a list"),
    ("a pytorch name", H + "  - Conv2d: {out: 6}\n", 'unknown layer type "Conv2d" (did you mean "conv"?)'),
    ("a keras name", H + "  - dense: {out: 6}\n", 'unknown layer type "dense" (did you mean "linear"?)'),
    ("a typo", H + "  - maxpol: {kernel: 2}\n", 'unknown layer type "maxpol" (did you mean "maxpool"?)'),
    ("glued colon", H + "  - conv: {out:6}\n", '"out:6" reads as one word: put a space after the colon, out: 6'),
    ("no colon in braces", H + "  - conv: {out 6}\n", '"out 6" reads as one word: put a colon between'),
    ("items not lined up", H + "- relu\n  - relu\n", "reads as one layer: the '- ' lines are not lined up"),
    ("an empty item", H + "  - relu\n  -\n", "a list item with nothing after its '- ': write a layer type"),
    ("input as text", "name: a\ninput: [1, x, 28]\nlayers: [relu]\n",
     "input must be a positive integer, got the text 'x': write it in digits, e.g. input: [1, 28, 28]"),
]


@pytest.mark.parametrize("text,words", [m[1:] for m in SCHEMA_MISTAKES], ids=[m[0] for m in SCHEMA_MISTAKES])
def test_spec_mistakes_say_what_to_write(text, words):
    with pytest.raises(SpecError) as info:
        make_plan(spec_text_to_spec(text))
    assert words in str(info.value) and "NoneType" not in str(info.value), str(info.value)


# -- any edit of a real spec: a spec or one SpecError line, never another exception ----------------

from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_EDITS = st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3),
                            st.sampled_from(["\t", " ", "  ", "-", ":", "{", "}", "[", "]", ",", "'", '"', "\n", "#",
                                             "- ", "!!", "@", "&a", "*a", "?", "|", ">", "5", "conv", ""])),
                  min_size=1, max_size=4)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EDITS)
@example([(333, 2, "\n"), (333, 2, "\n")])  # found by CI: a key YAML read across a line break ("ker\n2")
def test_mangled_specs_are_a_spec_or_one_line(edits):
    text = STUDENT
    for position, cut, insert in edits:
        k = position % (len(text) + 1)
        text = text[:k] + insert + text[k + cut:]
    try:
        make_plan(spec_text_to_spec(text))
    except SpecError as error:
        message = str(error)
        assert message and "\n" not in message and "<block" not in message and "NoneType" not in message, message


def test_layers_with_nothing_under_them_in_the_app_say_indent_with_spaces_not_tab():
    from cnnscope.app import spec_errors, spec_text

    text = "name: a\ninput: [1, 28, 28]\nlayers:"  # what arrives when Tab leaves the text box after 'layers:'
    with pytest.raises(SpecError) as info:
        spec_text.spec_plan(text)
    line = spec_errors.problem(text, info.value).line
    assert line.startswith("layers (line 3): nothing is listed under layers"), line
    assert line.endswith("; indent with spaces (the Tab key moves to the next control on this page)"), line


# One-line specs: the token as typed (spaces kept), where it starts, the token syntax and the separators.
ONE_LINE_MISTAKES = [
    ("conv 6 5 | relu | maxpool 2 | linear 10",
     "unknown layer token 'conv 6 5' at character 1 of 'conv 6 5 | relu | maxpool 2 | linear 10': write a conv as "
     "c<kernel>-<out>, e.g. c5-6p2 (kernel 5, 6 channels, padding 2); '|' is not a separator (it splits the "
     "branches of cat(...)); layers are separated by commas, e.g. in1x28x28,c5-6p2,tanh,ap2,flat,fc10"),
    ("in1x28x28, c5-6 | relu",  # 'in1x28x28, c5-6 ' is 16 characters: the '|' is the 17th
     "unexpected '|' at character 17 of 'in1x28x28, c5-6 | relu': '|' is not a separator"),
    ("in1x28x28, maxpool 2", "unknown layer token 'maxpool 2' at character 12 of 'in1x28x28, maxpool 2': write a "
                             "max-pool as mp<kernel>, e.g. mp2; layers are separated by commas"),
    ("in1x28x28,linear10", "unknown layer token 'linear10' at character 11 of 'in1x28x28,linear10': write a linear "
                           "layer as fc<out>, e.g. fc10"),
    ("in1x28x28,c5-6p2,tahn",  # a near miss keeps its suggestion, at the token's first character
     "unknown layer token 'tahn' (did you mean \"tanh\"?) at character 18 of 'in1x28x28,c5-6p2,tahn'"),
    ("in1x28x28,xyzzy", "unknown layer token 'xyzzy' at character 11 of 'in1x28x28,xyzzy': write a conv as "
                        "c<kernel>-<out> (c5-6), a pool as mp2 or ap2, a linear layer as fc10"),
]


@pytest.mark.parametrize("text,words", ONE_LINE_MISTAKES, ids=[m[0] for m in ONE_LINE_MISTAKES])
def test_one_line_mistakes_quote_the_text_as_typed_and_give_the_syntax(text, words):
    from cnnscope.spec.compact import parse

    with pytest.raises(SpecError) as info:
        parse(text)
    assert str(info.value).startswith(words), str(info.value)


def test_a_bar_inside_cat_still_separates_branches():
    from cnnscope.spec.compact import parse

    data = parse("in1x28x28, cat(c1-4 | c3-4p1), relu")
    assert data["layers"][0] == {"concat": {"branches": [[{"conv": {"out": 4, "kernel": [1, 1]}}],
                                                         [{"conv": {"out": 4, "kernel": [3, 3], "padding": 1}}]]}}
