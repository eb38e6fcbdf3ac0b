"""A unit's explanation as text (the terminal), a JSON document and a self-contained HTML page.

Renderers only: every number comes from ``probes.unit``; nothing is computed here but layout.
The JSON keys are documented in docs/report-schema.md ("explain").
"""

from __future__ import annotations

import html
import math

import numpy as np

# Kinds whose check reruns torch's own op in float64 (an independent route to the number); for the
# others (max, a moved value, a merge) the worked value is compared with the model's only.
RECOMPUTED = frozenset({"conv", "transposed_conv", "avg_pool", "batch_norm", "activation", "linear", "softmax"})
SMALL = 75  # up to this many products, every one is shown (a 5×5 kernel over 3 channels)
CLASSES_SHOWN = 20  # more classes than this: the text shows the most probable ones


def _taps(n: int) -> tuple[str, ...]:
    return {1: ("kx",), 2: ("ky", "kx"), 3: ("kt", "ky", "kx")}.get(n, tuple(f"k{a}" for a in range(n)))


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def unit_dict(e, *, model: str | None = None, weights: str | None = None, source: str | None = None) -> dict:
    """The JSON document: the keys the issue names first (layer, unit, kind, value, sum, bias, terms,
    field, top), then the rest; floats are float64 values, positions are lists."""
    top = []
    for t in e.top:
        item = {"channel": t.channel, **dict(zip(_taps(len(t.tap)), t.tap)), "input": t.input, "weight": t.weight,
                "product": t.product, "at": list(t.at)}
        top.append(item)
    document = {
        "layer": e.layer, "unit": list(e.unit), "kind": e.kind, "op": e.op, "value": e.value,
        "sum": _number(e.sum), "bias": _number(e.bias), "terms": e.terms,
        "field": [list(axis) for axis in e.field] if e.field else None,
        "field_clipped": [list(axis) for axis in e.clipped] if e.clipped else None,
        "top": top, "rest": {"terms": e.rest[0], "sum": e.rest[1]},
        "channels": [{"channel": c, "sum": s} for c, s in e.channels],
        "check": None if e.check is None else {
            "recomputed": e.check.recomputed if e.kind in RECOMPUTED else None, "difference": e.check.difference,
            "tolerance": e.check.tolerance, "ok": e.check.ok},
        "input_shape": list(e.input_shape), "output_shape": list(e.output_shape),
        "formula": list(e.formula), "details": _plain(e.details), "notes": list(e.notes),
        "field_note": e.field_note or None,
    }
    if e.kernel is not None and e.terms is not None and e.kernel.size <= 4096:
        document["kernel"] = e.kernel.tolist()
        document["patch"] = [[None if isinstance(v, float) and math.isnan(v) else v for v in row]
                             for row in np.asarray(e.patch).reshape(e.patch.shape[0], -1).tolist()]
    document["model"], document["weights"], document["input"] = model, weights, source
    return finite(document)


def finite(value):
    """``value`` with every NaN or infinity as None: JSON has no NaN (a model can still produce one)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


# -- text --------------------------------------------------------------------------------------------

def _g(value: float) -> str:
    return f"{value:.6g}"


def _unit_text(unit) -> str:
    return ",".join(map(str, unit))


def _box(box) -> str:
    letters = ("y", "x") if len(box) == 2 else ("x",) if len(box) == 1 else ("t", "y", "x")
    return ", ".join(f"{name} {lo}..{hi}" for name, (lo, hi) in zip(letters, box))


def unit_text(e, *, heading: str = "") -> str:
    lines = [heading] if heading else []
    shape = "×".join(map(str, e.output_shape))
    lines.append(f"layer {e.layer} ({e.op}, output {shape}) · unit {_unit_text(e.unit)} = {_g(e.value)}")
    lines += [f"  {line}" if line else "" for line in e.formula]
    if e.field is not None:
        clipped = f"; inside the image: {_box(e.clipped)}" if e.clipped and e.clipped != e.field else ""
        lines.append(f"receptive field: {_box(e.field)} (input pixels){clipped}")
    elif e.field_note:
        lines.append(f"receptive field: {e.field_note}")
    lines += _grids(e)
    lines += _contributions(e)
    lines += _window(e)
    lines += _softmax(e)
    if e.check is not None:
        verdict = "equals" if e.check.ok else "does NOT equal"
        redone = (f"; torch's own {e.op} redone in float64 gives {_g(e.check.recomputed)}"
                  if e.kind in RECOMPUTED else "")
        lines.append(f"check (float64): the worked total {_g(e.sum)} {verdict} the model's value {_g(e.value)} "
                     "within its rounding")
        lines.append(f"  (difference {e.check.difference:.2e}, tolerance {e.check.tolerance:.2e}{redone})")
    lines += [f"note: {n}" for n in e.notes]
    return "\n".join(lines) + "\n"


def _grids(e) -> list[str]:
    """Every number of a small 1-D/2-D kernel: input patch, kernel and products per input channel."""
    if e.kernel is None or e.patch is None or not e.terms or e.kernel.size > SMALL or e.kernel.ndim not in (2, 3):
        return []
    kernel = e.kernel if e.kernel.ndim == 3 else e.kernel[:, None, :]
    patch = e.patch if e.patch.ndim == 3 else e.patch[:, None, :]
    products = np.nan_to_num(patch * kernel, nan=0.0)
    sums = dict(e.channels)
    first = e.channels[0][0] if e.channels else 0
    lines = []
    for ci in range(kernel.shape[0]):
        lines.append(f"input channel {first + ci}: input × weight = product (sum {_g(sums.get(first + ci, 0.0))})")
        cells = [[_cell(v) for v in row] for row in patch[ci]], [[_cell(v) for v in row] for row in kernel[ci]], \
            [[_cell(v) for v in row] for row in products[ci]]
        width = max(len(c) for grid in cells for row in grid for c in row)
        for r in range(kernel.shape[1]):
            parts = [" ".join(c.rjust(width) for c in grid[r]) for grid in cells]
            mid = (" × ", " = ") if r == kernel.shape[1] // 2 else ("   ", "   ")
            lines.append(f"  {parts[0]}{mid[0]}{parts[1]}{mid[1]}{parts[2]}")
    return lines


def _cell(value: float) -> str:
    return "·" if isinstance(value, float) and math.isnan(value) else f"{value:.3f}"


def _contributions(e) -> list[str]:
    if not e.top:
        return []
    shown_all = e.rest[0] == 0
    title = (f"all {len(e.top)} products, largest |product| first:" if shown_all else
             f"the {len(e.top)} largest contributions of {e.terms:,} (|product|):")
    lines = [title]
    n = len(e.top[0].tap)
    where = ["at"] if n else []  # a linear row's feature number is its position already
    head = ["channel" if n else "feature", *_taps(n), *where, "input", "weight", "product"]
    rows = [[str(t.channel), *map(str, t.tap), *([",".join(map(str, t.at))] if n else []), _g(t.input),
             _g(t.weight), _g(t.product)] for t in e.top]
    widths = [max(len(head[k]), *(len(r[k]) for r in rows)) for k in range(len(head))]
    lines.append("  " + "  ".join(h.rjust(w) for h, w in zip(head, widths)))
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
    if e.rest[0]:
        lines.append(f"  the other {e.rest[0]:,} terms sum to {_g(e.rest[1])}")
    if e.sum is not None:
        lines.append(f"  bias {_g(e.bias)}; total {_g(e.sum)}" if e.bias is not None else
                     f"  no bias (this layer has none); total {_g(e.sum)}")
    if len(e.channels) > 1:
        ranked = sorted(e.channels, key=lambda item: -abs(item[1]))[:8]
        more = f" (the {len(ranked)} largest of {len(e.channels)})" if len(e.channels) > len(ranked) else ""
        lines.append("sum per input channel" + more + ": " + ", ".join(f"{c}: {_g(s)}" for c, s in ranked))
    return lines


def _window(e) -> list[str]:
    cells = e.details.get("window") if isinstance(e.details, dict) else None
    if not cells or len(cells) > SMALL:
        return []
    winner = e.details.get("winner")
    parts = []
    for cell in cells:
        mark = " ← max" if winner and cell["at"] == winner["at"] else ""
        parts.append(f"({','.join(map(str, cell['at']))}) {_g(cell['input'])}{mark}")
    return ["window: " + "; ".join(parts)]


def _softmax(e) -> list[str]:
    rows = e.details.get("softmax") if isinstance(e.details, dict) else None
    if not rows:
        return []
    ranked = sorted(rows, key=lambda r: -r["probability"])
    shown = ranked if len(rows) <= CLASSES_SHOWN else ranked[:10]
    named = any(r["name"] != str(r["class"]) for r in rows)  # digits are named by their number already
    width = max(len(r["name"]) for r in shown)
    lines = ["class probabilities (softmax of the logits), most probable first:"]
    lines += [f"  {r['class']:>4}  {r['name'].ljust(width) + '  ' if named else ''}logit {_g(r['logit']):>10}  "
              f"p = {r['probability']:.4f}  {'█' * round(30 * r['probability'])}".rstrip() for r in shown]
    if len(shown) < len(rows):
        rest = sum(r["probability"] for r in ranked[len(shown):])
        lines.append(f"  the other {len(rows) - len(shown):,} classes: p = {rest:.4f} together (all in --format json)")
    return lines


# -- HTML --------------------------------------------------------------------------------------------

def unit_html(explanations: list, *, title: str, picture_png: bytes | None = None) -> str:
    """A page with the picture (when given) and, per explained row, the text and heat-mapped grids."""
    import base64

    parts = [f"<h1>{html.escape(title)}</h1>"]
    if picture_png:
        encoded = base64.b64encode(picture_png).decode()
        parts.append(f'<img alt="the unit, its receptive field, patch, kernel and products" '
                     f'src="data:image/png;base64,{encoded}">')
    for e in explanations:
        parts.append(f"<section><h2>layer {html.escape(e.layer)} · unit {_unit_text(e.unit)} = {_g(e.value)}</h2>")
        parts.append("<pre>" + html.escape(unit_text(e)) + "</pre>")
        parts.append(_heat_tables(e))
        parts.append("</section>")
    style = ("body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem}pre{white-space:pre-wrap;"
             "background:#f6f6f6;padding:.8rem;overflow-x:auto}img{max-width:100%}table{border-collapse:collapse;"
             "margin:.3rem 1rem .8rem 0;display:inline-table}td{padding:2px 5px;font:12px monospace;text-align:right}"
             "caption{font-size:12px;text-align:left}")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
            f"content=\"width=device-width, initial-scale=1\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def _heat_tables(e) -> str:
    if e.kernel is None or e.patch is None or e.kernel.size > SMALL or e.kernel.ndim not in (2, 3):
        return ""
    kernel = e.kernel if e.kernel.ndim == 3 else e.kernel[:, None, :]
    patch = e.patch if e.patch.ndim == 3 else e.patch[:, None, :]
    products = np.nan_to_num(patch * kernel, nan=0.0)
    out = []
    for ci in range(kernel.shape[0]):
        for name, grid in (("input", patch[ci]), ("weight", kernel[ci]), ("product", products[ci])):
            peak = float(np.nanmax(np.abs(grid))) or 1.0
            rows = "".join("<tr>" + "".join(_heat_cell(v, peak) for v in row) + "</tr>" for row in grid)
            out.append(f"<table><caption>channel {ci} · {name}</caption>{rows}</table>")
    return "<div>" + "".join(out) + "</div>"


def _heat_cell(value: float, peak: float) -> str:
    if math.isnan(value):
        return '<td style="background:#eee">·</td>'
    t = min(1.0, abs(value) / peak)
    colour = f"rgba(214,39,40,{t:.2f})" if value > 0 else f"rgba(31,119,180,{t:.2f})"
    return f'<td style="background:{colour}">{value:.3f}</td>'
