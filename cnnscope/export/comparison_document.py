"""The comparison report: the side-by-side table (terminal, app, documents) and the comparison's
document, the numbers straight from the ModelReports, laid out."""

from __future__ import annotations

from cnnscope import units
from cnnscope.export.document import Document, Table, provenance
from cnnscope.i18n import N_, _

# English ids (the reports' row names); the terminal table shows _(name)
COMPARE_COLUMNS = [N_("model"), N_("input"), N_("params"), N_("trainable"), N_("frozen"), N_("MACs"), N_("FLOPs"),
                   N_("param MB"), N_("activation MB"), N_("train MB (SGD)"), N_("train MB (Adam)"), N_("conv layers"),
                   N_("linear layers"), N_("last feature map"), N_("RF"), N_("jump"), N_("latency ms"), N_("val acc")]


def compare_table_rows(comparison) -> list[list[str]]:
    rows = []
    for r in comparison.rows:
        latency = "—" if r.latency_ms is None else f"{r.latency_ms:.2f} (batch {r.latency_batch}, {r.latency_device})"
        rows.append([
            r.model, units.shape(r.input_shape), units.count(r.params), units.count(r.trainable_params),
            units.count(r.frozen_params), units.si(r.macs), units.si(r.flops), f"{r.param_bytes / 2**20:.2f}",
            f"{r.activation_bytes / 2**20:.2f}", f"{r.training_bytes_sgd / 2**20:.1f}",
            f"{r.training_bytes_adam / 2**20:.1f}", str(r.conv_layers), str(r.linear_layers), r.rf_layer or "—",
            units.per_axis(r.rf_size, "—"), units.per_axis(r.rf_jump, "—"), latency,
            units.percent(r.final_val_acc)])
    return rows


def comparison_table(comparison) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of the side-by-side table every view shows: one column per model, one row per
    metric, metrics no model has left out.  ``comparison`` is a ``studies.compare.Comparison``."""
    return transposed(*_drop_empty(COMPARE_COLUMNS, compare_table_rows(comparison)))


def chance_notes(comparison) -> list[str]:
    """One line per trained model that did not learn (``Comparison.not_learned``): said, never ranked."""
    return [f"did not learn at this budget: {m['model']} (accuracy {units.percent(m['final_val_acc'])} ≤ majority "
            f"rate {units.percent(m['majority_rate'])} + margin {units.percent(m['chance_margin'])})"
            for m in comparison.not_learned()]


def transposed(columns: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """Models as columns, metrics as rows: many metrics of a few models read best this way."""
    return ["", *[row[0] for row in rows]], [[name, *[row[k] for row in rows]] for k, name in enumerate(columns)
                                             if k > 0]


DIAGRAM_DEPTH = 2  # each model's diagram with its blocks below this nesting depth drawn as one node


def document(comparison, device: str, figures: list | None = None) -> Document:
    """The side-by-side table, the charts along the depth overlaid for every model, then
    ``figures`` (totals), and each model's diagram (collapsed to ``DIAGRAM_DEPTH``)."""
    from cnnscope.export.interactive_diagram import diagram_fragment
    from cnnscope.export.model_document import model_diagram
    from cnnscope.vis.charts import depth_figures

    names = ", ".join(r.model for r in comparison.rows)
    shapes = {r.model: units.shape(r.input_shape) for r in comparison.rows}
    shape_text = next(iter(shapes.values())) if len(set(shapes.values())) == 1 else \
        "; ".join(f"{m} {s}" for m, s in shapes.items())
    columns, rows = comparison_table(comparison)
    return Document(
        title=f"Comparison: {names}",
        provenance=provenance(device, shape_text),
        tables=[Table("Side by side", columns, rows)],
        figures=depth_figures(comparison.reports) + list(figures or []),
        diagrams=[model_diagram(r, f"{r.model}, {units.shape(r.input_shape)}", depth=DIAGRAM_DEPTH)
                  for r in comparison.reports],
        interactive=[diagram_fragment(r, f"architecture-{k}", details_id="layer-details" if k == 0 else
                                      f"layer-details-{k}", title=f"{r.model}, {units.shape(r.input_shape)}")
                     for k, r in enumerate(comparison.reports)],
        findings=chance_notes(comparison), findings_heading="Training",  # under the table
        data=comparison.to_dict(),
        csv_rows=comparison.model_dicts(),
    )


def _drop_empty(columns, rows):
    keep = [k for k in range(len(columns)) if any(row[k] != "—" for row in rows) or columns[k] in ("model",)]
    return [columns[k] for k in keep], [[row[k] for k in keep] for row in rows]


def comparison_text(comparison) -> str:
    """The side-by-side table for a terminal (``cnnscope compare`` without ``-o``)."""
    from cnnscope.export.text import columns_table

    columns, rows = comparison_table(comparison)
    rows = [[_(row[0]), *row[1:]] for row in rows]  # the metrics' names in the current language
    return columns_table(columns, rows) + "".join(f"{line}\n" for line in chance_notes(comparison))
