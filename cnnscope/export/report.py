"""Reports people send: self-contained HTML, Markdown with PNG charts, JSON, CSV.

Every report states the cnnscope and torch versions, the device and the input shapes that
produced it.  Files are written only where asked, each atomically (temporary file, rename).
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from cnnscope.errors import UsageError
from cnnscope.export.files import write_bytes_atomic, write_text_atomic

SUFFIXES = (".html", ".md", ".json", ".csv")
MAX_BYTES = 256 * 2**20


@dataclass
class Table:
    heading: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Report:
    title: str
    provenance: dict
    tables: list[Table]
    findings: list[str] = field(default_factory=list)
    figures: list = field(default_factory=list)  # plotly figures
    data: dict = field(default_factory=dict)  # the JSON payload
    csv_rows: list[dict] = field(default_factory=list)


def provenance(device: str, input_shapes) -> dict:
    import torch

    from cnnscope._version import __version__

    return {"cnnscope": __version__, "torch": torch.__version__, "device": device, "input_shapes": input_shapes,
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def check_output_path(path: str | Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise UsageError(f"-o {path}: choose a .html, .md, .json or .csv report")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"-o {path}: the folder {folder} does not exist")
    return path


def write(report: Report, path: str | Path) -> list[Path]:
    """Write the report in the format its suffix names; returns every file written."""
    path = check_output_path(path)
    suffix = path.suffix.lower()
    if suffix == ".html":
        return [_write_checked(path, to_html(report).encode())]
    if suffix == ".json":
        return [_write_checked(path, (json.dumps({"provenance": report.provenance, **report.data}, indent=2)
                                      + "\n").encode())]
    if suffix == ".csv":
        return [_write_checked(path, to_csv(report).encode())]
    charts = path.with_name(f"{path.stem}_charts")
    written = []
    images = []
    if report.figures:
        charts.mkdir(exist_ok=True)
        for k, figure in enumerate(report.figures):
            target = charts / f"chart{k + 1}.png"
            written.append(_write_checked(target, figure_png(figure)))
            images.append(f"{charts.name}/{target.name}")
    written.append(_write_checked(path, to_markdown(report, images).encode()))
    return written


def _write_checked(path: Path, data: bytes) -> Path:
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path}: the report would be {len(data) / 2**20:.0f} MB, over the "
                         f"{MAX_BYTES / 2**20:.0f} MB limit; compare fewer models or leave out per-layer data")
    try:
        return write_bytes_atomic(path, data)
    except OSError as exc:
        raise UsageError(f"{path}: could not write the report ({exc.strerror or exc})") from None


def _provenance_line(p: dict) -> str:
    shapes = p.get("input_shapes")
    return (f"cnnscope {p['cnnscope']} · torch {p['torch']} · device {p['device']} · input {shapes} · {p['created']}")


def to_markdown(report: Report, images: list[str] | None = None) -> str:
    lines = [f"# {report.title}", "", f"_{_provenance_line(report.provenance)}_", ""]
    for table in report.tables:
        lines += [f"## {table.heading}", "", "| " + " | ".join(table.columns) + " |",
                  "|" + "|".join("---" if k == 0 else "---:" for k in range(len(table.columns))) + "|"]
        lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in table.rows]
        lines.append("")
    if report.findings:
        lines += ["## Findings", "", *[f"- {f}" for f in report.findings], ""]
    if images:
        lines += ["## Charts", "", *[f"![chart]({image})" for image in images], ""]
    return "\n".join(lines)


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    keys: list[str] = []
    for row in report.csv_rows:
        keys += [k for k in row if k not in keys]
    writer = csv.DictWriter(buffer, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for row in report.csv_rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
    return buffer.getvalue()


_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d2330; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.provenance { color: #5a6478; font-size: .9rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #dde3ec; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f1f4f9; }
li { margin: .3rem 0; }
"""


def to_html(report: Report) -> str:
    from plotly.offline import get_plotlyjs

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title>", f"<style>{_STYLE}</style>",
        f"<script>{get_plotlyjs()}</script>", "</head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="provenance">{html.escape(_provenance_line(report.provenance))}</p>',
    ]
    for table in report.tables:
        parts.append(f"<h2>{html.escape(table.heading)}</h2><table><thead><tr>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in table.columns) + "</tr></thead><tbody>")
        for row in table.rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table>")
    if report.findings:
        parts.append("<h2>Findings</h2><ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in report.findings)
                     + "</ul>")
    if report.figures:
        parts.append("<h2>Charts</h2>")
        for figure in report.figures:
            parts.append(figure.to_html(full_html=False, include_plotlyjs=False,
                                        config={"displaylogo": False, "responsive": True}))
    parts.append("</body></html>")
    return "\n".join(parts)


def figure_png(figure) -> bytes:
    """A matplotlib rendering of a plotly figure's bar / line / marker traces (no browser needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layout = figure.layout
    if figure.data and all(trace.type == "heatmap" for trace in figure.data):
        return _heatmaps_png(figure, plt)
    fig, axis = plt.subplots(figsize=(7.5, 3.8), dpi=110)
    for trace in figure.data:
        name = trace.name or None
        if trace.type == "scatter" and trace.fill == "toself":  # a band (mean ± sd), drawn as a polygon
            axis.fill(list(trace.x), list(trace.y), color=_mpl_colour(trace.fillcolor), linewidth=0)
            continue
        if trace.type == "bar":
            x = [str(v) for v in trace.x]
            bars = axis.bar(x, [v if v is not None else 0 for v in trace.y], color="#5b7bb0")
            if trace.text is not None:
                axis.bar_label(bars, labels=[str(t) for t in trace.text], fontsize=8)
        else:
            mode = trace.mode or "lines"
            style = ("-" if "lines" in mode else "") + ("o" if "markers" in mode else "")
            colour = _mpl_colour(trace.line.color or trace.marker.color)
            axis.plot(list(trace.x), list(trace.y), style, label=name, markersize=4,
                      **({"color": colour} if colour else {}))
            if trace.error_y is not None and trace.error_y.array is not None:
                axis.errorbar(list(trace.x), list(trace.y), yerr=list(trace.error_y.array), fmt="none",
                              capsize=3, **({"ecolor": colour} if colour else {}))
            if "text" in mode and trace.text is not None:
                for x, y, t in zip(trace.x, trace.y, trace.text):
                    axis.annotate(str(t), (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    if layout.xaxis.type == "log":
        axis.set_xscale("log")
    if layout.yaxis.type == "log":
        axis.set_yscale("log")
    axis.set_title(layout.title.text or "")
    axis.set_xlabel(layout.xaxis.title.text or "")
    axis.set_ylabel(layout.yaxis.title.text or "")
    if len([t for t in figure.data if t.showlegend is not False]) > 1 and figure.layout.showlegend is not False:
        axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _mpl_colour(colour):
    """A plotly colour string (#rrggbb or rgba(r,g,b,a)) as matplotlib takes it; None when not one."""
    if not isinstance(colour, str):
        return None
    if colour.startswith("#"):
        return colour
    if colour.startswith("rgba(") or colour.startswith("rgb("):
        values = [float(v) for v in colour[colour.index("(") + 1:-1].split(",")]
        return tuple(v / 255 for v in values[:3]) + ((values[3],) if len(values) > 3 else ())
    return None


def _heatmaps_png(figure, plt) -> bytes:
    """Heatmap traces (one per subplot), side by side, titled with the subplot titles."""
    traces = list(figure.data)
    titles = [a.text for a in figure.layout.annotations] if figure.layout.annotations else []
    fig, axes = plt.subplots(1, len(traces), figsize=(min(2.4 * len(traces), 12), 2.9), dpi=110, squeeze=False)
    for k, (trace, axis) in enumerate(zip(traces, axes[0])):
        axis.imshow([list(row) for row in trace.z], cmap="viridis", vmin=trace.zmin, vmax=trace.zmax)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(titles[k] if k < len(titles) else (trace.name or ""), fontsize=8)
    fig.suptitle(figure.layout.title.text or "", fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
