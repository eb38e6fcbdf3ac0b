"""One census row: build a model on meta, analyse it at its natural input, and keep the figures the census
compares (``columns.COLUMNS``).

``census_row`` never raises for a model: whatever goes wrong becomes a row with status "error" and the
one line the CLI would print for it, so that one bad model never stops a census.  It is a top-level
function, so that a process pool or Ray can call it by reference in another process.
"""

from __future__ import annotations

import time

from cnnscope.studies.census.columns import empty_row, failed_row

OPTIONS = ("input_shape", "mode")  # what ``options`` may hold: passed on to ``analyze``


def census_row(name: str, options: dict | None = None) -> dict:
    """The census row of ``name`` (a zoo name, ``timm:NAME``, or any source ``analyze`` takes)."""
    known: dict = {}
    start = time.perf_counter()
    try:
        known = describe(name)
        from cnnscope.analysis.analyze import analyze  # imports torch: before the clock starts

        options = dict(options or {})
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            from cnnscope.errors import UsageError

            raise UsageError(f"unknown census option {', '.join(unknown)}; the options are {', '.join(OPTIONS)}")
        reset_peak_memory()
        start = time.perf_counter()
        report = analyze(name, options.get("input_shape"), mode=options.get("mode", "eval"))
        seconds = time.perf_counter() - start
        peak = peak_memory_bytes()
    except (Exception, SystemExit) as error:  # noqa: BLE001 - any failure of one model is that model's row
        return failed_row(name, "error", error_line(error), time.perf_counter() - start, **known)
    row = empty_row(name)
    row.update(known)
    row.update(figures(report))
    if not row["input"]:
        row["input"] = _shape_text(report.input_shapes()[0][1:])
    row.update(status="ok", error="", seconds=seconds, peak_memory_bytes=peak)
    return row


def unfinished_row(name: str, status: str, message: str, seconds: float | None = None) -> dict:
    """The row of a model that did not finish (``timeout``, ``crashed``), made by the engine, not its worker:
    with the zoo's description of it (group, family, input, published accuracy) where the zoo knows it, so
    that the row says what the model is; nothing measured."""
    try:
        known = describe(name)
    except Exception:  # noqa: BLE001 - a name the zoo does not know: a plain failed row
        known = {}
    return failed_row(name, status, message, seconds, **known)


def figures(report) -> dict:
    """The columns a report gives: totals, the field at the last spatial feature map, row counts."""
    from cnnscope.studies.compare import depth_counts

    totals = report.totals
    convs, linears = depth_counts(report)
    result = {"params": totals.params, "macs": totals.macs, "activation_bytes": totals.activation_bytes,
              "training_bytes_adam": totals.training_bytes_adam, "conv_rows": convs, "linear_rows": linears,
              "uncounted_ops": len(report.uncounted_ops)}
    last = report.last_feature_map()
    if last is not None:
        size, jump = list(last.rf.size), list(last.rf.jump or [])
        result.update(rf_layer=last.name, rf_size_h=_axis(size, -2), rf_size_w=_axis(size, -1),
                      rf_jump_h=_axis(jump, -2), rf_jump_w=_axis(jump, -1))
    return result


def _axis(values: list, index: int):
    """H (-2) or W (-1) of a per-axis list (video: T, H, W; a 1-D signal has W only)."""
    return int(values[index]) if len(values) >= -index else None


def describe(name: str) -> dict:
    """group, family, input and the published accuracy of a zoo model (nothing for other sources)."""
    from cnnscope.sources import ZOO, source_kind

    if source_kind(name) != ZOO:
        return {}
    import cnnscope.zoo  # noqa: F401  (registers the groups and the timm: prefix)
    from cnnscope.zoo.registry import get_entry

    entry = get_entry(name)
    known = {"group": entry.group, "input": _shape_text(entry.input_shape), "family": family(name, entry.group)}
    known.update(accuracy(name, entry.group))
    return known


TORCHVISION_GROUPS = ("torchvision", "detection", "segmentation", "video", "optical_flow")


def family(name: str, group: str) -> str:
    """The module that defines the model: torchvision's builder module (``resnet``, ``faster_rcnn``),
    timm's registry module (``convnext``), or a tutorial net's own name."""
    if group in TORCHVISION_GROUPS:
        from torchvision.models import get_model_builder

        return get_model_builder(name).__module__.rpartition(".")[2]
    if group == "timm":
        try:
            from timm.models import get_arch_name
            from timm.models._registry import _model_to_module  # no public accessor: tolerate its absence
        except ImportError:
            return ""
        return _model_to_module.get(get_arch_name(name.partition(":")[2]), "")
    return name


def accuracy(name: str, group: str) -> dict:
    """acc1/acc5 from the DEFAULT weights' metadata (read offline, nothing downloaded): the first dataset
    that publishes ``acc@1`` (ImageNet-1K for classification, Kinetics-400 for video).  Detection
    (box mAP), segmentation (mIoU) and optical flow (EPE) publish no accuracy: null."""
    if group not in TORCHVISION_GROUPS:
        return {}
    from torchvision.models import get_model_weights

    metrics = get_model_weights(name).DEFAULT.meta.get("_metrics", {})
    for values in metrics.values():
        if "acc@1" in values:
            return {"acc1": float(values["acc@1"]), "acc5": _float(values.get("acc@5"))}
    return {}


def _float(value):
    return None if value is None else float(value)


def _shape_text(shape) -> str:
    return "×".join(str(int(s)) for s in shape) if shape else ""


# -- the worker's peak memory ---------------------------------------------------------------------------

_CLEAR_REFS = "/proc/self/clear_refs"
_STATUS = "/proc/self/status"


def reset_peak_memory() -> bool:
    """Reset the peak resident memory (VmHWM) of this process, so that the next reading is this model's;
    False where the kernel does not allow it (then the reading is the process's peak so far)."""
    try:
        with open(_CLEAR_REFS, "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_memory_bytes() -> int:
    """Peak resident memory since the last reset (VmHWM), else the process's lifetime peak (ru_maxrss)."""
    try:
        with open(_STATUS) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB on Linux


# -- the one line of an error ---------------------------------------------------------------------------

MAX_LINE = 1000


def error_line(error: BaseException) -> str:
    """The line the CLI prints for ``error`` after ``cnnscope: error:`` (a known error), or its
    ``internal error: Type: first line`` for a bug (``cli/output.py:run_guarded`` words them alike)."""
    from cnnscope.errors import user_error

    known = user_error(error) if isinstance(error, Exception) else None
    if known is not None:
        return _one_line(str(known))
    return (f"internal error: {type(error).__name__}: {_one_line(str(error), first_only=True)}"
            if str(error) else f"internal error: {type(error).__name__}")


def _one_line(text: str, first_only: bool = False) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = (lines[0] if lines else "") if first_only else " ".join(lines)
    return line if len(line) <= MAX_LINE else line[:MAX_LINE - 1] + "…"
