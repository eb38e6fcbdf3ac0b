"""An architecture diff (``studies.diff.ArchitectureDiff``) laid out: text for the terminal, Markdown,
JSON and a self-contained HTML page.  The numbers are the diff's; this module only writes them.

The text reads like a diff: a ``---``/``+++`` line per side, a count line, then one line per
difference (``+`` added, ``-`` removed, ``~`` changed with ``old → new``), whole blocks added or
removed as one line, identical runs collapsed to ``… N identical rows``, and the totals side by side
with their change (the table in the style of ``cnnscope compare``).
"""

from __future__ import annotations

import html
import json

from cnnscope import units
from cnnscope.i18n import N_
from cnnscope.studies.diff import ADDED, CHANGED, REMOVED, SAME, ArchitectureDiff, Block, Entry, Unchanged

MARKS = {ADDED: "+", REMOVED: "-", CHANGED: "~", SAME: " "}
FIELD_LABELS = {"kind": "kind", "output_shape": "shape", "kernel_size": "kernel", "stride": "stride",
                "padding": "padding", "dilation": "dilation", "groups": "groups", "params": "params",
                "macs": "MACs", "rf": "RF"}
# N_: the exports stay English; the app shows these names translated (they are the catalog's ids)
TOTAL_LABELS = {"rows": N_("rows"), "params": N_("params"), "macs": "MACs", "flops": "FLOPs",
                "param_bytes": N_("param MB"), "activation_bytes": N_("activation MB"), "rf": N_("RF (last feature map)")}
NAME_WIDTH = 40  # the name column's width at most (longer names overflow it)


def render(diff: ArchitectureDiff, fmt: str, provenance: dict | None = None) -> str:
    """The diff as ``fmt`` (text, json, md or html); ``provenance`` heads the JSON, Markdown and HTML."""
    if fmt == "json":
        return json.dumps({"provenance": provenance or {}, **diff.to_dict()}, indent=2) + "\n"
    return {"text": diff_text, "md": diff_markdown, "html": diff_html}[fmt](diff, provenance)


# -- words shared by every format ------------------------------------------------------------------------

def identical_line(diff: ArchitectureDiff) -> str:
    a = diff.a
    return (f"identical architectures: {diff.a.source} and {diff.b.source} ({a.rows} rows, {units.count(a.params)} "
            f"params, {units.si(a.macs)} MACs at {units.shape(a.input_shape)})")


def side_line(diff: ArchitectureDiff, which: str) -> str:
    side = diff.a if which == "a" else diff.b
    kind = f"{side.format} · " if diff.a.format != diff.b.format else ""
    return (f"{side.source}  {kind}{units.shape(side.input_shape)} → {units.shape(side.output_shape)} · "
            f"{side.rows} rows · {units.count(side.params)} params · {units.si(side.macs)} MACs")


def count_line(diff: ArchitectureDiff) -> str:
    blocks = {status: sum(1 for line in diff.lines() if isinstance(line, Block) and line.status == status)
              for status in (ADDED, REMOVED)}

    def part(status: str) -> str:
        n = diff.count(status)
        whole = f" (in {_plural(blocks[status], 'whole block')})" if blocks.get(status) else ""
        return f"{_plural(n, 'row')} {status}{whole}" if status == ADDED else f"{n} {status}{whole}"

    return f"{part(ADDED)}, {part(REMOVED)}, {part(CHANGED)}; {diff.count(SAME)} identical"


def value(name: str, v) -> str:
    """A field's value in a cell: shapes 1×64×56×56, windows 3×3, counts 73,984, MACs 231.21 M."""
    if v is None:
        return "—"
    if name == "output_shape":
        return units.shape(v)
    if name == "kernel_size":
        return "×".join(str(x) for x in v) if isinstance(v, list) else str(v)
    if name in ("stride", "padding", "dilation", "rf"):  # 1 where every axis agrees, as the summary's RF
        return units.per_axis(v) if isinstance(v, list) else str(v)
    if name == "macs":
        return units.si(v)
    if isinstance(v, int):
        return units.count(v)
    return str(v)


def change_text(entry: Entry) -> str:
    """``kernel 3×3 → 5×5, padding 1 → 2, params 896 → 2,432``.  An activation's kind is left out: the
    type column says it (ReLU → Tanh)."""
    def said_by_type(name: str, pair: tuple) -> bool:
        return name == "kind" and all(str(kind).startswith("pointwise:") for kind in pair)

    return ", ".join(f"{FIELD_LABELS[name]} {value(name, old)} → {value(name, new)}"
                     for name, (old, new) in entry.changes.items() if not said_by_type(name, (old, new)))


def row_text(row, whole: bool = False) -> str:
    """What a row added or removed is: its shape, window, parameters and MACs."""
    parts = [units.shape(row.output_shape)]
    if row.kernel_size:
        parts.append(f"kernel {value('kernel_size', row.kernel_size)}")
    if row.stride and any(s != 1 for s in row.stride):
        parts.append(f"stride {value('stride', row.stride)}")
    if row.params:
        parts.append(f"{units.count(row.params)} params")
    if row.macs:
        parts.append(f"{units.si(row.macs)} MACs")
    return ", ".join(parts)


def block_text(block: Block) -> str:
    parts = [f"{len(block.entries)} rows", units.shape(block.output_shape)]
    if block.params:
        parts.append(f"{units.count(block.params)} params")
    if block.macs:
        parts.append(f"{units.si(block.macs)} MACs")
    return ", ".join(parts)


def names(entry: Entry) -> str:
    """The row's name; both names where the sides name it differently (``conv1 → stem.conv``)."""
    if entry.a and entry.b and entry.a.name != entry.b.name:
        return f"{entry.a.name} → {entry.b.name}"
    return (entry.a or entry.b).name


def types(entry: Entry) -> str:
    if entry.a and entry.b and entry.a.type != entry.b.type:
        return f"{entry.a.type} → {entry.b.type}"
    return (entry.a or entry.b).type


def unchanged_text(run: Unchanged) -> str:
    first, last = run.entries[0], run.entries[-1]
    span = names(first) if len(run.entries) == 1 else f"{names(first)} … {names(last)}"
    return f"… {_plural(len(run.entries), 'identical row')}: {span}"


def diff_lines(diff: ArchitectureDiff) -> list[tuple[str, str, str, str]]:
    """(mark, name, type, what) per line of the diff: the body every format lays out."""
    out = []
    for line in diff.lines():
        if isinstance(line, Unchanged):
            out.append((" ", "", "", unchanged_text(line)))
        elif isinstance(line, Block):
            out.append((MARKS[line.status], line.name, line.type, block_text(line)))
        else:
            what = change_text(line) if line.status == CHANGED else row_text(line.a or line.b)
            out.append((MARKS[line.status], names(line), types(line), what))
    return out


def totals_table(diff: ArchitectureDiff) -> tuple[list[str], list[list[str]]]:
    """(columns, rows): each total for A and B and its change (with the share of A's, where A has some)."""
    rows = []
    for name, a, b, delta in diff.totals():
        if name == "rf":
            change = "—" if delta is None else f"{delta:+,}" if delta else "0"
            rows.append([TOTAL_LABELS[name], _rf(diff.a), _rf(diff.b), change])
            continue
        fmt = _megabytes if name.endswith("_bytes") else (units.si if name in ("macs", "flops") else units.count)
        change = "0" if delta == 0 else (_signed(fmt, delta) + (f" ({_percent(100 * delta / a)})" if a else ""))
        rows.append([TOTAL_LABELS[name], fmt(a), fmt(b), change])
    return ["", _short(diff.a.source), _short(diff.b.source), N_("change")], rows


# -- text --------------------------------------------------------------------------------------------------

def diff_text(diff: ArchitectureDiff, provenance: dict | None = None) -> str:
    if diff.identical:
        return "\n".join([identical_line(diff), *diff.notes]) + "\n"
    from cnnscope.export.text import columns_table

    return diff_body(diff) + columns_table(*totals_table(diff))


def diff_body(diff: ArchitectureDiff) -> str:
    """The text diff without its totals: the sides, the notes, the counts, one line per difference."""
    lines = [f"--- {side_line(diff, 'a')}", f"+++ {side_line(diff, 'b')}", *diff.notes, count_line(diff), ""]
    body = diff_lines(diff)
    name_width = min(NAME_WIDTH, max((len(name) for _, name, _, _ in body), default=0))
    type_width = max((len(kind) for _, _, kind, _ in body), default=0)
    for mark, name, kind, what in body:
        if not name:  # a collapsed run
            lines.append(f"  {what}")
        else:
            lines.append(f"{mark} {name:<{name_width}}  {kind:<{type_width}}  {what}".rstrip())
    return "\n".join(lines) + "\n"


# -- Markdown ----------------------------------------------------------------------------------------------

def diff_markdown(diff: ArchitectureDiff, provenance: dict | None = None) -> str:
    lines = [f"# Diff: {diff.a.source} → {diff.b.source}", ""]
    if provenance:
        lines += [f"_{_provenance_line(provenance)}_", ""]
    if diff.identical:
        return "\n".join(lines + [identical_line(diff), "", *[f"- {n}" for n in diff.notes]]).rstrip() + "\n"
    lines += [f"- `---` {side_line(diff, 'a')}", f"- `+++` {side_line(diff, 'b')}",
              *[f"- {n}" for n in diff.notes], "", f"**{count_line(diff)}**", "", "## Rows", "",
              "| | row | type | what |", "|---|---|---|---|"]
    for mark, name, kind, what in diff_lines(diff):
        lines.append("| " + " | ".join(_md(c) for c in (mark.strip() or " ", f"`{name}`" if name else "", kind, what))
                     + " |")
    columns, rows = totals_table(diff)
    lines += ["", "## Totals", "", "| " + " | ".join(columns) + " |", "|---|" + "---:|" * (len(columns) - 1)]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


# -- HTML --------------------------------------------------------------------------------------------------

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } .provenance { color: #666; font-size: .85rem; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .25rem .6rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.rows td { font-family: ui-monospace, monospace; font-size: 13px; border-bottom: 1px solid #eee; }
tr.added td { background: #e6ffec; } tr.removed td { background: #ffebe9; } tr.changed td { background: #fff8c5; }
tr.same td { color: #777; } .sides { font-family: ui-monospace, monospace; font-size: 13px; }
"""
_ROW_CLASS = {"+": "added", "-": "removed", "~": "changed", " ": "same"}


def diff_html(diff: ArchitectureDiff, provenance: dict | None = None) -> str:
    e = html.escape
    title = f"Diff: {diff.a.source} → {diff.b.source}"
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>",
             f"<style>{_STYLE}</style></head><body><h1>{e(title)}</h1>"]
    if provenance:
        parts.append(f"<p class=\"provenance\">{e(_provenance_line(provenance))}</p>")
    if diff.identical:
        parts.append(f"<p><strong>{e(identical_line(diff))}</strong></p>")
    else:
        parts.append(f"<p class=\"sides\">--- {e(side_line(diff, 'a'))}<br>+++ {e(side_line(diff, 'b'))}</p>")
        parts.append(f"<p><strong>{e(count_line(diff))}</strong></p>")
    parts += [f"<p>{e(note)}</p>" for note in diff.notes]
    if not diff.identical:
        parts.append("<table class=\"rows\"><tr><th></th><th>row</th><th>type</th><th>what</th></tr>")
        for mark, name, kind, what in diff_lines(diff):
            parts.append(f"<tr class=\"{_ROW_CLASS[mark]}\"><td>{e(mark)}</td><td>{e(name)}</td><td>{e(kind)}</td>"
                         f"<td>{e(what)}</td></tr>")
        parts.append("</table><h2>Totals</h2><table>")
        columns, rows = totals_table(diff)
        parts.append("<tr>" + "".join(f"<th{' class=num' if k else ''}>{e(c)}</th>" for k, c in enumerate(columns))
                     + "</tr>")
        for row in rows:
            parts.append("<tr>" + "".join(f"<td{' class=num' if k else ''}>{e(c)}</td>" for k, c in enumerate(row))
                         + "</tr>")
        parts.append("</table>")
    return "".join(parts) + "</body></html>\n"


# -- helpers -----------------------------------------------------------------------------------------------

def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.2f}"


def _percent(value: float) -> str:
    """+86.5%; a change under 0.1% keeps two significant digits (-0.041%), never a bare -0.0%."""
    return f"{value:+.1f}%" if abs(value) >= 0.1 else f"{value:+.2g}%"


def _signed(fmt, delta) -> str:
    return ("+" if delta > 0 else "-") + fmt(abs(delta))


def _rf(side) -> str:
    if not side.rf_size:
        return "—"
    return f"{units.per_axis(side.rf_size)} ({side.rf_layer})" if side.rf_layer else units.per_axis(side.rf_size)


def _short(text: str, width: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _provenance_line(p: dict) -> str:
    return (f"cnnscope {p.get('cnnscope')} · torch {p.get('torch')} · input {p.get('input_shapes')} · "
            f"{p.get('created')}")
