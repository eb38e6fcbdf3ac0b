"""Ways to reach the same receptive field: one k×k conv against stacks, factorised and dilated 3×3s,
user variants, and the one small classifier (``KernelClassifier``) that wraps a variant for training.

Every variant maps C channels to C channels at the same spatial size ('same' padding), with no
bias and a ReLU after each conv, so weights are exact multiples of C² and MACs = weights × H × W.
The receptive-field engine checks that each variant reaches the target.

A dilated variant that cannot be built at the target is left out and said so (``omitted``): at 3×3
no dilated 3×3 exists (dilation 2 already spans 5×5).  At 3×3 the stack is one 3×3 conv, the single
conv itself; it is kept, and its findings line says it has the same count of weights.
The findings' sentences are words, in ``export/kernels.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from torch import nn

from cnnscope.errors import UsageError
from cnnscope.i18n import _

KINDS = ("single", "stack3x3", "factorized", "dilated")


@dataclass(frozen=True)
class Variant:
    kind: str
    layers: list[str]  # human-readable layer list, e.g. ["3×3 conv", "3×3 conv", "3×3 conv"]
    params: int
    macs: int
    rf: list[int]
    nonlinearities: int
    activation_bytes: int
    latency_ms: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def check_target(rf: int) -> None:
    if rf < 3:
        raise UsageError(_("--rf {rf}: the field must be at least 3 (a 1×1 convolution sees one pixel)").format(rf=rf))
    if rf % 2 == 0:
        raise UsageError(_("--rf {rf}: stacks of 3×3 convolutions grow the field by 2 at a time, so only odd "
                           "fields can be reached; try {rf2} or {rf3}").format(rf=rf, rf2=rf - 1, rf3=rf + 1))


def dilations(rf: int) -> list[int] | None:
    """3×3 dilations whose field 1 + 2·Σd reaches ``rf``: doubling from 1 (1, 2, 4, ...) while it fits,
    the last taking the remainder.  Starting at 1 covers every input pixel (no gridding gaps).

    Two fields break the rule.  At 5×5 it would give dilations 1, 1: the plain 3×3 stack again, not
    dilated at all, so the one dilated 3×3 that reaches 5×5 is used instead: a single 3×3 with
    dilation 2, whose nine taps leave gaps (``covered``).  At 3×3 there is none (dilation 2 already
    spans 5×5): ``None``, and the variant is omitted."""
    if rf < 5:
        return None
    if rf == 5:
        return [2]
    remaining, step, result = (rf - 1) // 2, 1, []
    while remaining > 0:
        take = min(step, remaining)
        result.append(take)
        remaining -= take
        step *= 2
    return sorted(result)


def covered(dilation_list: list[int]) -> int:
    """Input pixels, along one axis, that a stack of 3×3 convs with these dilations reads (of its field
    1 + 2·Σd): the offsets {−d, 0, d} of each layer, summed over the layers."""
    offsets = {0}
    for d in dilation_list:
        offsets = {o + step for o in offsets for step in (-d, 0, d)}
    return len(offsets)


def omitted(rf: int) -> dict[str, str]:
    """Built-in variants left out at ``rf``: kind -> why (one sentence, for the findings)."""
    if dilations(rf) is None:
        return {"dilated": f"dilated: omitted at a {rf}×{rf} field — one 3×3 conv with dilation 2 already sees "
                           f"5×5, so a {rf}×{rf} field leaves no room for dilation (it would be the single "
                           f"{rf}×{rf} again)."}
    return {}


def kinds(rf: int) -> list[str]:
    """The built-in variants studied at ``rf`` (``KINDS`` less ``omitted(rf)``)."""
    return [kind for kind in KINDS if kind not in omitted(rf)]


def build_variant(kind: str, rf: int, channels: int) -> tuple[nn.Sequential, list[str]]:
    c = channels
    layers: list[nn.Module] = []
    names: list[str] = []
    if kind == "single":
        layers = [nn.Conv2d(c, c, rf, padding=rf // 2, bias=False), nn.ReLU()]
        names = [f"{rf}×{rf} conv"]
    elif kind == "stack3x3":
        for _unused in range((rf - 1) // 2):
            layers += [nn.Conv2d(c, c, 3, padding=1, bias=False), nn.ReLU()]
            names.append("3×3 conv")
    elif kind == "factorized":
        layers = [nn.Conv2d(c, c, (1, rf), padding=(0, rf // 2), bias=False), nn.ReLU(),
                  nn.Conv2d(c, c, (rf, 1), padding=(rf // 2, 0), bias=False), nn.ReLU()]
        names = [f"1×{rf} conv", f"{rf}×1 conv"]
    elif kind == "dilated":
        if dilations(rf) is None:
            raise UsageError(omitted(rf)["dilated"])
        for d in dilations(rf):
            layers += [nn.Conv2d(c, c, 3, padding=d, dilation=d, bias=False), nn.ReLU()]
            names.append(f"3×3 conv, dilation {d}")
    else:
        raise UsageError(_("unknown variant {kind!r}; choose from {KINDS}").format(kind=kind, KINDS=', '.join(KINDS)))
    return nn.Sequential(*layers), names


ACTIVATIONS = frozenset({"ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
                         "Tanh", "Sigmoid", "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus"})


def parse_user_variant(text: str) -> tuple[str, str]:
    """``NAME=SPEC`` (``--variant``) -> (name, spec); SPEC is a one-line spec or a spec file."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise UsageError(_("--variant {text!r}: expected NAME=SPEC, e.g. 5then3=c5-32psnb,relu,c3-32psnb,relu").format(
                             text=text))
    if name in KINDS:
        raise UsageError(_("--variant {name}: {name!r} is a built-in variant; pick another name").format(name=name))
    if not all(ch.isalnum() or ch in "_-+." for ch in name):
        raise UsageError(_("--variant {name!r}: use letters, digits and _-+. in the name").format(name=name))
    return name, spec


def build_user_variant(spec: str, channels: int, size: int, device: str = "cpu") -> nn.Module:
    """A user's spec block, built for a C×size×size input."""
    from cnnscope.spec.build import build_from_spec

    module, _unused = build_from_spec(spec, device=device, input_shape=(channels, size, size))
    return module


def _user_variant(name: str, spec: str, rf: int, channels: int, size: int):
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import CnnscopeError, prefixed

    try:
        report = analyze(build_user_variant(spec, channels, size, device="meta"), (1, channels, size, size),
                         name=name)
    except CnnscopeError as error:
        raise prefixed(error, f"--variant {name}") from error
    last = report.last_feature_map()
    reached = last.rf.size if last and last.rf else None
    output = report.layers[0].output_shape if report.layers else None
    if list(output or []) != [1, channels, size, size]:
        shape = "×".join(map(str, output[1:])) if output else "nothing"
        raise UsageError(_("--variant {name}: maps {channels}×{size}×{size} to {shape}; a variant must keep the "
                           "{channels} channels (--channels) and the size ('same' padding, stride 1)").format(
                             name=name, channels=channels, size=size, shape=shape))
    if reached != [rf, rf]:
        field = "×".join(map(str, reached)) if reached else "no local"
        raise UsageError(_("--variant {name}: its field is {field}, not the {rf}×{rf} of --rf; every variant must "
                           "reach the same field").format(name=name, field=field, rf=rf))
    leaves = report.leaves()
    convs = [r for r in leaves if r.op_kind == "conv"]
    names = [_conv_name(r) for r in convs] or [spec]
    return report, names, sum(1 for r in leaves if r.type in ACTIVATIONS)


def _conv_name(row) -> str:
    k = row.kernel_size or ["?", "?"]
    text = f"{k[0]}×{k[1]} conv"
    if row.dilation and any(d != 1 for d in row.dilation):
        text += f", dilation {row.dilation[0] if len(set(row.dilation)) == 1 else '×'.join(map(str, row.dilation))}"
    return text


def study(rf: int, channels: int, size: int, latency: bool = False, device: str = "cpu",
          extra: dict[str, str] | None = None) -> list[Variant]:
    """The built-in variants (``kinds(rf)``: all four from 5×5 up), and any user variants (``extra``:
    name -> spec block), at input (1, C, size, size), analysed on the meta device."""
    import torch

    from cnnscope.analysis.analyze import analyze

    check_target(rf)
    if channels < 1 or size < 1:
        raise UsageError(_("--channels and --size must be positive"))
    if size < rf:
        raise UsageError(_("--size {size} is smaller than the field {rf}: the field would not fit in the input").format(
                             size=size, rf=rf))
    variants = []
    for kind in [*kinds(rf), *(extra or {})]:
        if kind in KINDS:
            with torch.device("meta"):
                module, names = build_variant(kind, rf, channels)
            report = analyze(module, (1, channels, size, size), name=kind)
            nonlinearities = len(names)
        else:
            report, names, nonlinearities = _user_variant(kind, extra[kind], rf, channels, size)
        last = report.last_feature_map()
        reached = last.rf.size if last else None
        if reached != [rf, rf]:
            raise AssertionError(f"{kind} reaches {reached}, not {rf}×{rf}")  # a bug, not bad input
        timing = None
        if latency:
            from cnnscope.probes.latency import measure

            module = build_variant(kind, rf, channels)[0] if kind in KINDS else \
                build_user_variant(extra[kind], channels, size)
            timing = measure(module, (1, channels, size, size), device)
        variants.append(Variant(kind, names, report.totals.params, report.totals.macs, reached, nonlinearities,
                                report.totals.activation_bytes, timing))
    return variants


# -- the classifier a variant is trained in ------------------------------------------------------------

KERNEL_INPUT = 16  # digits (8×8) are upsampled so that a 7×7 field is a part of the image, not all of it


class KernelClassifier(nn.Sequential):
    """1×1 stem to C channels, the variant under study, global pooling, a linear head."""

    def __init__(self, variant: nn.Module, channels: int, in_channels: int, classes: int, size: int):
        super().__init__(nn.Conv2d(in_channels, channels, 1), nn.ReLU(), variant, nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(channels, classes))
        self.input_shape = (in_channels, size, size)


def kernel_classifier(kind: str, rf: int, channels: int, dataset: str = "digits", data_root: str | None = None,
                      seed: int = 0, size: int | None = None, spec: str | None = None,
                      images=None) -> KernelClassifier:
    """The same small classifier around each variant, seeded alike (``seed`` sets the initialisation),
    sized for the data set: ``size`` (default ``max(16, rf + 2)``) square inputs.  ``spec``: a user
    variant's spec block (C channels in and out) instead of a built-in ``kind``; ``images``: the data
    set, when the caller has already read it."""
    import torch

    from cnnscope.train.datasets import load_dataset

    images = images if images is not None else load_dataset(dataset, data_root)
    in_channels = images.shape[0]
    size = size or max(KERNEL_INPUT, rf + 2)
    torch.manual_seed(seed)
    variant = build_user_variant(spec, channels, size) if spec is not None else build_variant(kind, rf, channels)[0]
    return KernelClassifier(variant, channels, in_channels, len(images.classes), size)
