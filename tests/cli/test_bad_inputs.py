"""The bad-input suite: every command, run with bad arguments and bad files, must answer with one
line on stderr and a real exit code (never 0, never 70 "internal error"), print no traceback, and
leave every file that existed before untouched.

One row of ``BAD`` is one bad input: ``Bad(id, argv, code, message, files=..., env=...)``.
``argv`` runs in a fresh ``tmp_path`` (the working folder), where ``files`` (name -> text, bytes,
or a function of the path that writes it) were created first; ``{tmp}`` in ``argv`` is that folder.
``message`` is a fragment of the one error line.  To add a case, add a row.

The tests after the table check what issue 15 says must *succeed* (sibling imports, devices,
pipes, links and ``-`` as ``-o``, a damaged cache entry, a model that prints, 1-D kernels), that a
real bug is still an internal error, generated ``--input``/``--unit`` values, and the app's guard.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import struct
import subprocess
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# -- files the rows refer to -------------------------------------------------------------------------

SPEC = ("name: tiny\ninput: [1, 28, 28]\n"
        "layers: [conv: {out: 6, k: 5, pad: 2}, tanh, avgpool: {k: 2}, flatten, linear: {out: 10}]\n")
SPEC_JSON = json.dumps({"name": "tiny", "input": [1, 12, 12],
                        "layers": [{"conv": {"out": 2, "k": 3}}, "flatten", {"linear": {"out": 3}}]})
ONE_LINE = "in1x28x28,c5-6p2,tanh,ap2,flat,fc10"

NET = ("from blocks import block\nfrom torch import nn\n\n"
       "class Net(nn.Module):\n    input_shape = (1, 8, 8)\n\n    def __init__(self):\n"
       "        super().__init__()\n        self.b = block()\n\n    def forward(self, x):\n        return self.b(x)\n")
BLOCKS = "from torch import nn\n\n\ndef block():\n    return nn.Conv2d(1, 2, 3)\n"
HELD = ("from torch import nn\n\n\nclass Held(nn.Module):\n    input_shape = (1, 8, 8)\n\n"
        "    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(1, 2, 3)\n\n"
        "    def forward(self, x):\n        return self.c(x)\n")
PRINTER = HELD.replace("return self.c(x)", "print('hello from forward')\n        return self.c(x)")
TWO_INPUTS = ("import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n"
              "        super().__init__()\n        self.c = nn.Conv2d(3, 4, 3)\n        self.f = nn.Linear(5, 4)\n\n"
              "    def forward(self, a, b):\n        return self.c(a).mean((2, 3)) + self.f(b)\n")
AUDIO = ("from torch import nn\n\n\nclass Net(nn.Module):\n    input_shape = (1, 400)\n\n    def __init__(self):\n"
         "        super().__init__()\n        self.c = nn.Conv1d(1, 4, 80)\n\n    def forward(self, x):\n"
         "        return self.c(x)\n")
BROKEN = "def oops(:\n"
RAISES = ("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
          "        raise RuntimeError('no GPU here')\n")
NEEDS_ARGS = ("from torch import nn\n\n\nclass Net(nn.Module):\n    def __init__(self, width):\n"
              "        super().__init__()\n")
NOT_MODULE = "def f():\n    return 3\n"


def _bomb(where: str) -> str:
    """9 levels of 9 aliases: 9**9 = 387 million leaves from under 500 bytes."""
    levels = ["&a [x, x, x, x, x, x, x, x, x]"] + [
        f"&{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdefgh", "bcdefghi")]
    if where == "input":
        return f"name: bomb\ninput: [1, 8, [{', '.join(levels)}]]\nlayers: [relu]\n"
    return "name: bomb\ninput: [1, 8, 8]\nlayers:\n" + "".join(f"  - {level}\n" for level in levels)


@functools.lru_cache(maxsize=None)
def _png_bytes(width: int, height: int) -> bytes:
    """A valid grey PNG: tiny on disk, ``width × height`` pixels once decoded (made once per size)."""
    packer = zlib.compressobj(6)  # row by row: never the decoded image in memory
    row = b"\x00" + b"\x80" * width
    raw = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _png(size):
    return lambda path: path.write_bytes(_png_bytes(*size))


def _torch_save(make):
    def write(path: Path):
        import torch

        torch.save(make(), path)
    return write


def _zeros(*shape):
    import torch

    return torch.zeros(*shape)


def _npy(make):
    def write(path: Path):
        import numpy

        numpy.save(path, make(numpy), allow_pickle=True)
    return write


def _evil():
    import argparse

    return {"conv.weight": argparse.Namespace(payload="python object")}


def _other_weights():
    import torch

    return {"0.weight": torch.zeros(3, 3)}


def _folder(path: Path):
    path.mkdir()


def _fake_dot(path: Path):
    path.mkdir()
    dot = path / "dot"
    dot.write_text("#!/bin/sh\necho 'Error: trouble in init_rank' >&2\necho ' a 1' >&2\nexit 1\n")
    dot.chmod(0o755)


FILES = {
    "spec.yaml": SPEC, "spec.json": SPEC_JSON, "net.py": NET, "blocks.py": BLOCKS, "held.py": HELD,
    "two_inputs.py": TWO_INPUTS, "broken.py": BROKEN, "raises.py": RAISES, "needs_args.py": NEEDS_ARGS,
    "not_module.py": NOT_MODULE,
    "latin1.yaml": "name: caf\xe9\ninput: [1, 8, 8]\nlayers: [relu]\n".encode("latin-1"),
    "utf16.yaml": SPEC.encode("utf-16"),
    "binary.yaml": bytes(range(256)) * 4,
    "bomb_input.yaml": _bomb("input"), "bomb_layers.yaml": _bomb("layers"),
    "empty.yaml": "", "blank.yaml": "  \n\t\n", "blank.json": "\n", "empty.json": "", "comment.yaml": "# none\n",
    "syntax.yaml": "input: [1, 8\nlayers: [relu\n", "syntax.json": "{\"input\": [1, 8,",
    "list.yaml": "- relu\n- tanh\n", "unknown_key.yaml": "input: [1, 8, 8]\nlayres: [relu]\n",
    "huge.yaml": "#" * 1_100_000 + "\n",
    "adir.yaml": _folder, "adir": _folder, "adir.png": _folder, "adir.json": _folder, "adir.svg": _folder,
    "adir.html": _folder, "adir.py": _folder,
    "evil_raw.pt": _torch_save(_evil), "garbage.pt": "not a checkpoint", "other.pt": _torch_save(_other_weights),
    "list.pt": _torch_save(lambda: [1, 2, 3]),
    "x3.pt": _torch_save(lambda: _zeros(3, 32, 32)),
    "nan.pt": _torch_save(lambda: _zeros(1, 28, 28) / 0),
    "x40.npy": _npy(lambda np: np.zeros((1, 1, 40, 40), "float32")),
    "objects.npy": _npy(lambda np: np.array([{}], dtype=object)),
    "fake.png": "not an image", "huge.png": _png((20000, 20000)), "tiny.png": _png((1, 1)),
    "small.png": _png((16, 16)), "a_file.txt": "I am a file", "fakebin": _fake_dot,
    "deep.yaml": "input: " + "[" * 3000 + "1, 8, 8" + "]" * 3000 + "\nlayers: [relu]\n",
    "long_name.yaml": "name: " + "x" * 500_000 + "\ninput: [1, 8, 8]\nlayers: [relu]\n",
}


@dataclass
class Bad:
    id: str
    argv: list
    code: int
    message: str
    files: tuple = ()  # names in FILES
    env: dict = field(default_factory=dict)


B = Bad
BAD = [
    # -- the rows of issue 15 -------------------------------------------------------------------
    B("o-missing-folder", ["summary", "lenet5", "-o", "missing/out.txt"], 2, "no such folder"),
    B("o-folder", ["summary", "lenet5", "-o", "adir"], 2, "is a folder", ("adir",)),
    B("o-read-only", ["summary", "lenet5", "-o", "/sys/out.txt"], 2, "cannot write /sys/out.txt"),
    B("o-dev-full", ["summary", "lenet5", "-o", "/dev/full"], 2, "no space left"),
    B("filters-o-missing-folder", ["filters", "lenet5", "-o", "missing/f.png"], 2, "no such folder"),
    B("filters-o-folder", ["filters", "lenet5", "-o", "adir.png"], 2, "is a folder", ("adir.png",)),
    B("filters-o-read-only", ["filters", "lenet5", "-o", "/sys/f.png"], 2, "cannot write"),
    B("graph-o-missing-folder", ["graph", "lenet5", "-o", "missing/g.svg"], 2, "no such folder"),
    B("graph-o-folder", ["graph", "lenet5", "-o", "adir.svg"], 2, "is a folder", ("adir.svg",)),
    B("graph-o-read-only", ["graph", "lenet5", "-o", "/sys/g.dot"], 2, "cannot write"),
    B("compare-o-missing-folder", ["compare", "lenet5", ONE_LINE, "-o", "missing/r.html"], 2, "no such folder"),
    B("compare-o-folder", ["compare", "lenet5", ONE_LINE, "-o", "adir.html"], 2, "is a folder", ("adir.html",)),
    B("compare-o-read-only", ["compare", "lenet5", ONE_LINE, "-o", "/sys/r.json"], 2, "cannot write"),
    B("train-out-read-only", ["train", "lenet5", "--out", "/sys/run", "--epochs", "1"], 2,
      "cannot write"),
    B("train-out-a-file", ["train", "lenet5", "--out", "a_file.txt"], 2, "not a folder", ("a_file.txt",)),
    B("code-o-is-input", ["code", "spec.yaml", "-o", "spec.yaml"], 2, "is the input", ("spec.yaml",)),
    B("summary-o-is-input", ["summary", "spec.yaml", "--format", "json", "-o", "spec.yaml"], 2, "is the input",
      ("spec.yaml",)),
    B("summary-o-is-input-spelled-differently", ["summary", "./spec.yaml", "-o", "{tmp}/spec.yaml"], 2,
      "is the input", ("spec.yaml",)),
    B("compare-o-is-input", ["compare", "spec.json", "lenet5", "-o", "spec.json"], 2, "is the input", ("spec.json",)),
    B("features-o-is-image", ["features", "lenet5", "--image", "small.png", "-o", "small.png"], 2, "is the input",
      ("small.png",)),
    B("rf-o-is-image", ["rf", "lenet5", "--image", "small.png", "-o", "small.png"], 2, "is the input", ("small.png",)),
    B("bomb-under-input", ["summary", "bomb_input.yaml"], 1, "aliases", ("bomb_input.yaml",)),
    B("bomb-under-input-code", ["code", "bomb_input.yaml"], 1, "aliases", ("bomb_input.yaml",)),
    B("bomb-under-layers", ["summary", "bomb_layers.yaml"], 1, "", ("bomb_layers.yaml",)),
    B("spec-latin1", ["summary", "latin1.yaml"], 1, "not UTF-8 text", ("latin1.yaml",)),
    B("spec-utf16", ["summary", "utf16.yaml"], 1, "not UTF-8 text", ("utf16.yaml",)),
    B("spec-binary", ["summary", "binary.yaml"], 1, "not UTF-8 text", ("binary.yaml",)),
    B("code-spec-latin1", ["code", "latin1.yaml"], 1, "not UTF-8 text", ("latin1.yaml",)),
    B("features-huge-image", ["features", "lenet5", "--image", "huge.png", "-o", "m.png"], 1,
      "image too large (400 Mpixels; limit", ("huge.png",)),
    B("rf-huge-image", ["rf", "lenet5", "--image", "huge.png"], 1, "image too large (400 Mpixels; limit",
      ("huge.png",)),
    B("rf-two-inputs-empirical", ["rf", "two_inputs.py:M", "--input", "1,3,16,16;1,5", "--empirical"], 2,
      "one image input", ("two_inputs.py",)),
    B("depth-negative", ["summary", "lenet5", "--depth", "-1"], 2, "--depth"),
    B("input-empty", ["summary", "lenet5", "--input", ""], 2, "--input"),
    B("input-trailing-semicolon", ["summary", "lenet5", "--input", "1,28,28;"], 2, "--input"),
    B("rf-unit-outside", ["rf", "lenet5", "--unit", "100,100"], 2, "outside"),
    B("rf-unit-letters", ["rf", "lenet5", "--unit", "a,b"], 2, "--unit"),
    B("input-negative", ["summary", "lenet5", "--input", "-1,28,28"], 2, "sizes must be positive"),
    B("rf-unit-negative", ["rf", "lenet5", "--unit", "-1,3"], 2, "must not be negative"),
    B("weights-python-objects", ["summary", "lenet5", "--weights", "evil_raw.pt"], 1, "Python objects",
      ("evil_raw.pt",)),
    B("spec-is-a-folder", ["summary", "adir.yaml"], 1, "is a folder", ("adir.yaml",)),
    B("weights-is-a-folder", ["summary", "lenet5", "--weights", "adir"], 1, "is a folder", ("adir",)),
    B("py-without-name", ["summary", "held.py"], 1, "give held.py:Name (it defines: Held)", ("held.py",)),
    B("graph-dot-fails", ["graph", "lenet5", "-o", "g.svg"], 1, "--rankdir LR", ("fakebin",),
      {"PATH": "{tmp}/fakebin:" + os.environ.get("PATH", "")}),
    B("features-image-missing", ["features", "lenet5", "--image", "nothere.jpg", "-o", "m.png"], 1,
      "no such image file"),
    # -- general -----------------------------------------------------------------------------------
    B("unknown-command", ["nosuch"], 2, "invalid choice"),
    B("unknown-option", ["--bogus"], 2, "unrecognized arguments"),
    B("summary-no-model", ["summary"], 2, "required"),
    # -- list --------------------------------------------------------------------------------------
    B("list-no-match", ["list", "zzz*"], 1, "no model matches"),
    B("list-format", ["list", "--format", "xml"], 2, "invalid choice"),
    B("list-two-patterns", ["list", "a*", "b*"], 2, "unrecognized arguments"),
    # -- summary -----------------------------------------------------------------------------------
    B("summary-unknown-model", ["summary", "nosuchmodel"], 1, "unknown model"),
    B("summary-format", ["summary", "lenet5", "--format", "xml"], 2, "invalid choice"),
    B("summary-depth-text", ["summary", "lenet5", "--depth", "two"], 2, "invalid int"),
    B("input-letters", ["summary", "lenet5", "--input", "1,a,28"], 2, "expected integers"),
    B("input-zero", ["summary", "lenet5", "--input", "0,28,28"], 2, "sizes must be positive"),
    B("input-one-number", ["summary", "lenet5", "--input", "28"], 2, "at least two numbers"),
    B("input-only-semicolons", ["summary", "lenet5", "--input", ";;"], 2, "--input"),
    B("input-empty-middle", ["summary", "lenet5", "--input", "1,28,28;;1,28,28"], 2, "--input"),
    B("input-too-small", ["summary", "lenet5", "--input", "1,4,4"], 1, ""),
    B("input-wrong-channels", ["summary", "lenet5", "--input", "3,28,28"], 1, ""),
    B("input-huge", ["summary", "lenet5", "--input", "1,1,99999999999,99999999999"], 1, ""),
    B("file-missing", ["summary", "missing.py:Net"], 1, "no such file"),
    B("file-no-name", ["summary", "held.py:Nope"], 1, "has no 'Nope'", ("held.py",)),
    B("file-syntax-error", ["summary", "broken.py:Net"], 1, "importing the file failed", ("broken.py",)),
    B("file-constructor-raises", ["summary", "raises.py:Net"], 1, "no GPU here", ("raises.py",)),
    B("file-needs-arguments", ["summary", "needs_args.py:Net"], 1, "needs constructor arguments",
      ("needs_args.py",)),
    B("file-not-a-module", ["summary", "not_module.py:f"], 1, "not an nn.Module", ("not_module.py",)),
    B("file-no-input-shape", ["summary", "two_inputs.py:M"], 2, "no natural input", ("two_inputs.py",)),
    B("py-folder", ["summary", "adir.py:Net"], 1, "is a folder", ("adir.py",)),
    B("spec-missing", ["summary", "nothere.yaml"], 1, "no such spec file"),
    B("spec-empty", ["summary", "empty.yaml"], 1, "empty", ("empty.yaml",)),
    B("spec-blank-yaml", ["summary", "blank.yaml"], 1, "blank.yaml: the spec is empty", ("blank.yaml",)),
    B("spec-blank-json", ["summary", "blank.json"], 1, "blank.json: the spec is empty", ("blank.json",)),
    B("spec-empty-json", ["code", "empty.json"], 1, "empty.json: the spec is empty", ("empty.json",)),
    B("spec-only-comment", ["summary", "comment.yaml"], 1, "comment.yaml: the spec is empty", ("comment.yaml",)),
    B("spec-yaml-syntax", ["summary", "syntax.yaml"], 1, "YAML syntax error", ("syntax.yaml",)),
    B("spec-json-syntax", ["summary", "syntax.json"], 1, "JSON syntax error", ("syntax.json",)),
    B("spec-a-list", ["summary", "list.yaml"], 1, "a spec is a mapping", ("list.yaml",)),
    B("spec-unknown-key", ["summary", "unknown_key.yaml"], 1, "unknown key", ("unknown_key.yaml",)),
    B("spec-huge-file", ["summary", "huge.yaml"], 1, "larger than", ("huge.yaml",)),
    B("one-line-unknown-layer", ["summary", "in1x28x28,zz9"], 1, ""),
    B("one-line-no-input", ["summary", "c5-6,fc10"], 1, "needs an input"),
    B("weights-missing", ["summary", "lenet5", "--weights", "missing.pt"], 1, "no such weights file"),
    B("weights-garbage", ["summary", "lenet5", "--weights", "garbage.pt"], 1, "not a readable", ("garbage.pt",)),
    B("weights-other-model", ["summary", "lenet5", "--weights", "other.pt"], 1, "do not fit", ("other.pt",)),
    B("weights-a-list", ["summary", "lenet5", "--weights", "list.pt"], 1, "not a state_dict", ("list.pt",)),
    # -- rf ----------------------------------------------------------------------------------------
    B("rf-unit-one-number", ["rf", "lenet5", "--unit", "1"], 2, "--unit"),
    B("rf-unit-three-numbers", ["rf", "lenet5", "--unit", "1,2,3"], 2, "--unit"),
    B("rf-unit-empty", ["rf", "lenet5", "--unit", ""], 2, "--unit"),
    B("rf-layer-unknown", ["rf", "lenet5", "--layer", "nope"], 2, "no layer named"),
    B("rf-samples-zero", ["rf", "lenet5", "--samples", "0", "--empirical"], 2, "--samples"),
    B("rf-o-suffix", ["rf", "lenet5", "-o", "out.gif"], 2, "unknown suffix .gif; choose .png"),
    B("rf-o-missing-folder", ["rf", "lenet5", "-o", "missing/x.json"], 2, "no such folder"),
    B("rf-o-folder", ["rf", "lenet5", "-o", "adir.json"], 2, "is a folder", ("adir.json",)),
    B("rf-png-missing-folder", ["rf", "lenet5", "-o", "missing/x.png"], 2, "no such folder"),
    B("rf-image-missing", ["rf", "lenet5", "--image", "nothere.jpg"], 1, "no such image file"),
    B("rf-image-not-an-image", ["rf", "lenet5", "--image", "fake.png"], 1, "not a readable image", ("fake.png",)),
    B("rf-format", ["rf", "lenet5", "--format", "xml"], 2, "invalid choice"),
    B("rf-seed-text", ["rf", "lenet5", "--seed", "x"], 2, "invalid int"),
    B("rf-weights-evil", ["rf", "lenet5", "--weights", "evil_raw.pt", "--empirical"], 1, "Python objects",
      ("evil_raw.pt",)),
    B("rf-input-negative", ["rf", "lenet5", "--input", "-1,28,28"], 2, "sizes must be positive"),
    # -- code --------------------------------------------------------------------------------------
    B("code-zoo-name", ["code", "resnet18"], 2, "is not a spec"),
    B("code-py-file", ["code", "net.py:Net"], 2, "is not a spec", ("net.py", "blocks.py")),
    B("code-o-missing-folder", ["code", "spec.yaml", "-o", "missing/x.py"], 2, "no such folder", ("spec.yaml",)),
    B("code-o-folder", ["code", ONE_LINE, "-o", "adir.py"], 2, "is a folder", ("adir.py",)),
    B("code-input-two-numbers", ["code", "spec.yaml", "--input", "28,28"], 1, "input must be [channels",
      ("spec.yaml",)),
    B("code-spec-missing", ["code", "nothere.yaml"], 1, "no such spec file"),
    B("code-bomb-layers", ["code", "bomb_layers.yaml"], 1, "", ("bomb_layers.yaml",)),
    # -- filters -----------------------------------------------------------------------------------
    B("filters-no-output", ["filters", "lenet5"], 2, "required"),
    B("filters-o-suffix", ["filters", "lenet5", "-o", "f.svg"], 2, "unknown suffix .svg; choose .png, .jpg or .jpeg"),
    B("filters-layer-unknown", ["filters", "lenet5", "--layer", "nope", "-o", "f.png"], 2, "no layer named"),
    B("filters-layer-not-conv", ["filters", "lenet5", "--layer", "9", "-o", "f.png"], 2, "not a convolution"),
    B("filters-weights-evil", ["filters", "lenet5", "--weights", "evil_raw.pt", "-o", "f.png"], 1,
      "Python objects", ("evil_raw.pt",)),
    B("filters-download-alone", ["filters", "lenet5", "--download", "-o", "f.png"], 2, "--download"),
    B("filters-weights-and-pretrained", ["filters", "lenet5", "--weights", "a.pt", "--pretrained", "-o", "f.png"],
      2, "not allowed with"),
    B("filters-no-conv", ["filters", "in1x8x8,flat,fc3", "-o", "f.png"], 2, ""),
    B("filters-unknown-model", ["filters", "nosuch", "-o", "f.png"], 1, "unknown model"),
    # -- features ----------------------------------------------------------------------------------
    B("features-no-image", ["features", "lenet5", "-o", "m.png"], 2, "required"),
    B("features-image-pair", ["features", "raft_small", "--image", "digits:3", "-o", "m.png"], 2,
      "features draws a model with one image input; raft_small takes a pair of frames"),
    B("features-video", ["features", "r3d_18", "--image", "digits:3", "-o", "m.png"], 2,
      "r3d_18 has no image input shape"),
    B("features-digits-text", ["features", "lenet5", "--image", "digits:x", "-o", "m.png"], 2, "digits:x"),
    B("features-digits-range", ["features", "lenet5", "--image", "digits:99999", "-o", "m.png"], 1, "samples 0.."),
    B("features-not-an-image", ["features", "lenet5", "--image", "fake.png", "-o", "m.png"], 1,
      "not a readable image", ("fake.png",)),
    B("features-tiny-image", ["features", "lenet5", "--image", "tiny.png", "-o", "m.png"], 1, "1×1", ("tiny.png",)),
    B("features-top-zero", ["features", "lenet5", "--image", "digits:1", "--top", "0", "-o", "m.png"], 2, "--top"),
    B("features-layer-unknown", ["features", "lenet5", "--image", "digits:1", "--layer", "nope", "-o", "m.png"], 2,
      "no layer named"),
    B("features-o-suffix", ["features", "lenet5", "--image", "digits:1", "-o", "m.bmp"], 2, "unknown suffix .bmp; choose .png"),
    B("features-o-missing-folder", ["features", "lenet5", "--image", "digits:1", "-o", "missing/m.png"], 2,
      "no such folder"),
    B("features-two-channels", ["features", "in2x16x16,c3-4,flat,fc2", "--image", "digits:1", "-o", "m.png"], 2,
      "2 input channels"),
    # -- graph -------------------------------------------------------------------------------------
    B("graph-no-output", ["graph", "lenet5"], 2, "required"),
    B("graph-o-suffix", ["graph", "lenet5", "-o", "g.txt"], 2, "unknown suffix .txt; choose .svg, .png, .pdf, .html, .dot or .gv"),
    B("graph-rankdir", ["graph", "lenet5", "--rankdir", "XX", "-o", "g.svg"], 2, "invalid choice"),
    B("graph-input-too-small", ["graph", "lenet5", "--input", "1,4,4", "-o", "g.dot"], 1, ""),
    B("graph-input-negative", ["graph", "lenet5", "--input", "-1,4,4", "-o", "g.dot"], 2, "sizes must be positive"),
    # -- compare -----------------------------------------------------------------------------------
    B("compare-one-model", ["compare", "lenet5"], 2, "at least two"),
    B("compare-unknown-model", ["compare", "lenet5", "nosuch"], 1, "nosuch: unknown model"),
    B("compare-o-suffix", ["compare", "lenet5", ONE_LINE, "-o", "r.txt"], 2, "unknown suffix .txt; choose .html"),
    B("compare-input-negative", ["compare", "lenet5", ONE_LINE, "--input", "-1,28,28"], 2, "sizes must be positive"),
    B("compare-spec-latin1", ["compare", "lenet5", "latin1.yaml"], 1, "not UTF-8 text", ("latin1.yaml",)),
    B("compare-epochs-zero", ["compare", "lenet5", ONE_LINE, "--train", "--epochs", "0"], 2, "--epochs"),
    B("compare-max-steps-zero", ["compare", "lenet5", ONE_LINE, "--train", "--max-steps", "0"], 2, "--max-steps"),
    # -- kernels -----------------------------------------------------------------------------------
    B("kernels-rf-even", ["kernels", "--rf", "6"], 2, "odd"),
    B("kernels-rf-one", ["kernels", "--rf", "1"], 2, ""),
    B("kernels-channels-zero", ["kernels", "--channels", "0"], 2, "--channels"),
    B("kernels-size-negative", ["kernels", "--size", "-3"], 2, "--size"),
    B("kernels-o-suffix", ["kernels", "-o", "k.txt"], 2, "unknown suffix .txt; choose .html"),
    B("kernels-o-missing-folder", ["kernels", "-o", "missing/k.html"], 2, "no such folder"),
    B("kernels-format", ["kernels", "--format", "csv"], 2, "invalid choice"),
    # -- train -------------------------------------------------------------------------------------
    B("train-no-out", ["train", "lenet5"], 2, "required"),
    B("train-epochs-zero", ["train", "lenet5", "--epochs", "0", "--out", "run"], 2, "--epochs"),
    B("train-batch-zero", ["train", "lenet5", "--batch-size", "0", "--out", "run"], 2, "--batch-size"),
    B("train-lr-negative", ["train", "lenet5", "--lr", "-1", "--out", "run"], 2, "--lr"),
    B("train-val-split-one", ["train", "lenet5", "--val-split", "1", "--out", "run"], 2, "--val-split"),
    B("train-threads-zero", ["train", "lenet5", "--threads", "0", "--out", "run"], 2, "--threads"),
    B("train-optimizer", ["train", "lenet5", "--optimizer", "foo", "--out", "run"], 2, "invalid choice"),
    B("train-unknown-model", ["train", "nosuch", "--out", "run"], 1, "unknown model"),
    B("train-spec-latin1", ["train", "latin1.yaml", "--out", "run"], 1, "not UTF-8 text",
      ("latin1.yaml",)),
    B("train-unknown-dataset", ["train", "lenet5", "--dataset", "nosuch", "--out", "run"], 1,
      "unknown data set 'nosuch'"),
    B("train-momentum-one", ["train", "lenet5", "--momentum", "1", "--out", "run"], 2, "--momentum"),
    B("train-weight-decay-negative", ["train", "lenet5", "--weight-decay", "-1", "--out", "run"], 2,
      "--weight-decay"),
    B("train-epochs-text", ["train", "lenet5", "--epochs", "x", "--out", "run"], 2, "invalid int"),
    B("train-missing-folder-dataset", ["train", "lenet5", "--dataset", "folder:missing", "--out", "run"], 1,
      "folder:missing: no such folder"),
    B("train-out-is-the-spec", ["train", "spec.yaml", "--out", "spec.yaml"], 2, "not a folder", ("spec.yaml",)),
    # -- more files and outputs ------------------------------------------------------------------
    B("spec-nested-too-deeply", ["summary", "deep.yaml"], 1, "nested too deeply", ("deep.yaml",)),
    B("spec-long-name", ["summary", "long_name.yaml"], 1, "name must be a short text", ("long_name.yaml",)),
    B("py-o-is-the-file", ["summary", "held.py:Held", "-o", "held.py"], 2, "is the input held.py", ("held.py",)),
    B("weights-o-is-the-weights", ["summary", "lenet5", "--weights", "other.pt", "-o", "other.pt"], 2,
      "is the input other.pt", ("other.pt",)),
    B("features-image-folder", ["features", "lenet5", "--image", "adir.png", "-o", "m.png"], 1, "is a folder",
      ("adir.png",)),
    B("rf-image-folder", ["rf", "lenet5", "--image", "adir.png"], 1, "is a folder", ("adir.png",)),
    B("o-under-a-file", ["summary", "lenet5", "-o", "a_file.txt/out.txt"], 2, "is not a folder", ("a_file.txt",)),
    B("code-input-five-numbers", ["code", "spec.yaml", "--input", "1,1,8,8,8"], 1, "input", ("spec.yaml",)),
    B("one-line-input-too-small", ["summary", ONE_LINE, "--input", "1,1,1,1"], 1, "too small"),
    B("graph-input-empty", ["graph", "lenet5", "--input", "", "-o", "g.dot"], 2, "--input is empty"),
    B("compare-bad-one-line", ["compare", "lenet5", "in1x8x8,zz"], 1, "in1x8x8,zz: "),
    B("compare-device", ["compare", "lenet5", ONE_LINE, "--device", "tpu", "--latency"], 2, "--device"),
    B("kernels-size-below-field", ["kernels", "--size", "3"], 2, "smaller than the field"),
    B("rf-picture-suffix", ["rf", "lenet5", "--image", "digits:1", "-o", "r.gif"], 2, "unknown suffix .gif; choose .png"),
    B("summary-o-dash-and-weights-missing", ["summary", "lenet5", "--weights", "nothere.pt", "-o", "-"], 1,
      "no such weights file"),
    B("app-port-too-large", ["app", "--port", "70000"], 2, "--port"),
    # -- explain ----------------------------------------------------------------------------------------
    B("explain-unit-outside", ["explain", "lenet5", "--unit", "9,1,1"], 2, "outside layer 0's output map 6×28×28"),
    B("explain-unit-rank", ["explain", "lenet5", "--unit", "0,1"], 2, "so a unit is C,Y,X (C 0..5, Y 0..27, X 0..27)"),
    B("explain-unit-text", ["explain", "lenet5", "--unit", "a,b"], 2, "expected whole numbers C,Y,X"),
    B("explain-layer-missing", ["explain", "resnet18", "--layer", "layer1.0.conv9"], 2, "did you mean"),
    B("explain-tensor-shape", ["explain", "lenet5", "--image", "x3.pt"], 1, "shape 3×32×32; the model takes 1×28×28",
      ("x3.pt",)),
    B("explain-tensor-does-not-fit", ["explain", "lenet5", "--image", "x40.npy"], 1, "which takes 1×28×28",
      ("x40.npy",)),
    B("explain-tensor-list", ["explain", "lenet5", "--image", "list.pt"], 1, "not a tensor", ("list.pt",)),
    B("explain-npy-pickle", ["explain", "lenet5", "--image", "objects.npy"], 1, "allow_pickle=False",
      ("objects.npy",)),
    B("explain-two-inputs", ["explain", "two_inputs.py:M"], 2, "takes 2 inputs (a, b); explain takes a model with one",
      ("two_inputs.py",)),
    B("explain-arithmetic-kernel", ["explain", "--arithmetic", "--size", "4", "--kernel", "7"], 2,
      "larger than the padded input 4 + 2·0 = 4"),
    B("explain-no-model", ["explain"], 2, "explain needs a MODEL"),
    B("explain-o-suffix", ["explain", "lenet5", "-o", "u.svg"], 2, "choose .json, .txt, .html or .png"),
    B("explain-run-missing", ["explain", "--run", "norun"], 1, "no such run folder"),
    B("explain-tensor-nan", ["explain", "lenet5", "--image", "nan.pt"], 1, "784 of its 784 values are NaN or infinite",
      ("nan.pt",)),
    B("explain-arithmetic-and-model", ["explain", "lenet5", "--arithmetic", "--size", "3", "--kernel", "3"], 2,
      "--arithmetic needs no model"),
    B("explain-many-channels-picture", ["explain", "in5x8x8,c3-8,relu,flat,fc10"], 2,
      "takes 5-channel inputs, not a picture: give one as a tensor file"),
    # -- census (issue 26, point 6) -------------------------------------------------------------------
    B("census-no-match", ["census", "lenet5", "nosuch*"], 1, "no model matches 'nosuch*'"),
    B("census-o-suffix", ["census", "lenet5", "-o", "zoo.txt"], 2, "unknown suffix .txt; choose .parquet"),
    B("census-o-missing-folder", ["census", "lenet5", "-o", "missing/zoo.json"], 2, "no such folder"),
    B("census-o-read-only", ["census", "lenet5", "-o", "/sys/zoo.parquet"], 2, "cannot write"),
    B("census-o-device", ["census", "lenet5", "-o", "/dev/full"], 2, "needs a file"),
    B("census-o-not-a-census", ["census", "lenet5", "-o", "spec.json"], 1,
      "spec.json is not a cnnscope census file (format 1)", ("spec.json",)),
    B("census-workers-zero", ["census", "lenet5", "--workers", "0"], 2, "--workers 0: must be at least 1"),
    B("census-unknown-group", ["census", "--group", "tutorial,nogroup"], 2, "unknown group 'nogroup'"),
    # -- app (no server is started) ----------------------------------------------------------------
    B("app-port-zero", ["app", "--port", "0"], 2, "--port"),
    B("app-port-text", ["app", "--port", "x"], 2, "invalid int"),
    B("app-unknown-option", ["app", "--bogus"], 2, "unrecognized arguments"),
]


def _create(tmp_path: Path, names) -> None:
    for name in names:
        content = FILES[name]
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _snapshot(folder: Path) -> dict:
    """Every path under ``folder`` with its kind, bytes and mtime."""
    state = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        content = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        state[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode), content, info.st_mtime_ns)
    return state


def run_row(row: Bad, tmp_path: Path, run_cli, monkeypatch):
    _create(tmp_path, row.files)
    for key, value in row.env.items():
        monkeypatch.setenv(key, value.replace("{tmp}", str(tmp_path)))
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    code, out, err = run_cli(*[a.replace("{tmp}", str(tmp_path)) for a in row.argv])
    return code, out, err, before, _snapshot(tmp_path)


@pytest.mark.parametrize("row", BAD, ids=[r.id for r in BAD])
def test_bad_input_is_one_line(row, tmp_path, run_cli, monkeypatch):
    code, out, err, before, after = run_row(row, tmp_path, run_cli, monkeypatch)
    lines = err.strip().splitlines()
    assert code not in (0, 70), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(lines) == 1, err
    assert lines[0].startswith("cnnscope: error: "), err
    assert row.message in lines[0], lines[0]
    assert len(lines[0]) < 1000, lines[0][:200]
    assert code == row.code, (code, lines[0])
    for name, state in before.items():  # nothing that existed was changed or removed
        assert after.get(name) == state, f"{name} changed or removed"


def test_ids_are_unique():
    assert len({r.id for r in BAD}) == len(BAD)


# -- what issue 15 says must work ------------------------------------------------------------------

def test_sibling_imports_work(run_cli, tmp_path, monkeypatch):
    _create(tmp_path, ["net.py", "blocks.py"])
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("summary", "net.py:Net", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["totals"]["params"] == 20  # Conv2d(1, 2, 3)


@pytest.mark.parametrize("target", ["/dev/null", "-"])
def test_devices_and_dash_are_written_into(run_cli, target):
    before = os.stat("/dev/null")
    code, out, err = run_cli("summary", "lenet5", "--format", "json", "-o", target)
    assert code == 0, err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino  # still the device, not a text file
    if target == "-":
        assert json.loads(out)["model"] == "lenet5"


def test_dev_stdout_redirected_to_a_file_stays_a_link(run_cli, tmp_path):
    """``-o /dev/stdout > out.txt``: /dev/stdout links to a regular file; renaming over it would
    replace the link in /dev (a real process, so that its stdout is that file)."""
    link = os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        result = subprocess.run([*run_cli.argv, "code", ONE_LINE, "-o", "/dev/stdout"], stdout=stream,
                                stderr=subprocess.PIPE, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "class" in out.read_text()
    assert (os.readlink("/dev/stdout") if os.path.islink("/dev/stdout") else None) == link


def test_symbolic_link_output_keeps_the_link(run_cli, tmp_path):
    (tmp_path / "real.py").write_text("old")
    (tmp_path / "link.py").symlink_to("real.py")
    code, _, err = run_cli("code", ONE_LINE, "-o", str(tmp_path / "link.py"))
    assert code == 0, err
    assert (tmp_path / "link.py").is_symlink() and "class" in (tmp_path / "real.py").read_text()


def test_full_device_is_one_line_and_survives(run_cli):
    code, _, err = run_cli("summary", "lenet5", "-o", "/dev/full")
    assert code == 2 and err.strip() == "cnnscope: error: cannot write /dev/full: no space left on the device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders (the /sys rows cover root)")
def test_read_only_folder_is_one_line(run_cli, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code, _, err = run_cli("summary", "lenet5", "-o", str(folder / "x.txt"))
    finally:
        folder.chmod(0o755)
    assert code == 2 and err.strip() == f"cnnscope: error: cannot write {folder / 'x.txt'}: permission denied"


def test_alias_bomb_is_refused_fast_in_little_memory(tmp_path):
    import time
    import tracemalloc

    from cnnscope.errors import SpecError
    from cnnscope.spec.load import load_spec

    for where in ("input", "layers"):
        path = tmp_path / f"bomb_{where}.yaml"
        path.write_text(_bomb(where))
        started = time.perf_counter()
        tracemalloc.start()
        with pytest.raises(SpecError) as caught:
            load_spec(str(path))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert time.perf_counter() - started < 5 and peak < 64 * 2**20, (where, peak)
        assert len(str(caught.value)) < 300


def test_named_pipe_is_written_into(run_cli, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    code, _, err = run_cli("code", ONE_LINE, "-o", str(fifo))
    reader.join(10)
    assert code == 0, err
    assert b"class" in received[0] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_damaged_cache_entry_is_a_miss_and_overwritten(run_cli, tmp_path, monkeypatch):
    from cnnscope import cache

    monkeypatch.setenv("CNNSCOPE_CACHE", str(tmp_path))
    entry = cache._path("lenet5", None)
    entry.write_text(json.dumps({"schema_version": 2, "layers": "not a list", "totals": 7}))
    for _ in range(2):
        code, out, err = run_cli("summary", "lenet5", "--format", "json")
        assert code == 0, err
        assert json.loads(out)["totals"]["params"] == 61706
    assert json.loads(entry.read_text())["model"] == "lenet5"  # overwritten with a good report


def test_model_prints_go_to_stderr(run_cli, tmp_path, monkeypatch):
    (tmp_path / "printer.py").write_text(PRINTER)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("summary", "printer.py:Held", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["model"] and "hello from forward" in err and "hello" not in out


def test_rf_table_of_a_two_input_model(run_cli, tmp_path, monkeypatch):
    (tmp_path / "two_inputs.py").write_text(TWO_INPUTS)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("rf", "two_inputs.py:M", "--input", "1,3,16,16;1,5")
    assert code == 0, err


def test_one_dimensional_kernels_are_line_plots(run_cli, tmp_path, monkeypatch):
    from PIL import Image

    (tmp_path / "audio.py").write_text(AUDIO)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("filters", "audio.py:Net", "-o", "k.png")
    assert code == 0, err
    with Image.open(tmp_path / "k.png") as picture:
        assert picture.height > 60  # tiles 40 px tall, not 1-pixel strips


def test_internal_error_is_still_reported_for_a_bug(run_cli, monkeypatch):
    from cnnscope.cli import listing

    monkeypatch.setattr(listing, "run", lambda args: {}["a bug"])
    code, _, err = run_cli("list")
    assert code == 70 and err.startswith("cnnscope: internal error: KeyError") and len(err.strip().splitlines()) == 1


# -- the argument grammar, generated ----------------------------------------------------------------

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # the table above still runs without hypothesis
    given = None

if given is not None:
    _PIECES = st.sampled_from(["1", "0", "-1", "28", "3", "x", ",", ";", " ", "a", "99999999", "1.5", "×", ""])

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(shape=st.lists(_PIECES, max_size=8).map("".join), unit=st.lists(_PIECES, max_size=4).map("".join))
    def test_generated_shapes_and_units_never_crash(run_cli, shape, unit):
        for argv in (["summary", "in1x8x8,c3-2,flat,fc3", "--input", shape],
                     ["rf", "in1x8x8,c3-2", "--unit", unit]):
            code, _, err = run_cli(*argv)
            assert code != 70 and "Traceback" not in err, (argv, err)
            if code != 0:
                lines = err.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("cnnscope: error: "), (argv, err)


# -- the app shows the same one line ----------------------------------------------------------------

@pytest.mark.parametrize("raise_it,expected", [
    (lambda path: __import__("cnnscope.vis.images", fromlist=["open_image"]).open_image(path),
     "image too large (400 Mpixels; limit 89 Mpixels)"),
    (lambda path: b"caf\xe9".decode("utf-8"), "not UTF-8 text"),
    (lambda path: (_ for _ in ()).throw(__import__("PIL.Image", fromlist=["Image"]).DecompressionBombError(
        "Image size (400000000 pixels) exceeds limit of 178956970 pixels")), "image too large (400 Mpixels"),
])
def test_app_pages_show_the_mapped_line(raise_it, expected, tmp_path, monkeypatch):
    pytest.importorskip("streamlit")
    from cnnscope.app import main as app_main
    from cnnscope.app.plain_text import plain

    _create(tmp_path, ["huge.png"])
    shown = []
    monkeypatch.setattr(app_main.st, "error", shown.append)
    assert app_main._guard(lambda: raise_it(tmp_path / "huge.png")) is None
    # the page escapes Markdown (its own test: tests/app/test_pages.py); here: which line reaches it
    assert len(shown) == 1 and plain(expected) in shown[0] and "internal error" not in shown[0], shown
