"""Reports people send: self-contained HTML, Markdown with PNG charts, JSON, CSV.

Every report states the cnnscope and torch versions, the device and the input shapes that
produced it.  Files are written only where asked, each atomically (temporary file, rename).
A report is laid out from a :class:`Report` (tables, findings, diagrams, plotly figures);
``render_files`` gives the bytes of every file a format needs (Markdown: the text, and its
charts and diagrams in ``<stem>_charts/``), ``write`` writes them and ``to_zip`` packs them.
"""

from __future__ import annotations

import base64
import csv
import datetime
import html
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cnnscope.errors import UsageError
from cnnscope.files import write_bytes_atomic, write_text_atomic

SUFFIXES = (".html", ".md", ".json", ".csv")
MAX_BYTES = 256 * 2**20


@dataclass
class Table:
    heading: str
    columns: list[str]
    rows: list[list[str]]
    at_end: bool = False  # laid out after the charts and diagrams (a long per-layer table)
    numeric: list[bool] | None = None  # per column: right-aligned (default: all but the first)


@dataclass
class Diagram:
    """An architecture diagram: its DOT source, and the SVG ``dot`` drew (None without graphviz)."""

    title: str
    dot: str
    svg: str | None = None
    why: str = ""  # why there is no SVG ("graphviz's dot is not installed", "dot failed: ...")


DOT_NOTE = ("The diagram in graphviz's DOT language (dot was not at hand to draw it): save it as model.dot and "
            "run `dot -Tsvg model.dot -o model.svg` (apt-get install graphviz)")
# HTML: the page draws the DOT itself (viz.js); this stands where JavaScript is off
NO_SCRIPT_NOTE = f"JavaScript is off, so the page cannot draw its diagram. {DOT_NOTE}"


@dataclass
class Report:
    title: str
    provenance: dict
    tables: list[Table]
    findings: list[str] = field(default_factory=list)
    figures: list = field(default_factory=list)  # plotly figures
    data: dict = field(default_factory=dict)  # the JSON payload
    csv_rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # lines under the provenance (conventions)
    diagrams: list[Diagram] = field(default_factory=list)
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (caption, PNG): first-layer filters
    findings_heading: str = "Findings"
    charts_heading: str = "Charts"
    json_is_data: bool = False  # the JSON is ``data`` alone (a ModelReport's to_dict()), no provenance added


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
    written = []
    for name, data in render_files(report, path.name).items():
        target = path.parent / name
        if target.parent != path.parent:
            target.parent.mkdir(exist_ok=True)
        written.append(_write_checked(target, data))
    return written


def to_json(report: Report) -> str:
    data = report.data if report.json_is_data else {"provenance": report.provenance, **report.data}
    return json.dumps(data, indent=2) + "\n"


def render_files(report: Report, filename: str) -> dict[str, bytes]:
    """Every file of the report in the format ``filename``'s suffix names, by path relative to
    its folder: the file itself, and for Markdown first its charts (PNG) and diagrams (SVG) in
    ``<stem>_charts/``."""
    path = Path(filename)
    suffix = path.suffix.lower()
    if suffix == ".html":
        return {path.name: to_html(report).encode()}
    if suffix == ".json":
        return {path.name: to_json(report).encode()}
    if suffix == ".csv":
        return {path.name: to_csv(report).encode()}
    if suffix != ".md":
        raise UsageError(f"{filename}: choose a .html, .md, .json or .csv report")
    folder = f"{path.stem}_charts"
    files: dict[str, bytes] = {}
    images = []
    for k, figure in enumerate(report.figures):
        files[f"{folder}/chart{k + 1}.png"] = figure_png(figure)
        images.append(f"{folder}/chart{k + 1}.png")
    pictures = []
    for k, diagram in enumerate(report.diagrams):
        if diagram.svg is not None:
            files[f"{folder}/diagram{k + 1}.svg"] = diagram.svg.encode()
        pictures.append(f"{folder}/diagram{k + 1}.svg" if diagram.svg is not None else None)
    for k, (_, png) in enumerate(report.images):
        files[f"{folder}/image{k + 1}.png"] = png
    files[path.name] = to_markdown(report, images, pictures,
                                   [f"{folder}/image{k + 1}.png" for k in range(len(report.images))]).encode()
    return files


def to_zip(files: dict[str, bytes]) -> bytes:
    """``render_files``'s files in one zip archive (a download of a Markdown report with its pictures)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


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
    dtype = f" · {p['dtype']}" if p.get("dtype") else ""
    return (f"cnnscope {p['cnnscope']} · torch {p['torch']} · device {p['device']} · input {shapes}{dtype} · "
            f"{p['created']}")


def _markdown_table(table: Table) -> list[str]:
    lines = [f"## {table.heading}", "", "| " + " | ".join(table.columns) + " |",
             "|" + "|".join("---" if k == 0 or (table.numeric and not table.numeric[k]) else "---:"
                            for k in range(len(table.columns))) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in table.rows]
    return lines + [""]


def to_markdown(report: Report, images: list[str] | None = None, pictures: list | None = None,
                photos: list[str] | None = None) -> str:
    """``images``: the charts' PNG paths; ``pictures``: each diagram's SVG path, or None for a
    diagram shown as DOT source (without ``pictures`` every diagram is DOT source); ``photos``:
    the paths of ``report.images`` (left out without them)."""
    lines = [f"# {report.title}", "", f"_{_provenance_line(report.provenance)}_", ""]
    lines += [*[f"{note}  " for note in report.notes], ""] if report.notes else []
    for table in [t for t in report.tables if not t.at_end]:
        lines += _markdown_table(table)
    if report.findings:
        lines += [f"## {report.findings_heading}", "", *[f"- {f}" for f in report.findings], ""]
    if images:
        lines += [f"## {report.charts_heading}", "", *[f"![chart]({image})" for image in images], ""]
    for k, diagram in enumerate(report.diagrams):
        picture = pictures[k] if pictures else None
        lines += [f"## {diagram.title}", ""]
        lines += [f"![{diagram.title}]({picture})", ""] if picture else [f"_{DOT_NOTE}._", "", "```dot",
                                                                         diagram.dot.rstrip(), "```", ""]
    for (caption, _), photo in zip(report.images, photos or []):
        lines += [f"## {caption}", "", f"![{caption}]({photo})", ""]
    for table in [t for t in report.tables if t.at_end]:
        lines += _markdown_table(table)
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
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1300px;
       color: #1d2330; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.provenance { color: #5a6478; font-size: .9rem; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #dde3ec; text-align: right; }
th:first-child, td:first-child, th.l, td.l { text-align: left; }
th { background: #f1f4f9; }
li { margin: .3rem 0; }
.notes { color: #3a4456; font-size: .9rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: .5rem; }
.charts > div { min-width: 0; overflow: hidden; }
.diagrams { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.diagram { overflow: auto; max-height: 1000px; max-width: 100%; border: 1px solid #dde3ec; padding: .5rem; }
.diagram h3 { font-size: 1rem; margin: 0 0 .4rem; }
.drawing-note { max-width: 36rem; }  /* the note does not widen its diagram's box */
pre { background: #f6f8fb; padding: .6rem; font-size: .75rem; max-height: 400px; overflow: auto; }
"""


def to_html(report: Report) -> str:
    from plotly.offline import get_plotlyjs

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title>", f"<style>{_STYLE}</style>",
        f"<script>{get_plotlyjs()}</script>" if report.figures else "", "</head><body>",  # 4.6 MB: only for charts
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="provenance">{html.escape(_provenance_line(report.provenance))}</p>',
    ]
    if report.notes:
        parts.append('<p class="notes">' + "<br>".join(html.escape(n) for n in report.notes) + "</p>")
    parts += [_html_table(t) for t in report.tables if not t.at_end]
    if report.findings:
        parts.append(f"<h2>{html.escape(report.findings_heading)}</h2><ul>"
                     + "".join(f"<li>{html.escape(f)}</li>" for f in report.findings) + "</ul>")
    if report.figures:
        parts.append(f'<h2>{html.escape(report.charts_heading)}</h2><div class="charts">')
        for figure in report.figures:
            parts.append("<div>" + figure.to_html(full_html=False, include_plotlyjs=False,
                                                  config={"displaylogo": False, "responsive": True}) + "</div>")
        parts.append("</div>")
    if report.diagrams:
        parts.append(f"<h2 id=\"diagrams\">{'Diagram' if len(report.diagrams) == 1 else 'Diagrams'}</h2>"
                     '<div class="diagrams">')
        parts += [_html_diagram(d) for d in report.diagrams]
        parts.append("</div>")
    for caption, png in report.images:  # inline: the page stays one file
        parts.append(f'<h2>{html.escape(caption)}</h2><img alt="{html.escape(caption)}" style="max-width: 100%" '
                     f'src="data:image/png;base64,{base64.b64encode(png).decode()}">')
    parts += [_html_table(t) for t in report.tables if t.at_end]
    if any(d.svg is None for d in report.diagrams):  # no dot where it was made: the page draws them itself
        from cnnscope.export import wasm_graphviz

        parts.append(wasm_graphviz.page_scripts())
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(table: Table) -> str:
    left = [' class="l"' if k > 0 and table.numeric is not None and not table.numeric[k] else ""
            for k in range(len(table.columns))]
    head = "".join(f"<th{left[k]}>{html.escape(c)}</th>" for k, c in enumerate(table.columns))
    body = "".join("<tr>" + "".join(f"<td{left[k]}>{html.escape(str(c))}</td>" for k, c in enumerate(row)) + "</tr>"
                   for row in table.rows)
    return f"<h2>{html.escape(table.heading)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_diagram(diagram: Diagram) -> str:
    """The SVG ``dot`` drew, or the DOT source that the page's viz.js draws when it opens."""
    from cnnscope.export import wasm_graphviz

    title = html.escape(diagram.title)
    if diagram.svg is not None:
        return f'<div class="diagram" data-drawn="dot"><h3>{title}</h3>{diagram.svg}</div>'
    drawn = wasm_graphviz.drawn_note(diagram.why or "none was given")
    return (f'<div class="diagram" data-drawn="pending" data-note="{html.escape(drawn)}"><h3>{title}</h3>'
            f'<p class="notes drawing-note">{html.escape(wasm_graphviz.DRAWING)}</p>'
            f'<noscript><p class="notes">{html.escape(NO_SCRIPT_NOTE)}.</p></noscript>'
            f'<pre class="{wasm_graphviz.SOURCE_CLASS}">{html.escape(diagram.dot)}</pre></div>')


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
            line = {"dot": ":", "dash": "--", "dashdot": "-."}.get(trace.line.dash, "-")
            style = (line if "lines" in mode else "") + ("o" if "markers" in mode else "")
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
        if layout.yaxis.dtick is not None and abs(float(layout.yaxis.dtick) - 0.30103) < 1e-3:  # powers of two
            from matplotlib.ticker import FuncFormatter

            axis.set_yscale("log", base=2)
            axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        else:
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
