"""What is MODEL, and the one loader every front end calls.

A source is a zoo name (``resnet18``, ``timm:NAME``), a spec (a ``.yaml``/``.json`` file or a
one-line spec), ``file.py:Name``, or -- in the app only -- the text of a spec box.  ``load_model``
builds it on ``meta`` (no weights), or with random weights drawn under a seed, then a weights file
or the zoo's pretrained weights when asked (read by ``weights.py``, always ``weights_only``).  Every
caller that needs "name -> model" comes here, so the same source and seed give the same weights
whoever asks.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace

from cnnscope.zoo.registry import get_entry, is_prefixed, natural_inputs
from cnnscope.zoo.user_file import is_file_reference, load_user_model, missing_name
from cnnscope.i18n import _

# The kinds of source.  A command's MODEL argument may be any of the first three; the app takes zoo
# names and TEXT only (never FILE, which imports a file, nor SPEC, which reads one from the disk).
ZOO = "zoo"      # a registry name, or prefix:NAME of a namespace the zoo registered (timm:NAME)
SPEC = "spec"    # a spec file (.yaml/.yml/.json) or a one-line spec
FILE = "file"    # path/to/file.py:ClassOrFactory
TEXT = "text"    # the text of a spec box: YAML, JSON or one line; parsed, never read from a path or run
PT2 = "pt2"      # a torch.export archive (.pt2): read without unpickling or running anything in it
ONNX = "onnx"    # an .onnx file: analysed natively (cnnscope.analysis.onnx_graph), never run
COMMAND_LINE = (ZOO, SPEC, FILE, PT2, ONNX)
_KIND_NAMES = {ZOO: "a zoo name", SPEC: "a spec file or one-line spec", FILE: "file.py:Name", TEXT: "spec text",
               PT2: "a .pt2 file", ONNX: "an .onnx file"}


@dataclass
class LoadedModel:
    module: object  # nn.Module
    name: str
    input_shape: tuple[int, ...] | None  # C, H, W (no batch) when known
    normalization: tuple | None = None  # (mean, std) when known
    input_format: str = "tensor"  # "tensor", "image_list" (detection) or "image_pair" (optical flow)
    origin: str | None = None  # where real weights came from ("random initialisation (seed 0)"); None on meta
    input_shapes: list[tuple[int, ...]] | None = None  # every input with its batch, where the source says (.pt2)

    def natural_inputs(self) -> list[tuple[int, ...]] | None:
        """The input shapes ``analyze`` uses when none is given (see ``ModelEntry.natural_inputs``)."""
        if self.input_shapes:
            return list(self.input_shapes)
        return None if self.input_shape is None else natural_inputs(self.input_shape, self.input_format)


def load_model(source: str, device: str = "meta", input_shape=None, *, seed: int | None = 0,
               kinds: tuple[str, ...] = COMMAND_LINE, limits=None, weights: str | None = None,
               pretrained: bool = False, download: bool = False) -> LoadedModel:
    """``source`` built on ``device``.

    ``input_shape`` (C, H, W) matters for specs only: their in_channels/in_features follow it.
    On ``meta`` nothing is allocated.  Elsewhere the random weights are drawn under
    ``torch.manual_seed(seed)`` inside ``torch.random.fork_rng``, so the caller's random state is
    left as it was; ``seed=None`` draws them from the caller's random state instead (for a caller
    that seeds a block of its own and draws more after the build: ``train/prepare.py``'s new head).

    ``kinds``: the kinds of source accepted (``COMMAND_LINE``, or ``(TEXT,)`` for the app's spec
    box); ``limits``: a ``spec.schema.Limits`` for specs (the app's tighter budget).

    ``weights`` (a state_dict or checkpoint file) or ``pretrained`` (the zoo's weights from the local
    cache; ``download`` fetches them when absent) replace the random weights on a real device;
    ``origin`` says which.
    """
    from cnnscope.errors import UsageError

    if download and not pretrained:
        raise UsageError(_("--download goes with --pretrained"))
    kind = source_kind(source, kinds)
    real = str(device) != "meta"
    if (weights or pretrained) and not real:
        raise ValueError("weights are loaded onto a real device, not meta")
    with seeded(seed if real else None):
        loaded = _LOADERS[kind](source, device, input_shape, limits)
    if real and loaded.origin is None:  # a .pt2 says where its own weights came from
        loaded.origin = (_("random initialisation") if seed is None else
                         _("random initialisation (seed {seed})").format(seed=seed))
    if weights:
        from cnnscope.weights import load_weights

        loaded.origin = load_weights(loaded.module, weights)
    elif pretrained:
        from cnnscope.weights import load_pretrained_weights

        loaded.origin = load_pretrained_weights(loaded.module, source, download=download)
    return loaded


@contextmanager
def seeded(seed: int | None):
    """Random draws inside the block start from ``seed``, and the random state outside it is left
    as it was (CPU and, when CUDA is up, the current GPU's generator: ``manual_seed`` seeds both).
    ``None``: no seeding, the block draws from the current state."""
    if seed is None:
        yield
        return
    import torch

    gpus = [torch.cuda.current_device()] if torch.cuda.is_initialized() else []
    with torch.random.fork_rng(devices=gpus):
        torch.manual_seed(seed)
        yield


def source_kind(source: str, kinds: tuple[str, ...] = COMMAND_LINE) -> str:
    """Which of ``kinds`` ``source`` is; a source of another kind is a one-line UsageError.

    ``TEXT`` stands alone: any text can be a spec box's text."""
    if TEXT in kinds:
        if len(kinds) != 1:
            raise ValueError("TEXT cannot be told from the other kinds of source: pass kinds=(TEXT,)")
        return TEXT
    kind = _kind(source)
    if kind not in kinds:
        from cnnscope.errors import UsageError

        accepted = " or ".join(_KIND_NAMES[k] for k in kinds)
        raise UsageError(_("{source!r} is {KIND_NAMES}; only {accepted} is accepted here").format(
                             source=source, KIND_NAMES=_KIND_NAMES[kind], accepted=accepted))
    return kind


def _kind(source: str) -> str:
    from cnnscope.spec.compact import looks_compact
    from cnnscope.spec.load import is_spec_file

    if source.lower().endswith(".pt2"):
        return PT2
    if source.lower().endswith(".onnx"):
        return ONNX
    if _is_prefixed_name(source):  # timm:NAME, or another namespace of the zoo
        return ZOO
    if is_spec_file(source) or (looks_compact(source) and not is_zoo_name(source)):
        return SPEC
    if is_file_reference(source):
        return FILE
    missing_name(source)  # `net.py` without `:Name`: say what to write
    return ZOO


def read_spec(source: str, input_shape=None, *, kind: str = SPEC, limits=None):
    """The validated ``Spec`` of a SPEC or TEXT source; ``input_shape`` (C, H, W) replaces its input."""
    if kind == TEXT:
        spec = _spec_from_text(source, limits)
        return spec if input_shape is None else replace(spec, input=tuple(input_shape))
    from cnnscope.spec.load import load_spec

    return load_spec(source, limits, input_shape)


def is_one_line_spec(text: str) -> bool:
    """Spec text in the one-line form (``in1x28x28,c5-6p2,tanh,ap2,flat,fc10``): one line, no YAML
    mapping or list, no JSON."""
    line = text.strip()
    return bool(line) and "\n" not in line and ":" not in line and not line.startswith(("{", "[", "-", "#"))


def _spec_from_text(text: str, limits):
    """A spec box's text (YAML, JSON or the one-line form) as a validated Spec; a one-line spec is named
    "spec" and needs its input (the box has no --input)."""
    from cnnscope.spec.load import spec_text_to_spec

    if not is_one_line_spec(text):
        return spec_text_to_spec(text, limits)
    from cnnscope.errors import SpecError
    from cnnscope.spec.compact import parse
    from cnnscope.spec.schema import validate

    data = parse(text.strip(), name="spec")
    if "input" not in data:
        raise SpecError(_("a one-line spec needs an input: start it with in<C>x<H>x<W>, e.g. in1x28x28,c5-6p2,..."))
    return validate(data, limits)


def _from_zoo(source: str, device: str, input_shape, limits) -> LoadedModel:
    import cnnscope.zoo  # noqa: F401  (registers the groups and the timm: prefix)
    from cnnscope.zoo.meta_init import build_on

    entry = get_entry(source)
    module = build_on(device, entry.builder, **entry.kwargs)
    return LoadedModel(module, source, entry.input_shape, entry.normalization, entry.input_format)


def _from_spec(kind: str):
    def load(source: str, device: str, input_shape, limits) -> LoadedModel:
        from cnnscope.errors import SpecError
        from cnnscope.spec.build import build
        from cnnscope.spec.plan import make_plan

        try:
            plan = make_plan(read_spec(source, input_shape, kind=kind, limits=limits))
        except SpecError as error:
            raise (_located(error, source) if kind == SPEC else error).with_traceback(None) from None
        return LoadedModel(build(plan, device=device), plan.name, plan.input, None)

    return load


def _located(error, source: str):
    """A spec file's mistake named as the summary table names the layer, with its entry and line
    (``examples/broken.yaml: layer 0 (conv, the 1st layer in the list, line 4): ...``), not ``layers[0].conv``;
    the app's builder words it the same (``spec.locate.heading``)."""
    from pathlib import Path

    from cnnscope.errors import reworded
    from cnnscope.spec.load import is_spec_file
    from cnnscope.spec.locate import heading

    location = getattr(error, "location", "")
    if not location:
        return error
    text = None
    if is_spec_file(source):
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = None
    where = heading(location, text, getattr(error, "layer", None), getattr(error, "kind", None))
    if where is None:
        return error
    return reworded(error, f"{source}: {where}: {error.reason}" if text is not None else f"{where}: {error.reason}")


def _from_file(source: str, device: str, input_shape, limits) -> LoadedModel:
    module, shape = load_user_model(source, device=device)
    return LoadedModel(module, source.rpartition(":")[2], shape)


def _from_pt2(source: str, device: str, input_shape, limits) -> LoadedModel:
    """A ``.pt2`` with its own weights (on ``meta`` when asked) and the shapes it was exported with."""
    from pathlib import Path

    from cnnscope.modelfiles.pt2 import load_pt2

    loaded = load_pt2(source)
    shapes = loaded.input_shapes
    chw = tuple(shapes[0][1:]) if len(shapes) == 1 and len(shapes[0]) == 4 else None
    real = str(device) != "meta"
    return LoadedModel(loaded.module.to(device), Path(source).name, chw, input_shapes=shapes,
                       origin=f"the weights in {Path(source).name}" if real else None)


def _from_onnx(source: str, device: str, input_shape, limits) -> LoadedModel:
    from cnnscope.errors import UsageError

    raise UsageError(_("{source}: an ONNX file is analysed (summary, rf, graph, compare, diff), not run: commands "
                       "that need a PyTorch module with weights (features, filters, explain, train, --measure) "
                       "take the model it was exported from").format(source=source))


_LOADERS = {ZOO: _from_zoo, SPEC: _from_spec(SPEC), TEXT: _from_spec(TEXT), FILE: _from_file, PT2: _from_pt2,
            ONNX: _from_onnx}


def _is_prefixed_name(source: str) -> bool:
    """``prefix:NAME`` of a namespace the zoo registered (``registry.add_prefix``), and not a path."""
    import cnnscope.zoo  # noqa: F401  (registers the prefixes; imports no torch, no timm)

    from cnnscope.spec.load import is_spec_file

    return is_prefixed(source) and "/" not in source and not source.endswith(".py") and not is_spec_file(source)


def is_zoo_name(source: str) -> bool:
    """Whether ``source`` is a name the zoo registry holds (not a prefixed or file source)."""
    if not source.replace("_", "").isalnum():  # one-line specs have commas, dashes or brackets
        return False
    import cnnscope.zoo  # noqa: F401
    from cnnscope.zoo.registry import list_models

    return source in list_models()
