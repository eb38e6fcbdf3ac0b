"""errors.prefixed: the context goes in front of the message, the error keeps its class and attributes."""

import pickle

import pytest

from cnnscope.errors import CnnscopeError, LayerNotFoundError, ShapeError, SpecError, prefixed
from cnnscope.train.errors import TrainingDiverged


class _Strict(CnnscopeError):
    exit_code = 3

    def __init__(self, a: int, b: int):
        super().__init__(f"{a} and {b}")
        self.a, self.b = a, b


@pytest.mark.parametrize("error,attributes", [
    (LayerNotFoundError("conv9", ["conv1", "conv2"]), {"name": "conv9", "suggestions": ["conv2", "conv1"]}),
    (SpecError("bad kernel", "layers[0].conv"), {"location": "layers[0].conv", "reason": "bad kernel"}),
    (ShapeError("too small", layer="pool2", partial="report"), {"layer": "pool2", "partial": "report"}),
    (TrainingDiverged("loss is NaN", history="history"), {"history": "history"}),
    (_Strict(1, 2), {"a": 1, "b": 2}),
])
def test_prefixed_keeps_class_exit_code_and_attributes(error, attributes):
    new = prefixed(error, "resnet18")
    assert type(new) is type(error) and new.exit_code == error.exit_code
    assert str(new) == f"resnet18: {error}" and str(prefixed(new, "--variant a")) == f"--variant a: resnet18: {error}"
    assert {k: getattr(new, k) for k in attributes} == attributes
    assert str(error) != str(new)  # the original is left as it was
    again = pickle.loads(pickle.dumps(new))
    assert type(again) is type(error) and str(again) == str(new) and again.__dict__ == new.__dict__


def test_layer_not_found_is_still_a_key_error_with_a_plain_message():
    error = prefixed(LayerNotFoundError("conv9", ["conv1"]), "lenet5")
    assert isinstance(error, KeyError) and error.message == str(error) == \
        "lenet5: no layer named 'conv9' in this model; did you mean conv1?"
    assert str(pickle.loads(pickle.dumps(LayerNotFoundError("x")))) == "no layer named 'x' in this model"
