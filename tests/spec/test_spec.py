"""Specs: YAML/JSON/one-line forms build the intended network, generated code matches it, and
every bad spec is a SpecError with its location -- never another exception."""

import re
import textwrap

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnscope
from cnnscope.errors import SpecError
from cnnscope.spec.build import build_from_spec
from cnnscope.spec.codegen import generate_code
from cnnscope.spec.load import spec_text_to_spec
from cnnscope.spec.plan import make_plan
from cnnscope.spec.schema import Limits, validate

EXAMPLES = "examples"


def test_tiny_vgg_infers_channels_and_features():
    model, plan = build_from_spec(f"{EXAMPLES}/tiny_vgg.yaml", device="meta")
    # conv 3→32: 3·32·9+32; two conv blocks: 32·64·9+64, 64·64·9+64 plus batch norms 2·64 each; linear 64·10+10
    expected = (3 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + 128 + (64 * 64 * 9 + 64) + 128 + (64 * 10 + 10)
    assert plan.params == expected == sum(p.numel() for p in model.parameters())
    assert plan.output == (10,)
    assert model[-1].in_features == 64


def test_json_alexnet_equals_the_tutorial_alexnet():
    spec = cnnscope.analyze(f"{EXAMPLES}/alexnet.json")
    zoo = cnnscope.analyze("alexnet_mnist")
    assert spec.totals.params == zoo.totals.params == 46_764_746
    assert spec.totals.macs == zoo.totals.macs
    assert [r.output_shape for r in spec.leaves()] == [r.output_shape for r in zoo.leaves()]


def test_one_line_form_equals_the_yaml_form(tmp_path):
    path = tmp_path / "lenet.yaml"
    path.write_text(textwrap.dedent("""\
        name: lenet
        input: [1, 28, 28]
        layers:
          - conv: {out: 6, kernel: 5, padding: 2}
          - tanh
          - avgpool: {kernel: 2}
          - conv: {out: 16, kernel: 5}
          - tanh
          - avgpool: {kernel: 2}
          - flatten
          - linear: {out: 10}
    """))
    a = cnnscope.analyze(str(path))
    b = cnnscope.analyze("in1x28x28,c5-6p2,tanh,ap2,c5-16,tanh,ap2,flat,fc10")
    assert a.totals == b.totals
    assert [r.output_shape for r in a.layers] == [r.output_shape for r in b.layers]


def test_one_line_blocks():
    model, plan = build_from_spec("in3x16x16,(c3-8p1,relu)*2,res(c3-8p1,bn;c1-8),cat(c1-4|c3-6ps),gap,flat,fc2",
                                  device="meta")
    assert plan.output == (2,)
    assert len(model[0]) == 4  # the repeat: two conv+relu pairs
    assert type(model[1]).__name__ == "Residual" and type(model[2]).__name__ == "Concat"
    assert model[5].in_features == 4 + 6  # the concat's 4 + 6 channels, pooled and flattened
    # repeat: conv 3→8, conv 8→8; residual: conv 8→8, batch norm, 1×1 shortcut; concat: 1×1 8→4, 3×3 8→6; linear 10→2
    expected = (3 * 8 * 9 + 8) + (8 * 8 * 9 + 8) + (8 * 8 * 9 + 8) + 2 * 8 + (8 * 8 + 8) + (8 * 4 + 4) + \
               (8 * 6 * 9 + 6) + (10 * 2 + 2)
    assert plan.params == expected == sum(p.numel() for p in model.parameters()) == 1976


def test_input_override_reinfers_in_features():
    report = cnnscope.analyze("in1x28x28,c3-4,flat,fc10", (1, 1, 10, 10))
    assert report.layer("2").params == 4 * 8 * 8 * 10 + 10


@pytest.mark.parametrize("example", ["tiny_vgg.yaml", "mini_resnet.yaml", "inception_block.yaml", "alexnet.json"])
def test_generated_code_builds_the_same_network(example, tmp_path):
    source = f"{EXAMPLES}/{example}"
    code = generate_code(source)
    compile(code, "generated", "exec")
    target = tmp_path / "model.py"
    target.write_text(code)
    class_name = code.split("class ")[-1].split("(")[0]
    generated = cnnscope.analyze(f"{target}:{class_name}")
    built = cnnscope.analyze(source)
    assert generated.totals == built.totals
    assert [(r.name, r.type, r.output_shape, r.params) for r in generated.layers[1:]] == \
           [(r.name, r.type, r.output_shape, r.params) for r in built.layers[1:]]
    spec_model, _ = build_from_spec(source)
    namespace: dict = {}
    exec(compile(code, str(target), "exec"), namespace)  # the generated file itself, not spec text
    generated_model = namespace[class_name]()
    generated_model.load_state_dict(spec_model.state_dict())  # same names and shapes: checkpoints carry over
    x = torch.randn(2, *spec_model.input_shape)
    torch.testing.assert_close(generated_model.eval()(x), spec_model.eval()(x))


def test_generated_class_name_is_camel_case():
    code = generate_code(f"{EXAMPLES}/tiny_vgg.yaml")
    assert "class TinyVgg(nn.Sequential):" in code and "nn.Linear(64, 10)" in code


BAD = [
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n", "layers[0].conv", 'unknown argument "kernal" (did you mean "kernel"?)'),
    ("input: [3, 8, 8]\nlayers:\n  - convv: {out: 4}\n", "layers[0]", 'unknown layer type "convv" (did you mean "conv"?)'),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: three}\n", "layers[0].conv", "kernel must be a positive integer"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: -4}\n", "layers[0].conv", "out must be a positive integer, got -4"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 0}\n", "layers[0].conv", "got 0"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: true}\n", "layers[0].conv", "got True"),
    ("input: [3, 8, 8]\nlayers:\n  - dropout: {p: 1.5}\n", "layers[0].dropout", "p must be a number in [0, 1)"),
    ("layers:\n  - relu\n", "", "missing input"),
    ("input: [3, 8, 8]\nlayers: []\n", "layers", "the layer list is empty"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4\n", "", "YAML syntax error at line"),
    ("input: [3, 8, 8]\nlayers:\n  - concat:\n      branches: [[conv: {out: 4}], [conv: {out: 4, padding: 1}]]\n",
     "layers[0].concat", "concat branches must keep the same spatial size, got 4×6×6, 4×8×8"),
    ("input: [3, 8, 8]\nlayers:\n  - residual:\n      layers: [conv: {out: 4, padding: 1}]\n",
     "layers[0].residual", "residual paths differ: layers give 4×8×8, the identity shortcut gives 3×8×8"),
    ("input: [3, 8, 8]\nlayers:\n  - repeat: {times: 1000, layers: [relu]}\n", "layers[0].repeat", "times = 1000"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 9}\n", "layers[0].conv",
     "the map is 8×8 here (the input), too small for a 9×9 kernel: output height and width = "
     "floor((8 + 2·0 − 1·(9−1) − 1) / 1) + 1 = 0 < 1; use kernel ≤ 8, or padding ≥ 1"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4}\n  - linear: {out: 2}\n", "layers[1].linear",
     "linear needs a flat input, but receives 4×6×6"),
    ("input: [3, 8, 8]\nlayers:\n  - flatten\n  - linear: {out: 2, in: 100}\n", "layers[1].linear",
     "in = 100, but the input has 192 features here"),
    ("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, groups: 2}\n", "layers[0].conv", "groups = 2 must divide"),
    ("input: [3, 8, 8]\nlayers:\n  - flatten\n  - conv: {out: 4}\n", "layers[1].conv", "needs a channels×height×width input"),
    ("input: [3, 8, 8]\nlayers:\n  - {conv: {out: 4}, relu: null}\n", "layers[0]", "a layer is one key"),
    ("input: [3, 8, 8]\nlayers:\n  - 42\n", "layers[0]", "a layer is a type name"),
    ("!!python/object/apply:os.system ['echo pwned']\n", "", "YAML syntax error"),
    ("input: [3, 8, 8]\nlayerz: [relu]\n", "", 'unknown key "layerz" (did you mean "layers"?)'),
]


@pytest.mark.parametrize("text,location,message", BAD, ids=[b[2][:40] for b in BAD])
def test_bad_specs_say_where_and_what(text, location, message):
    with pytest.raises(SpecError) as info:
        make_plan(spec_text_to_spec(text))
    assert info.value.location == location
    assert message in str(info.value)


def test_nesting_limit_and_budget():
    deep = {"input": [1, 4, 4], "layers": ["relu"]}
    for _ in range(10):
        deep["layers"] = [{"residual": {"layers": deep["layers"]}}]
    with pytest.raises(SpecError, match="nested more than 8 deep"):
        validate(deep)
    huge = {"input": [3, 224, 224], "layers": ["flatten", {"linear": {"out": 16384}}, {"linear": {"out": 16384}}]}
    with pytest.raises(SpecError, match="more than the budget of 1,000,000,000"):
        make_plan(validate(huge))
    with pytest.raises(SpecError, match="MB of activations"):
        make_plan(validate({"input": [3, 64, 64], "layers": [{"conv": {"out": 128, "padding": 1}}]},  # 2 MB
                           Limits(max_activation_bytes=2**20)))


@pytest.mark.parametrize("text,message", [
    ("in1x28x28,c3-x", "unknown layer token 'c3-x'"),
    ("in1x28x28,(c3-4*2", "expected ')'"),
    ("c3-4,relu", "needs an input"),
    ("in1x28x28,do1.5", "p must be a number in [0, 1)"),
    ("in1x28x28,relu,,relu", "expected a layer"),
])
def test_bad_one_line_specs(text, message):
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        build_from_spec(text, device="meta")


# -- random specs: build, or a SpecError; never anything else -------------------------------------

_values = st.one_of(st.integers(-3, 40), st.booleans(), st.none(), st.text(max_size=4),
                    st.lists(st.integers(-1, 9), max_size=3), st.floats(-1, 2), st.just(float("nan")))
_arg_names = st.sampled_from(["out", "kernel", "stride", "padding", "dilation", "groups", "bias", "p", "size",
                              "in", "slope", "ceil_mode", "output_padding", "kernal"])
_layer_names = st.sampled_from(["conv", "convtranspose", "maxpool", "avgpool", "adaptiveavgpool", "batchnorm",
                                "relu", "leakyrelu", "tanh", "sigmoid", "gelu", "silu", "dropout", "flatten",
                                "linear", "identity", "adaptivemaxpool", "bogus"])


def _layers(children):
    layer = st.one_of(_layer_names, st.dictionaries(_layer_names, st.dictionaries(_arg_names, _values, max_size=4),
                                                    min_size=1, max_size=1))
    block = st.one_of(
        st.builds(lambda t, ls: {"repeat": {"times": t, "layers": ls}}, st.integers(-1, 4), children),
        st.builds(lambda ls, sc: {"residual": {"layers": ls, **({"shortcut": sc} if sc else {})}}, children,
                  st.one_of(st.none(), children)),
        st.builds(lambda bs: {"concat": {"branches": bs}}, st.lists(children, min_size=0, max_size=3)),
    )
    return st.lists(st.one_of(layer, block, _values), min_size=0, max_size=5)


_chaotic = st.fixed_dictionaries({
    "input": st.one_of(st.lists(st.integers(1, 40), min_size=3, max_size=3), _values),
    "layers": st.recursive(st.lists(_layer_names, max_size=3), _layers, max_leaves=12),
})

# Mostly well-formed specs, so that building (not only rejecting) is exercised.
_small = st.integers(1, 4)
_plausible_layer = st.one_of(
    st.builds(lambda o, k, s, p, g: {"conv": {"out": o * g, "kernel": k, "stride": s, "padding": p, "groups": g}},
              _small, _small, st.integers(1, 2), st.integers(0, 2), st.sampled_from([1, 1, 2])),
    st.builds(lambda o, k, s: {"convtranspose": {"out": o, "kernel": k, "stride": s}}, _small, _small,
              st.integers(1, 2)),
    st.builds(lambda k, s, c: {"maxpool": {"kernel": k, "stride": s, "ceil_mode": c}}, st.integers(1, 3),
              st.integers(1, 2), st.booleans()),
    st.builds(lambda k: {"avgpool": {"kernel": k}}, st.integers(1, 2)),
    st.builds(lambda n: {"adaptiveavgpool": {"size": n}}, st.integers(1, 3)),
    st.sampled_from(["relu", "batchnorm", "tanh", "gelu", "identity", "dropout", "flatten", "silu"]),
    st.builds(lambda o: {"linear": {"out": o}}, _small),
)
_plausible = st.fixed_dictionaries({
    "input": st.lists(st.integers(1, 24), min_size=3, max_size=3),
    "layers": st.recursive(
        st.lists(_plausible_layer, min_size=1, max_size=4),
        lambda children: st.lists(st.one_of(
            _plausible_layer,
            st.builds(lambda t, ls: {"repeat": {"times": t, "layers": ls}}, st.integers(1, 3), children),
            st.builds(lambda ls: {"residual": {"layers": ls}}, children),
            st.builds(lambda bs: {"concat": {"branches": bs}}, st.lists(children, min_size=2, max_size=3)),
        ), min_size=1, max_size=4),
        max_leaves=10),
})
_specs = st.one_of(_chaotic, _plausible)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_specs)
def test_random_specs_build_or_raise_spec_error(data):
    try:
        plan = make_plan(validate(data, Limits(max_params=50_000_000)))
    except SpecError:
        return
    from cnnscope.spec.build import build

    model = build(plan, device="meta")
    with torch.no_grad():
        out = model.eval()(torch.empty(1, *plan.input, device="meta"))
    assert tuple(out.shape[1:]) == plan.output


@pytest.mark.parametrize("name,text", [("empty.yaml", ""), ("blank.yaml", "  \n\t\n"), ("blank.json", "\n"),
                                       ("empty.json", ""), ("bom.json", "\ufeff \n"), ("comment.yml", "# none\n")])
def test_an_empty_spec_file_says_so(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=f"^{re.escape(str(path))}: the spec is empty; see docs/spec.md for the format$"):
        build_from_spec(str(path), device="meta")


@pytest.mark.parametrize("text,suffix", [("", ".yaml"), (" \n\t\n", ".yaml"), ("\n", ".json"), ("  ", ".json")])
def test_an_empty_spec_text_says_so(text, suffix):
    """The app's editor: whitespace is an empty spec, not a JSON/YAML syntax error or 'got NoneType'."""
    with pytest.raises(SpecError, match="^the spec is empty; see docs/spec.md for the format$"):
        spec_text_to_spec(text, suffix=suffix)


# -- well-formed by construction: every one must build, so a SpecError here fails ------------------

_same_layer = st.one_of(
    st.builds(lambda o, k: {"conv": {"out": o, "kernel": k, "padding": (k - 1) // 2}}, _small,
              st.sampled_from([1, 3, 5])),
    st.sampled_from(["relu", "batchnorm", "tanh", "gelu", "identity", "dropout", "silu"]),
)
_same_layers = st.recursive(
    st.lists(_same_layer, min_size=1, max_size=3),
    lambda children: st.lists(st.one_of(
        _same_layer,
        st.builds(lambda t, ls: {"repeat": {"times": t, "layers": ls}}, st.integers(1, 3), children),
        st.builds(lambda bs: {"concat": {"branches": bs}}, st.lists(children, min_size=2, max_size=3)),
    ), min_size=1, max_size=4),
    max_leaves=8)


def _channels_after(layers, channels):
    """Channels out of a list of 'same'-padded layers (their height and width never change)."""
    for layer in layers:
        if isinstance(layer, dict) and "conv" in layer:
            channels = layer["conv"]["out"]
        elif isinstance(layer, dict) and "repeat" in layer:
            for _ in range(layer["repeat"]["times"]):
                channels = _channels_after(layer["repeat"]["layers"], channels)
        elif isinstance(layer, dict) and "concat" in layer:
            channels = sum(_channels_after(branch, channels) for branch in layer["concat"]["branches"])
    return channels


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(1, 12), min_size=3, max_size=3), _same_layers, st.integers(1, 5))
def test_well_formed_specs_always_build(input_shape, layers, classes):
    spec = {"input": input_shape, "layers": [*layers, "flatten", {"linear": {"out": classes}}]}
    plan = make_plan(validate(spec))  # no SpecError: every layer keeps the spatial size and fits its input
    channels, height, width = input_shape
    features = _channels_after(layers, channels) * height * width
    assert plan.output == (classes,)
    from cnnscope.spec.build import build

    model = build(plan, device="meta")
    assert model[-1].in_features == features
    with torch.no_grad():
        out = model.eval()(torch.empty(2, *input_shape, device="meta"))
    assert tuple(out.shape) == (2, classes)
