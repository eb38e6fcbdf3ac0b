"""A census as one self-contained HTML page (``cnnscope census ... -o zoo.html``): the explorer.

A scatter of MACs against parameters (log axes), coloured by group or family, each marker's area
growing with the receptive field; filters (MAC and parameter budgets, input size, minimum acc@1,
status); a table of the rows that pass, sorted by a click on a header; a click on a point marks its
row in the table and shows its figures.  No request leaves the page: plotly.js's basic bundle and the
page's script are inline.

The rows travel in the page as JSON (``<script type="application/json" id="census-data">``), so that
``rows_from_html`` reads a census written as .html back (``export/census_file.py``): the page is a
census file like the others.
"""

from __future__ import annotations

import html
import json
import math
import re
from functools import cache
from importlib import resources

from cnnscope.i18n import N_, _, language, ngettext
from cnnscope.studies.census import explore
from cnnscope.studies.census.columns import FORMAT, VERSION

DATA_ID = "census-data"
# the table's columns, in order: (key, header); "rf" is the receptive field's larger side
TABLE = (("name", N_("model")), ("group", N_("group")), ("family", N_("family")), ("input", N_("input")),
         ("params", N_("parameters")), ("macs", N_("MACs")), ("activation_bytes", N_("activations")),
         ("training_bytes_adam", N_("training (Adam)")), ("rf", N_("RF")), ("acc1", N_("acc@1")),
         ("acc5", N_("acc@5")), ("status", N_("status")), ("seconds", N_("seconds")))
_DATA_BLOCK = re.compile(r'<script type="application/json" id="census-data">(.*?)</script>', re.S)


def script_json(value) -> str:
    """JSON safe inside a ``<script>`` element: no ``</script``, ``<!--`` or line separators can end it early
    (``<``, ``>``, ``&`` and U+2028/2029 as ``\\u`` escapes, which JSON reads back as the same text)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def _plain(value):
    """NaN (a null figure after pandas) as None: JSON has no NaN."""
    return None if isinstance(value, float) and math.isnan(value) else value


def render(rows: list[dict], meta: dict) -> str:
    """The explorer page of ``rows`` (census rows, columns.NAMES keys); ``meta`` travels with them (format
    and version are filled in when absent)."""
    rows = [{key: _plain(value) for key, value in row.items()} for row in rows]
    meta = {"format": FORMAT, "version": VERSION, **meta}
    sizes = explore.marker_sizes(rows)
    fields = [f for f in map(explore.rf_size, rows) if f]
    missing = explore.without_accuracy(rows)
    text = {
        "headers": {key: _(label) for key, label in TABLE},
        "any": _("any"),
        "shown": _("{shown} of {total} models shown"),
        "onPlot": _("{n} on the chart (a model without MACs or parameters, a failed one, is in the table only)"),
        "details": _("Click a point or a row to see the model's figures here."),
        "noRows": _("No model passes these filters."),
        "none": "—",
        "sizes": sizes,
        "macSteps": explore.budget_steps(row.get("macs") for row in rows),
        "paramSteps": explore.budget_steps(row.get("params") for row in rows),
        "colourBy": {"group": _("group"), "family": _("family")},  # the legend's title
        "hover": {"params": _("parameters"), "macs": _("MACs"), "rf": _("RF"), "acc1": _("acc@1"),
                  "input": _("input")},
    }
    title = _("Census of {n} models").format(n=f"{len(rows):,}")
    sized = (_("Marker area: the receptive field at the last spatial feature map (its larger side), from {low} to "
               "{high} input pixels.").format(low=min(fields), high=max(fields)) if fields
             else _("Marker size: no model here has a receptive field."))
    no_acc = ngettext("{n} of {total} models has no published acc@1: a minimum leaves it out.",
                      "{n} of {total} models have no published acc@1: a minimum leaves them out.",
                      missing).format(n=missing, total=len(rows))
    versions = ", ".join(f"{k} {v}" for k in ("torch", "torchvision", "timm", "cnnscope")
                         for v in [_common(rows, k)] if v)
    e = html.escape
    inputs = "".join(f'<label><input type="checkbox" class="cx-input" value="{e(size)}" checked> '
                     f'{e(size or _("none"))}</label>' for size in explore.input_sizes(rows))
    statuses = "".join(f'<label><input type="checkbox" class="cx-status" value="{e(s)}" checked> {e(s)}</label>'
                       for s in explore.statuses(rows))
    headers = "".join(f'<th data-key="{key}" title="{e(_("sort by {column}").format(column=_(label)))}">'
                      f"{e(_(label))}</th>" for key, label in TABLE)
    from cnnscope.export.plotly_bundle import basic_script

    return f"""<!DOCTYPE html><html lang="{e(language())}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>
<style>{_style()}</style></head><body>
<h1>{e(title)}</h1>
<p class="cx-meta">{e(meta["format"])} {e(str(meta["version"]))}{e("; " + versions) if versions else ""}</p>
<div class="cx-controls">
<fieldset><legend>{e(_("Colour by"))}</legend>
<label><input type="radio" name="cx-colour" value="group" checked> {e(_("group"))}</label>
<label><input type="radio" name="cx-colour" value="family"> {e(_("family"))}</label></fieldset>
<fieldset><legend>{e(_("MAC budget"))}</legend><input type="range" id="cx-macs" min="0" step="1">
<output id="cx-macs-value"></output></fieldset>
<fieldset><legend>{e(_("Parameter budget"))}</legend><input type="range" id="cx-params" min="0" step="1">
<output id="cx-params-value"></output></fieldset>
<fieldset><legend>{e(_("Minimum acc@1 (%)"))}</legend>
<input type="number" id="cx-acc" min="0" max="100" step="0.5" placeholder="{e(_("any"))}">
<small>{e(no_acc)}</small></fieldset>
<fieldset><legend>{e(_("Input size"))}</legend>{inputs}</fieldset>
<fieldset><legend>{e(_("Status"))}</legend>{statuses}</fieldset>
</div>
<p id="cx-count" class="cx-count"></p>
<div id="cx-plot" class="cx-plot"></div>
<p class="cx-caption">{e(sized)}</p>
<div id="cx-details" class="cx-details"></div>
<div class="cx-table-box"><table id="cx-table"><thead><tr>{headers}</tr></thead><tbody></tbody></table></div>
<script type="application/json" id="{DATA_ID}">{script_json({"meta": meta, "rows": rows})}</script>
<script type="application/json" id="census-text">{script_json(text)}</script>
<script>{basic_script()}</script>
<script>{_script()}</script>
</body></html>
"""


def _common(rows: list[dict], key: str) -> str:
    """The version every row records ("" when they differ or none does)."""
    found = {row.get(key) or "" for row in rows}
    return found.pop() if len(found) == 1 else ""


def rows_from_html(text: str) -> tuple[dict, list[dict]]:
    """(meta, rows) of an explorer page written by ``render``.  A page without them raises ValueError, which
    the census file reader turns into its one line ("... is not a cnnscope census file")."""
    found = _DATA_BLOCK.search(text)
    if found is None:
        raise ValueError("no census-data block")
    data = json.loads(found.group(1))
    meta, rows = (data.get("meta"), data.get("rows")) if isinstance(data, dict) else (None, None)
    if not isinstance(meta, dict) or not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValueError("the census-data block holds no meta object and list of rows")
    return meta, rows


@cache
def _script() -> str:
    return resources.files("cnnscope.export").joinpath("assets/census_explorer.js").read_text(encoding="utf-8")


def _style() -> str:
    return """
body { margin: .8rem; font-family: Helvetica, Arial, sans-serif; color: #222; }
h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
.cx-meta, .cx-caption, .cx-count { color: #555; font-size: .85rem; margin: .2rem 0; }
.cx-controls { display: flex; flex-wrap: wrap; gap: .5rem; }
.cx-controls fieldset { border: 1px solid #ccc; border-radius: 4px; padding: .2rem .5rem; font-size: .85rem; }
.cx-controls label { margin-right: .5rem; white-space: nowrap; }
.cx-controls small { display: block; color: #666; max-width: 16rem; }
.cx-controls output { display: inline-block; min-width: 4rem; }
.cx-plot { width: 100%; height: 520px; }
.cx-details { border-left: 3px solid #1f77b4; padding: .2rem .6rem; margin: .4rem 0; font-size: .85rem; }
.cx-details dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .1rem 1rem;
                 margin: .2rem 0; }
.cx-details dl div { display: flex; gap: .5rem; min-width: 0; }
.cx-details dt { color: #555; min-width: 8.5rem; }
.cx-details dd { margin: 0; overflow-wrap: anywhere; }
.cx-table-box { max-height: 480px; overflow: auto; border: 1px solid #ddd; }
#cx-table { border-collapse: collapse; font-size: .8rem; width: 100%; }
#cx-table th { position: sticky; top: 0; background: #f4f4f4; cursor: pointer; text-align: left; padding: .2rem .4rem;
               user-select: none; white-space: nowrap; }
#cx-table th[aria-sort="ascending"]::after { content: " ▲"; }
#cx-table th[aria-sort="descending"]::after { content: " ▼"; }
#cx-table td { padding: .15rem .4rem; border-top: 1px solid #eee; white-space: nowrap; }
#cx-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
#cx-table tr { cursor: pointer; }
#cx-table tr.picked { background: #fff3b0; }
"""
