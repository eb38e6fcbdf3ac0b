"""The census explorer's scatter for the app: MACs against parameters on log axes, one trace per group or
family, each marker's area growing with the receptive field (``studies/census/explore.py``).  The HTML
explorer draws the same chart in the browser (``export/assets/census_explorer.js``)."""

from __future__ import annotations

from cnnscope import units
from cnnscope.i18n import _
from cnnscope.studies.census import explore


def census_scatter(rows: list[dict], by: str, sizes: dict[str, float] | None = None):
    """The scatter of ``rows`` that have MACs and parameters; ``sizes`` maps a name to its marker diameter
    (computed over the whole census, so that a filter does not rescale the markers).  Each point's
    ``customdata`` is its model's name: what a click on it selects."""
    import plotly.graph_objects as go

    sizes = sizes if sizes is not None else dict(zip((r["name"] for r in rows), explore.marker_sizes(rows)))
    drawn = [r for r in rows if (r.get("macs") or 0) > 0 and (r.get("params") or 0) > 0]
    figure = go.Figure()
    for key in sorted({explore.colour_key(r, by) for r in drawn}):
        members = [r for r in drawn if explore.colour_key(r, by) == key]
        figure.add_trace(go.Scatter(
            x=[r["params"] for r in members], y=[r["macs"] for r in members], mode="markers", name=key,
            customdata=[[r["name"]] for r in members], text=[_hover(r) for r in members],
            hovertemplate="%{text}<extra>" + key + "</extra>",
            marker=dict(size=[sizes.get(r["name"], explore.SMALLEST_MARKER) for r in members], opacity=0.75,
                        line=dict(width=0.5, color="#222"))))
    figure.update_layout(height=520, margin=dict(t=20, b=50, l=70, r=20), hovermode="closest",
                         legend=dict(title=dict(text=_(by)), itemsizing="constant"),
                         xaxis_title=_("parameters"), yaxis_title=_("MACs"))
    # SI prefixes (G, not plotly's default B for 10^9), as cnnscope writes counts everywhere else
    figure.update_xaxes(type="log", exponentformat="SI")
    figure.update_yaxes(type="log", exponentformat="SI")
    return figure


def _hover(row: dict) -> str:
    field = explore.rf_size(row)
    accuracy = "—" if row.get("acc1") is None else f"{row['acc1']:.2f}%"
    return _("<b>{name}</b><br>parameters: {params}<br>MACs: {macs}<br>input: {input}<br>RF: {rf}<br>"
             "acc@1: {acc1}").format(name=row["name"], params=units.count(row["params"]), macs=units.si(row["macs"]),
                                     input=row.get("input") or "—", rf="—" if field is None else field,
                                     acc1=accuracy)
