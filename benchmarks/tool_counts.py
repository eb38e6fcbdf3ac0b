"""Compare what popular counting tools report for resnet50 and vgg16 with cnnscope.

Each tool gets a fresh torchvision model (weights=None, eval mode) and a
1x3x224x224 float32 input on CPU. A tool that is missing or raises is shown
as "failed: <reason>" in the table; nothing here aborts the whole run.

    python benchmarks/tool_counts.py

Optional tools: ``pip install ptflops thop`` (torchinfo and fvcore are in
cnnscope's test extras).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import inspect
import io
import warnings

import torch
import torchvision

import cnnscope

MODELS = ("resnet50", "vgg16")
INPUT_SHAPE = (1, 3, 224, 224)


def fresh_model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return torchvision.models.get_model(name, weights=None).eval()


def fresh_input() -> torch.Tensor:
    return torch.randn(*INPUT_SHAPE)


def dist_version(*names: str) -> str:
    for n in names:
        try:
            return importlib.metadata.version(n)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


@contextlib.contextmanager
def quiet():
    """Silence tools that print progress/warnings on their own."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield


# --- one function per tool: model name -> number -------------------------------


def count_cnnscope(name: str) -> int:
    return cnnscope.analyze(name).totals.macs


def count_torchinfo(name: str) -> int:
    from torchinfo import summary

    with quiet():
        s = summary(fresh_model(name), input_size=INPUT_SHAPE, verbose=0, device="cpu")
    return int(s.total_mult_adds)


def count_fvcore(name: str) -> int:
    with quiet():
        from fvcore.nn import FlopCountAnalysis

        fca = FlopCountAnalysis(fresh_model(name), fresh_input())
        fca.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return int(fca.total())


def _ptflops(name: str, backend: str | None) -> int:
    from ptflops import get_model_complexity_info

    kwargs = dict(as_strings=False, print_per_layer_stat=False, verbose=False)
    if backend is not None:
        kwargs["backend"] = backend
    with quiet(), torch.no_grad():
        macs, _params = get_model_complexity_info(fresh_model(name), INPUT_SHAPE[1:], **kwargs)
    if macs is None:
        raise RuntimeError("ptflops returned None (it swallows exceptions)")
    return int(macs)


def ptflops_has_backend() -> bool:
    try:
        from ptflops import get_model_complexity_info
    except Exception:
        return False
    return "backend" in inspect.signature(get_model_complexity_info).parameters


def count_ptflops_pytorch(name: str) -> int:
    return _ptflops(name, "pytorch" if ptflops_has_backend() else None)


def count_ptflops_aten(name: str) -> int:
    import ptflops  # noqa: F401 - report a missing package as such

    if not ptflops_has_backend():
        raise RuntimeError("installed ptflops has no backend= argument")
    return _ptflops(name, "aten")


def count_thop(name: str) -> int:
    import thop

    # thop registers total_ops/total_params buffers on every module, so the
    # model must not be reused by another tool: fresh_model() guarantees that.
    with quiet():
        macs, _params = thop.profile(fresh_model(name), inputs=(fresh_input(),), verbose=False)
    return int(macs)


def count_flop_counter(name: str) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    model, x = fresh_model(name), fresh_input()
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(x)
    return int(fc.get_total_flops())


def count_torchvision_meta(name: str) -> float:
    weights = torchvision.models.get_model_weights(name).DEFAULT
    return float(weights.meta["_ops"]) * 1e9  # published in GMACs, 3 decimals


# (label, version, what the tool calls its number, function)
TOOLS = [
    ("cnnscope", dist_version("cnnscope"), "MACs", count_cnnscope),
    ("torchinfo", dist_version("torchinfo"), "Mult-Adds", count_torchinfo),
    ("fvcore", dist_version("fvcore"), "FLOPs (1 per MAC)", count_fvcore),
    ("ptflops (pytorch backend)", dist_version("ptflops"), "MACs", count_ptflops_pytorch),
    ("ptflops (aten backend)", dist_version("ptflops"), "MACs", count_ptflops_aten),
    ("thop", dist_version("thop", "ultralytics-thop"), "MACs", count_thop),
    ("torch FlopCounterMode", torch.__version__, "FLOPs", count_flop_counter),
    ("torchvision meta `_ops`", torchvision.__version__, "GFLOPS (= GMACs)", count_torchvision_meta),
]


def fmt_count(v: float) -> str:
    if abs(v - round(v)) < 1e-6:
        return f"{int(round(v)):,} ({v / 1e9:.3f} G)"
    return f"{v:,.0f} ({v / 1e9:.3f} G)"


def one_line(exc: BaseException) -> str:
    msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return msg if len(msg) <= 80 else msg[:77] + "..."


def main() -> None:
    results: dict[str, dict[str, float | str]] = {}
    for label, _version, _kind, fn in TOOLS:
        results[label] = {}
        for name in MODELS:
            try:
                results[label][name] = fn(name)
            except Exception as exc:  # noqa: BLE001 - every failure goes in the table
                results[label][name] = f"failed: {one_line(exc)}"

    ref = results["cnnscope"]
    header = ["tool", "version", "calls it"]
    for name in MODELS:
        header += [name, f"{name} / cnnscope MACs"]
    print(f"Input {tuple(INPUT_SHAPE)}, torchvision models, weights=None, eval mode.\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * 3 + ["---:"] * (2 * len(MODELS))) + "|")
    for label, version, kind, _fn in TOOLS:
        row = [label, version, kind]
        for name in MODELS:
            v = results[label][name]
            if isinstance(v, str):
                row += [v, "-"]
            elif isinstance(ref[name], str):
                row += [fmt_count(v), "-"]
            else:
                row += [fmt_count(v), f"{v / ref[name]:.6f}"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
