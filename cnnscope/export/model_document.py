"""The model report, the document of one model: header (input, dtype, versions, conventions),
totals, the per-layer table, the architecture diagram and the charts along the depth -- in HTML,
Markdown, JSON, CSV.

``render(report, fmt)`` is what the CLI (``summary -o x.html``) and the app's Export page call;
``document(report)`` is the laid-out :class:`~cnnscope.export.document.Document` that
``export.document.write`` writes (``summary -o x.md``, with its pictures).
"""

from __future__ import annotations

import datetime

from cnnscope import units
from cnnscope.export.document import Diagram, Document, Table, render_files, to_markdown, to_zip
from cnnscope.export.formats import MODEL_DOCUMENT_FORMATS
from cnnscope.report import ModelReport

LAYER_COLUMNS = ("name", "type", "output", "kernel", "stride", "params", "macs", "macs%", "rf", "jump")
CONVENTIONS = ("Conventions: MACs = multiply-accumulates of convolutions, linear layers and matmuls (bias "
               "excluded); FLOPs = 2 × MACs; norms, activations, pooling and adds are counted apart as other "
               "ops; receptive fields (RF, Jump) are in input pixels; shared parameters are counted once.")


def diagram(title: str, dot_source: str) -> Diagram:
    """A diagram with its SVG drawn by graphviz's ``dot`` when it is installed (else DOT source only)."""
    from cnnscope.export.graphviz import to_svg

    svg, why = to_svg(dot_source)
    return Diagram(title, dot_source, svg, why)


def model_diagram(report: ModelReport, title: str | None = None, **options) -> Diagram:
    """The architecture of ``report`` (``vis.graph.to_dot`` options: depth, expand, rankdir, ...)."""
    from cnnscope.vis.graph import to_dot

    return diagram(title or report.model, to_dot(report, **options))


def provenance(report: ModelReport) -> dict:
    """What produced the numbers: the versions and device of the analysis itself, not of this run."""
    return {"cnnscope": report.cnnscope_version, "torch": report.torch_version, "device": report.traced_on,
            "input_shapes": units.shape(report.input_shape), "dtype": report.dtype,
            "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def layer_table(report: ModelReport, depth: int | None = None, columns=LAYER_COLUMNS) -> Table:
    from cnnscope.export.summary_rows import COLUMNS, headers, row_cells, visible_rows

    rows = []
    for row in visible_rows(report, depth):
        cells = list(row_cells(row, report, columns, indent=False))
        if "name" in columns:
            k = columns.index("name")
            cells[k] = "\u00a0\u00a0" * max(row.depth - 1, 0) + cells[k]
        rows.append(cells)
    return Table("Layers", headers(columns), rows, at_end=True, numeric=[COLUMNS[key].numeric for key in columns])


def document(report: ModelReport, *, depth: int | None = None, columns=None, diagram_options=None,
             images=None) -> Document:
    """The report of one model, laid out: every row unless ``depth`` (``summary_rows`` column names
    in ``columns``); ``diagram_options`` go to ``vis.graph.to_dot``; ``images``: (caption, PNG
    bytes) pairs shown after the diagram, such as the first layer's filters when weights are given."""
    from cnnscope.export.summary_rows import totals_lines, visible_rows
    from cnnscope.export.interactive_diagram import diagram_fragment
    from cnnscope.export.tabular import CSV_FIELDS
    from cnnscope.vis.charts import depth_figures

    notes = [CONVENTIONS]
    if report.traced_on == "meta":
        notes.append("Traced on the meta device: shapes and counts come from one forward pass without weights.")
    if report.mode != "eval":
        notes.append(f"Traced in {report.mode} mode.")
    csv_rows = []
    for row in visible_rows(report, depth):
        data = row.to_dict()
        csv_rows.append({key: data[key] for key in CSV_FIELDS})
    return Document(
        title=f"Model report: {report.model}",
        provenance=provenance(report),
        notes=notes,
        tables=[Table("Totals", ["", report.model], [list(line) for line in totals_lines(report)]),
                layer_table(report, depth, tuple(columns or LAYER_COLUMNS))],
        findings=[f"{d.level}: {d.message}" + (f" ({d.layer})" if d.layer else "") for d in report.diagnostics],
        findings_heading="Diagnostics",
        figures=depth_figures([report]),
        charts_heading="Along the depth",
        diagrams=[model_diagram(report, f"{report.model}, {units.shape(report.input_shape)}",
                                **(diagram_options or {}))],
        interactive=[diagram_fragment(report, "architecture")],
        data=report.to_dict(),
        json_is_data=True,
        csv_rows=csv_rows,
        images=list(images or []),
    )


def render(report: ModelReport, fmt: str, *, depth: int | None = None, columns=None, name: str | None = None,
           images=None) -> str | bytes:
    """One model's report as ``fmt``: ``"html"`` (self-contained page, str), ``"md"`` (the Markdown
    text alone, str: no chart images, the diagram as DOT source), ``"zip"`` (bytes: ``<name>.md`` with
    its charts and diagram in ``<name>_charts/``), ``"json"`` (``report.to_dict()``, str) or
    ``"csv"`` (the per-layer rows, str).  ``name`` (default: the model's name) names the zip's files;
    ``images``: (caption, PNG bytes) pairs for HTML and the zip (``first_layer_filters``)."""
    if fmt not in MODEL_DOCUMENT_FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(MODEL_DOCUMENT_FORMATS)}, got {fmt!r}")
    laid_out = document(report, depth=depth, columns=columns, images=images)
    if fmt == "md":
        return to_markdown(laid_out)
    stem = _safe_stem(name or report.model)
    files = render_files(laid_out, f"{stem}.{'md' if fmt == 'zip' else fmt}")
    return to_zip(files) if fmt == "zip" else files[f"{stem}.{fmt}"].decode()


def _safe_stem(text: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("._")
    return stem or "model"


def first_layer_filters(module, origin: str, layer: str | None = None) -> tuple[str, bytes]:
    """(caption, PNG) of the first conv layer's kernels (or ``layer``'s) of a real ``module``,
    for ``images``; ``origin`` says where the weights came from (a file name)."""
    import io

    from cnnscope.probes.activations import conv_weight
    from cnnscope.vis.filters import filter_grid

    name, weight = conv_weight(module, layer)
    out_channels, in_channels, kh, kw = weight.shape
    caption = f"First-layer filters: {name}, {out_channels} filters {kh}×{kw}×{in_channels}, weights: {origin}"
    buffer = io.BytesIO()
    filter_grid(weight, caption).save(buffer, format="PNG")
    return caption, buffer.getvalue()
