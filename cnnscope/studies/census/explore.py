"""The census explorer's arithmetic, shared by the app's page and tested alone: which rows pass the
filters, the budget steps a slider offers, and the marker size that stands for a receptive field.

The HTML explorer (``export/census_explorer.py``) does the same in the browser, by the same rules:
a filter that is set keeps only rows whose figure is known and within it (a failed model has no MACs,
so a MAC budget leaves it out; a model without published accuracy is outside any minimum accuracy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

SHIPPED = "data/torchvision_census.csv"  # in the cnnscope.zoo package: every torchvision model (docs/census.md)
SMALLEST_MARKER = 6  # px: the smallest field (and a row without one)
LARGEST_MARKER = 30  # px: the largest field in the census


@dataclass(frozen=True)
class Filters:
    """What the visitor set; None leaves that figure free."""

    max_macs: float | None = None
    max_params: float | None = None
    inputs: frozenset[str] | None = None  # the natural inputs shown ("3×224×224"); None: every one
    min_acc1: float | None = None  # acc@1 in the census's own unit (torchvision publishes percent)
    statuses: frozenset[str] | None = None  # "ok", "error", "timeout", "crashed"; None: every one


def shipped_census() -> Path:
    """The census of every torchvision model shipped with the package."""
    from importlib import resources

    return Path(str(resources.files("cnnscope.zoo").joinpath(SHIPPED)))


def _number(value) -> float | None:
    """A figure as a float, or None when the row has none (None, NaN, "")."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _within(value, limit: float | None, *, at_most: bool) -> bool:
    if limit is None:
        return True
    number = _number(value)
    if number is None:
        return False
    return number <= limit if at_most else number >= limit


def keeps(row: dict, filters: Filters) -> bool:
    """Whether ``row`` passes every filter that is set."""
    if filters.statuses is not None and row.get("status") not in filters.statuses:
        return False
    if filters.inputs is not None and (row.get("input") or "") not in filters.inputs:
        return False
    return (_within(row.get("macs"), filters.max_macs, at_most=True)
            and _within(row.get("params"), filters.max_params, at_most=True)
            and _within(row.get("acc1"), filters.min_acc1, at_most=False))


def apply(rows: list[dict], filters: Filters) -> list[dict]:
    """The rows that pass, in their order."""
    return [row for row in rows if keeps(row, filters)]


def without_accuracy(rows: list[dict]) -> int:
    """How many rows have no published acc@1."""
    return sum(_number(row.get("acc1")) is None for row in rows)


def input_sizes(rows: list[dict]) -> list[str]:
    """The distinct natural inputs, smallest first ("3×32×32" before "3×224×224"); "" (none) last."""
    def pixels(text: str) -> tuple:
        parts = [int(p) for p in text.replace("x", "×").split("×") if p.strip().isdigit()]
        return (not parts, math.prod(parts) if parts else 0, text)

    return sorted({row.get("input") or "" for row in rows}, key=pixels)


def statuses(rows: list[dict]) -> list[str]:
    """The statuses present, "ok" first."""
    return sorted({row.get("status") or "" for row in rows}, key=lambda s: (s != "ok", s))


def budget_steps(values) -> list[int]:
    """The 1-2-5 steps (1 M, 2 M, 5 M, 10 M ...) from below the smallest known value to at or above the
    largest: what a budget slider offers, so that a budget reads as a round number."""
    known = [v for v in map(_number, values) if v is not None and v > 0]
    if not known:
        return []
    low, high = min(known), max(known)
    steps, exponent = [], math.floor(math.log10(low))
    while not steps or steps[-1] < high:
        steps += [m * 10 ** exponent for m in (1, 2, 5) if not steps or m * 10 ** exponent > steps[-1]]
        exponent += 1
    while len(steps) > 1 and steps[1] <= low:  # start at the last step at or below the smallest value
        steps.pop(0)
    while len(steps) > 1 and steps[-2] >= high:  # end at the first step at or above the largest
        steps.pop()
    return [int(s) if s >= 1 else s for s in steps]


def rf_size(row: dict) -> int | None:
    """The receptive field at the last spatial feature map, its larger side (pixels); None without one."""
    sides = [_number(row.get("rf_size_h")), _number(row.get("rf_size_w"))]
    known = [s for s in sides if s is not None]
    return int(max(known)) if known else None


def marker_sizes(rows: list[dict], smallest: float = SMALLEST_MARKER, largest: float = LARGEST_MARKER) -> list[float]:
    """Marker diameters (px) whose area grows with the receptive field: the census's smallest field gets
    ``smallest``, its largest ``largest``; a row without a field gets ``smallest``."""
    fields = [rf_size(row) for row in rows]
    known = [math.sqrt(f) for f in fields if f]
    if not known:
        return [smallest] * len(rows)
    low, high = min(known), max(known)
    span = high - low
    return [smallest if not f else
            (largest + smallest) / 2 if span == 0 else
            smallest + (largest - smallest) * (math.sqrt(f) - low) / span
            for f in fields]


def colour_key(row: dict, by: str) -> str:
    """What a point is coloured by: its ``group`` or its ``family``, "—" when the row has none."""
    return str(row.get(by) or "—")


def picked_name(selection) -> str | None:
    """The model a plotly selection event points at (the first point's ``customdata``), else None."""
    points = (selection or {}).get("selection", {}).get("points") or []
    for point in points:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if data:
            return str(data)
    return None
