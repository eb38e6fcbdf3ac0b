"""Documents people send: a :class:`Document` (tables, notes, findings, plotly figures, diagrams,
pictures) rendered as self-contained HTML, Markdown with PNG charts, JSON or CSV.

Every document states the cnnscope and torch versions, the device and the input shapes that
produced it.  Files are written only where asked, each atomically (temporary file, rename).
``render_files`` gives the bytes of every file a format needs (Markdown: the text, and its
charts and diagrams in ``<stem>_charts/``), ``write`` writes them and ``to_zip`` packs them.
The model, comparison and kernel-study reports are laid out as Documents by
``model_document``, ``comparison_document`` and ``kernels``.
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
from cnnscope.export.formats import DOCUMENT_SUFFIXES
from cnnscope.files import write_bytes_atomic
from cnnscope.i18n import _

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
class Document:
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
    # HTML fragments of interactive diagrams (export/interactive_diagram.diagram_fragment), one per model;
    # HTML only, their page code inlined once however many there are
    interactive: list[str] = field(default_factory=list)
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
    if path.suffix.lower() not in DOCUMENT_SUFFIXES:
        raise UsageError(_("-o {path}: choose a .html, .md, .json or .csv report").format(path=path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(_("-o {path}: the folder {folder} does not exist").format(path=path, folder=folder))
    return path


def write(document: Document, path: str | Path) -> list[Path]:
    """Write the document in the format its suffix names; returns every file written."""
    path = check_output_path(path)
    written = []
    for name, data in render_files(document, path.name).items():
        target = path.parent / name
        if target.parent != path.parent:
            target.parent.mkdir(exist_ok=True)
        written.append(_write_checked(target, data))
    return written


def to_json(document: Document) -> str:
    data = document.data if document.json_is_data else {"provenance": document.provenance, **document.data}
    return json.dumps(data, indent=2) + "\n"


def render_files(document: Document, filename: str) -> dict[str, bytes]:
    """Every file of the document in the format ``filename``'s suffix names, by path relative to
    its folder: the file itself, and for Markdown first its charts (PNG) and diagrams (SVG) in
    ``<stem>_charts/``."""
    path = Path(filename)
    suffix = path.suffix.lower()
    if suffix == ".html":
        return {path.name: to_html(document).encode()}
    if suffix == ".json":
        return {path.name: to_json(document).encode()}
    if suffix == ".csv":
        return {path.name: to_csv(document).encode()}
    if suffix != ".md":
        raise UsageError(_("{filename}: choose a .html, .md, .json or .csv report").format(filename=filename))
    from cnnscope.vis.static_figures import figure_png

    folder = f"{path.stem}_charts"
    files: dict[str, bytes] = {}
    images = []
    for k, figure in enumerate(document.figures):
        files[f"{folder}/chart{k + 1}.png"] = figure_png(figure)
        images.append(f"{folder}/chart{k + 1}.png")
    pictures = []
    for k, diagram in enumerate(document.diagrams):
        if diagram.svg is not None:
            files[f"{folder}/diagram{k + 1}.svg"] = diagram.svg.encode()
        pictures.append(f"{folder}/diagram{k + 1}.svg" if diagram.svg is not None else None)
    for k, (_unused, png) in enumerate(document.images):
        files[f"{folder}/image{k + 1}.png"] = png
    files[path.name] = to_markdown(document, images, pictures,
                                   [f"{folder}/image{k + 1}.png" for k in range(len(document.images))]).encode()
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
        raise UsageError(_("{path}: the report would be {n:.0f} MB, over the {MAX_BYTES:.0f} MB limit; compare "
                           "fewer models or leave out per-layer data").format(
                             path=path, n=len(data) / 2**20, MAX_BYTES=MAX_BYTES / 2**20))
    try:
        return write_bytes_atomic(path, data)
    except OSError as exc:
        raise UsageError(_("{path}: could not write the report ({value})").format(path=path, value=exc.strerror or exc)) from None


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


def to_markdown(document: Document, images: list[str] | None = None, pictures: list | None = None,
                photos: list[str] | None = None) -> str:
    """``images``: the charts' PNG paths; ``pictures``: each diagram's SVG path, or None for a
    diagram shown as DOT source (without ``pictures`` every diagram is DOT source); ``photos``:
    the paths of ``document.images`` (left out without them)."""
    lines = [f"# {document.title}", "", f"_{_provenance_line(document.provenance)}_", ""]
    lines += [*[f"{note}  " for note in document.notes], ""] if document.notes else []
    for table in [t for t in document.tables if not t.at_end]:
        lines += _markdown_table(table)
    if document.findings:
        lines += [f"## {document.findings_heading}", "", *[f"- {f}" for f in document.findings], ""]
    if images:
        lines += [f"## {document.charts_heading}", "", *[f"![chart]({image})" for image in images], ""]
    for k, diagram in enumerate(document.diagrams):
        picture = pictures[k] if pictures else None
        lines += [f"## {diagram.title}", ""]
        lines += [f"![{diagram.title}]({picture})", ""] if picture else [f"_{DOT_NOTE}._", "", "```dot",
                                                                         diagram.dot.rstrip(), "```", ""]
    for (caption, _unused), photo in zip(document.images, photos or []):
        lines += [f"## {caption}", "", f"![{caption}]({photo})", ""]
    for table in [t for t in document.tables if t.at_end]:
        lines += _markdown_table(table)
    return "\n".join(lines)


def to_csv(document: Document) -> str:
    buffer = io.StringIO()
    keys: list[str] = []
    for row in document.csv_rows:
        keys += [k for k in row if k not in keys]
    writer = csv.DictWriter(buffer, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for row in document.csv_rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()})
    return buffer.getvalue()


_STYLE = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto; max-width: 1300px;
       color: #1d2330; padding: 0 1rem; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.provenance { color: #5a6478; font-size: .9rem; }
/* a phone (400 px) sees the page at its own width: a wide table scrolls sideways in its own box, not the page */
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { padding: .3rem .7rem; border-bottom: 1px solid #dde3ec; text-align: right; overflow-wrap: normal; }
th:first-child, td:first-child, th.l, td.l { text-align: left; }
th { background: #f1f4f9; }
li { margin: .3rem 0; }
.notes { color: #3a4456; font-size: .9rem; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(500px, 100%), 1fr)); gap: .5rem; }
.charts > div { min-width: 0; overflow: hidden; }
img { max-width: 100%; height: auto; }
.diagrams { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
.diagram { overflow: auto; max-height: 1000px; max-width: 100%; min-width: 0; box-sizing: border-box;
           border: 1px solid #dde3ec; padding: .5rem; }
.diagram h3 { font-size: 1rem; margin: 0 0 .4rem; }
.drawing-note { max-width: 36rem; }  /* the note does not widen its diagram's box */
pre { background: #f6f8fb; padding: .6rem; font-size: .75rem; max-height: 400px; overflow: auto; max-width: 100%;
      box-sizing: border-box; }
"""


def to_html(document: Document) -> str:
    from cnnscope.export import plotly_bundle

    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',  # phones: lay out at their width
        f"<title>{html.escape(document.title)}</title>", f"<style>{_STYLE}</style>",
        plotly_bundle.page_script(document.figures), "</head><body>",  # once, for every chart; none without charts
        f"<h1>{html.escape(document.title)}</h1>",
        f'<p class="provenance">{html.escape(_provenance_line(document.provenance))}</p>',
    ]
    if document.notes:
        parts.append('<p class="notes">' + "<br>".join(html.escape(n) for n in document.notes) + "</p>")
    parts += [_html_table(t) for t in document.tables if not t.at_end]
    if document.findings:
        parts.append(f"<h2>{html.escape(document.findings_heading)}</h2><ul>"
                     + "".join(f"<li>{html.escape(f)}</li>" for f in document.findings) + "</ul>")
    if document.figures:
        parts.append(f'<h2>{html.escape(document.charts_heading)}</h2><div class="charts">')
        for figure in document.figures:
            parts.append("<div>" + figure.to_html(full_html=False, include_plotlyjs=False,
                                                  config={"displaylogo": False, "responsive": True}) + "</div>")
        parts.append("</div>")
    if document.interactive:
        parts.append('<h2 id="explore">Explore the architecture</h2>')
        parts += document.interactive
    if document.diagrams:
        parts.append(f"<h2 id=\"diagrams\">{'Diagram' if len(document.diagrams) == 1 else 'Diagrams'}</h2>"
                     '<div class="diagrams">')
        parts += [_html_diagram(d) for d in document.diagrams]
        parts.append("</div>")
    for caption, png in document.images:  # inline: the page stays one file
        parts.append(f'<h2>{html.escape(caption)}</h2><img alt="{html.escape(caption)}" style="max-width: 100%" '
                     f'src="data:image/png;base64,{base64.b64encode(png).decode()}">')
    parts += [_html_table(t) for t in document.tables if t.at_end]
    if any(d.svg is None for d in document.diagrams):  # no dot where it was made: the page draws them itself
        from cnnscope.export import wasm_graphviz

        parts.append(wasm_graphviz.page_scripts())
    if document.interactive:
        from cnnscope.export.interactive_diagram import diagram_assets

        parts.append(diagram_assets())
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(table: Table) -> str:
    left = [' class="l"' if k > 0 and table.numeric is not None and not table.numeric[k] else ""
            for k in range(len(table.columns))]
    head = "".join(f"<th{left[k]}>{html.escape(c)}</th>" for k, c in enumerate(table.columns))
    body = "".join("<tr>" + "".join(f"<td{left[k]}>{html.escape(str(c))}</td>" for k, c in enumerate(row)) + "</tr>"
                   for row in table.rows)
    return (f'<h2>{html.escape(table.heading)}</h2><div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


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
