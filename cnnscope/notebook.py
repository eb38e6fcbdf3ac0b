"""A report in a notebook: the HTML table Jupyter shows (``ModelReport._repr_html_``) and a
pandas DataFrame (``ModelReport.to_pandas``).

Standard library only for the HTML (``html.escape``), pandas imported when asked for.  This module
reads a report's fields and imports neither ``cnnscope.report`` (which calls it, lazily) nor any
front end: the terminal, Markdown and app tables are laid out by ``export/summary_rows.py``; this
is the notebook's fixed-column view of the same fields.
"""

from __future__ import annotations

from html import escape

from cnnscope import units
from cnnscope.i18n import _

HTML_DEPTH = 2  # rows down to this nesting depth; the totals stand for the model row


def _row(record, total_macs: int) -> list[str]:
    share = units.share(record.macs, total_macs)
    name = (record.name or "(model)") + (f" (call {record.call + 1})" if record.call else "")
    return [name, record.type, units.shape(record.output_shape),
            units.count(record.params) if record.params else "—",
            units.si(record.macs) if record.macs else "—", share, units.rf_size(record.rf)]


_HEADERS = ("Layer", "Type", "Output shape", "Params", "MACs", "% MACs", "RF")
_NUMERIC = frozenset({"Params", "MACs", "% MACs", "RF"})


def _cell(tag: str, text: str, header: str, indent: int = 0) -> str:
    style = ["text-align:right"] if header in _NUMERIC else ["text-align:left"]
    if indent:
        style.append(f"padding-left:{0.5 + 1.2 * indent:.1f}em")
    return f'<{tag} style="{";".join(style)}">{escape(text)}</{tag}>'


def to_html(report, depth: int = HTML_DEPTH) -> str:
    """The layer table (rows of depth 1..``depth``) and the totals, as one HTML fragment."""
    t = report.totals
    rows = [r for r in report.layers if 1 <= r.depth <= depth] or report.layers[:1]
    head = "".join(_cell("th", h, h) for h in _HEADERS)
    body = "".join(
        "<tr>" + "".join(_cell("td", text, h, max(r.depth - 1, 0) if h == "Layer" else 0)
                         for h, text in zip(_HEADERS, _row(r, t.macs))) + "</tr>"
        for r in rows)
    hidden = sum(1 for r in report.layers if r.depth > depth)
    totals = [
        ("Input", units.shape(report.input_shape)),
        ("Params", f"{units.count(t.params)} (trainable {units.count(t.trainable_params)})"),
        ("MACs", f"{units.count(t.macs)} ({units.si(t.macs)})"),
        ("FLOPs (2 × MACs)", units.si(t.flops)),
        ("Parameter memory", units.megabytes(t.param_bytes)),
        ("Activation memory (forward, est.)", units.megabytes(t.activation_bytes)),
        ("Training memory, Adam (est.)", units.megabytes(t.training_bytes_adam)),
    ]
    if report.uncounted_ops:
        totals.append(("Not counted", f"{len(report.uncounted_ops)} ops with no MAC formula"))
    foot = "".join(f'<tr><th style="text-align:left">{escape(k)}</th><td style="text-align:right">{escape(v)}</td></tr>'
                   for k, v in totals)
    note = f"<p>{hidden} deeper rows not shown: <code>report.to_pandas()</code> has every row.</p>" if hidden else ""
    return (f"<div><p><b>{escape(report.model)}</b> — input {escape(units.shape(report.input_shape))}, "
            f"traced on {escape(report.traced_on)} ({escape(report.mode)} mode)</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<table>{foot}</table>{note}</div>")


_SCALARS = ("index", "name", "type", "kind", "op_kind", "depth", "parent", "is_leaf", "call", "input_shapes",
            "output_shape", "params", "trainable_params", "macs", "flops", "other_ops", "output_bytes",
            "kernel_size", "stride", "padding", "dilation", "groups", "inputs")


def to_pandas(report):
    """One row per layer record (every depth), the receptive field as ``rf_size``/``rf_jump``/
    ``rf_start``/``rf_global``; indexed by the record's ``index``."""
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        from cnnscope.errors import UsageError

        raise UsageError(_("to_pandas() needs pandas: pip install pandas")) from None
    records = []
    for r in report.layers:
        row = {key: getattr(r, key) for key in _SCALARS}
        rf = r.rf
        row.update(rf_size=None if rf is None else rf.size, rf_jump=None if rf is None else rf.jump,
                   rf_start=None if rf is None else rf.start, rf_global=None if rf is None else rf.is_global)
        records.append(row)
    return pd.DataFrame.from_records(records, columns=[*_SCALARS, "rf_size", "rf_jump", "rf_start",
                                                       "rf_global"]).set_index("index")
