"""Inputs beyond one float shape: per-input dtypes, integer token ids, example tensors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import cnnscope
from cnnscope.errors import ShapeError, UsageError


class Tokens(nn.Module):
    """Token ids -> embeddings -> a 1-D convolution over the sequence."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 16)
        self.conv = nn.Conv1d(16, 8, 3)

    def forward(self, ids):
        return self.conv(self.emb(ids).transpose(1, 2))


def test_int64_token_ids_trace_through_an_embedding():
    report = cnnscope.analyze(Tokens(), (2, 12), input_dtype="int64")
    assert report.input_dtypes == ["int64"] and report.dtype == "float32"
    assert report.layer("emb").output_shape == [2, 12, 16] and report.layer("emb").op_kind == "embedding"
    assert report.totals.macs == 2 * 8 * 10 * 16 * 3  # conv1d: outputs × C_in·k
    assert report.totals.input_bytes == 2 * 12 * 8  # int64 ids


def test_example_tensors_give_shapes_and_dtypes():
    report = cnnscope.analyze(Tokens(), input_data=torch.randint(0, 100, (2, 12)))
    assert report.input_shape == [2, 12] and report.input_dtypes == ["int64"]
    with pytest.raises(UsageError, match="not both"):
        cnnscope.analyze(Tokens(), (2, 12), input_data=torch.zeros(2, 12, dtype=torch.long))


def test_float_ids_say_which_dtype_to_give():
    with pytest.raises(ShapeError, match=r"emb \(Embedding\) takes integer ids but receives float32 values; "
                                         r"give the input an integer dtype \(--input-dtype int64"):
        cnnscope.analyze(Tokens(), (2, 12))


def test_half_precision_inputs_halve_the_input_bytes():
    full = cnnscope.analyze("lenet5")
    half = cnnscope.analyze(nn.Sequential(nn.Conv2d(1, 6, 5)).half(), (1, 1, 28, 28), input_dtype=torch.float16)
    assert half.input_dtypes == ["float16"] and half.totals.input_bytes == full.totals.input_bytes // 2


def test_one_dtype_per_input_or_one_for_all():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 4)

        def forward(self, x, ids):
            return x.flatten(1) + self.emb(ids).flatten(1)

    report = cnnscope.analyze(Two(), [(1, 8), (1, 2)], input_dtype=["float32", "int64"])
    assert report.input_dtypes == ["float32", "int64"]
    with pytest.raises(UsageError, match="3 input dtypes for 2 inputs"):
        cnnscope.analyze(Two(), [(1, 8), (1, 2)], input_dtype=["float32", "int64", "int64"])
    with pytest.raises(UsageError, match="unknown dtype 'int65'"):
        cnnscope.analyze(Two(), [(1, 8), (1, 2)], input_dtype="int65")


def test_input_dtype_on_the_command_line(run_cli, tmp_path):
    source = tmp_path / "tok.py"
    source.write_text("import torch\nfrom torch import nn\n\n\nclass Tok(nn.Module):\n"
                      "    def __init__(self):\n        super().__init__()\n        self.emb = nn.Embedding(100, 16)\n\n"
                      "    def forward(self, ids):\n        return self.emb(ids)\n")
    code, out, err = run_cli("summary", f"{source}:Tok", "--input", "2,12", "--input-dtype", "int64", "--format", "json")
    assert code == 0, err
    assert '"input_dtypes": [\n    "int64"\n  ]' in out
    code, out, err = run_cli("summary", f"{source}:Tok", "--input", "2,12", "--input-dtype", "int64;")
    run_cli.assert_one_line_error(code, err, "--input-dtype 'int64;': an empty dtype")


class Masked(nn.Module):
    """An image and an optional mask given by keyword: ``forward(x, mask=None)``."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.gate = nn.Conv2d(1, 4, 5, padding=2)

    def forward(self, x, mask=None):
        y = self.conv(x)
        return y if mask is None else y * self.gate(mask)


def test_args_and_kwargs_trace_with_the_keyword_tensor_as_an_input():
    x, m = torch.zeros(1, 3, 8, 8), torch.zeros(1, 1, 8, 8, dtype=torch.float64).float()
    report = cnnscope.analyze(Masked(), input_data=((x,), {"mask": m}))
    assert report.input_shape == [[1, 3, 8, 8], [1, 1, 8, 8]] and report.input_keywords == ["mask"]
    assert report.input_dtypes == ["float32", "float32"]
    assert report.layer("conv").inputs == [-1] and report.layer("gate").inputs == [-2]  # the kwarg is input 1
    assert report.totals.macs == 4 * 64 * 3 * 9 + 4 * 64 * 1 * 25  # 6,912 + 6,400
    assert report.totals.input_bytes == (3 * 64 + 64) * 4
    assert report.layer("gate").rf.size == [5, 5] and report.layer("mul").rf.size == [5, 5]  # union: 3×3 ∪ 5×5
    # Without the mask the gate is never called: the same model, 6,912 MACs.
    assert cnnscope.analyze(Masked(), input_data=x).totals.macs == 4 * 64 * 3 * 9


def test_a_dict_of_keyword_inputs_alone_and_constants_passed_through():
    report = cnnscope.analyze(Masked(), input_data={"x": torch.zeros(2, 3, 6, 6), "mask": None})
    assert report.input_shape == [2, 3, 6, 6] and report.input_keywords == ["x"]
    assert report.layer("conv").inputs == [-1] and report.layer("conv").rf.size == [3, 3]
    assert report.totals.macs == 2 * 4 * 36 * 3 * 9
    assert cnnscope.ModelReport.from_dict(report.to_dict()) == report
    with pytest.raises(UsageError, match="holds no tensor"):
        cnnscope.analyze(Masked(), input_data={"mask": None})
