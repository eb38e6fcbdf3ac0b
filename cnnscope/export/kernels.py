"""The kernel study in words: the variants' table and report, the experiment's tables, terminal summary
(with text charts) and report.

Renderers only: every number comes from ``studies.kernel_study`` and ``studies.kernel_experiment.Experiment``.
"""

from __future__ import annotations

from cnnscope import units
from cnnscope.export.document import Document, Table, provenance

KERNEL_COLUMNS = ["variant", "layers", "weights", "MACs", "RF", "nonlinearities", "activation MB", "latency ms",
                  "val acc"]


def _accuracies(histories: dict | None) -> dict:
    from cnnscope.studies.compare import final_val_acc

    return {name: final_val_acc(history) for name, history in (histories or {}).items()}


def kernel_table(variants, histories: dict | None = None) -> tuple[list[str], list[list[str]]]:
    """(columns, rows) of the kernel-study table, one row per variant, empty columns left out."""
    rows = []
    accuracies = _accuracies(histories)
    for v in variants:
        acc = accuracies.get(v.kind)
        rows.append([v.kind, " → ".join(v.layers), units.count(v.params), units.si(v.macs), units.per_axis(v.rf, "—"),
                     str(v.nonlinearities), f"{v.activation_bytes / 2**20:.2f}",
                     "—" if v.latency_ms is None else f"{v.latency_ms:.2f}",
                     "—" if acc is None else f"{100 * acc:.1f}%"])
    return _drop_empty(KERNEL_COLUMNS, rows)


def kernel_report(variants, findings: list[str], rf: int, channels: int, size: int, device: str,
                  figures: list | None = None, histories: dict | None = None) -> Document:
    columns, rows = kernel_table(variants, histories)
    accuracies = _accuracies(histories)
    data = {"target_rf": rf, "channels": channels, "size": size,
            "variants": [v.to_dict() for v in variants], "findings": findings}
    if histories:
        data["training"] = histories
    return Document(
        title=f"Reaching a {rf}×{rf} receptive field with {channels} channels at {size}×{size}",
        provenance=provenance(device, f"1×{channels}×{size}×{size}"),
        tables=[Table("Variants", columns, rows)], findings=findings, figures=figures or [], data=data,
        csv_rows=[dict(v.to_dict(), val_acc=accuracies.get(v.kind)) for v in variants],
    )



def report_text(report: Document) -> str:
    """A report's title, its first table in padded columns, and its findings, as plain text
    (``cnnscope kernels`` without ``-o``)."""
    table = report.tables[0]
    widths = [max(len(str(c)) for c in [col, *[row[k] for row in table.rows]]) for k, col in enumerate(table.columns)]
    lines = [report.title, "", "  ".join(c.ljust(w) for c, w in zip(table.columns, widths))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in table.rows]
    lines += ["", *[f"- {line}" for line in report.findings]]
    return "\n".join(lines) + "\n"


def _drop_empty(columns, rows):
    keep = [k for k in range(len(columns)) if any(row[k] != "—" for row in rows) or columns[k] in ("model",)]
    return [columns[k] for k in keep], [[row[k] for k in keep] for row in rows]


TRAINING_COLUMNS = ["variant", "weights", "MACs", "RF", "effective RF 50% / 90%", "nonlinearities",
                    "final val acc", "best val acc", "final train loss", "converged", "seconds"]
SEED_COLUMNS = ["variant", "seed", "final val acc", "best val acc", "final train loss", "train acc", "converged",
                "effective RF 50% / 90%", "seconds", "status"]


def _pm(mean, sd, scale: float = 100.0, digits: int = 1, suffix: str = "%") -> str:
    if mean is None:
        return "—"
    return f"{scale * mean:.{digits}f} ± {scale * (sd or 0):.{digits}f}{suffix}"


def _squares(erf: dict | None) -> str:
    if not erf:
        return "—"
    return f"{erf['50%']:.3g} / {erf['90%']:.3g}"


def training_table(experiment) -> tuple[list[str], list[list[str]]]:
    """One row per variant: geometry and mean ± sd over seeds."""
    rows = []
    for v in experiment.variants:
        result = experiment.results[v.kind]
        data = result.to_dict()
        done = sum(data["converged"])
        rows.append([
            v.kind, units.count(v.params), units.si(v.macs), units.per_axis(v.rf, "—"),
            _squares(result.erf_mean()), str(v.nonlinearities),
            _pm(data["val_acc_mean"], data["val_acc_sd"]), _pm(data["best_val_acc_mean"], data["best_val_acc_sd"]),
            _pm(data["train_loss_mean"], data["train_loss_sd"], 1.0, 3, ""),
            f"{done} of {len(data['converged'])}" + ("" if done == len(data["converged"]) else " ⚠"),
            _pm(data["seconds_mean"], data["seconds_sd"], 1.0, 1, " s")])
    return TRAINING_COLUMNS, rows


def seed_table(experiment) -> tuple[list[str], list[list[str]]]:
    rows = []
    for kind, result in experiment.results.items():
        for r in result.runs:
            rows.append([kind, str(r.seed), _pct(r.final_val_acc), _pct(r.best_val_acc), f"{r.final_train_loss:.4f}",
                         _pct(r.final_train_acc), "yes" if r.converged else "no (loss still falling)",
                         _squares(r.erf), f"{r.seconds:.1f}", r.status])
    return SEED_COLUMNS, rows


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def settings_line(experiment) -> str:
    s = experiment.settings
    return (f"{len(experiment.variants)} variants × {len(s.seeds)} seeds ({', '.join(map(str, s.seeds))}) on "
            f"{s.dataset} at {s.input_size}×{s.input_size}, C={s.channels}, {s.epochs} epochs, batch {s.batch_size}, "
            f"Adam lr {s.lr:g}, device {experiment.device}; {experiment.seconds:.0f} s in all")


def experiment_report(experiment, findings: list[str], figures: list | None = None) -> Document:
    """The report ``cnnscope kernels --train -o FILE`` writes (HTML, Markdown, JSON, CSV)."""
    s = experiment.settings
    columns, rows = training_table(experiment)
    seed_columns, seed_rows = seed_table(experiment)
    geometry_columns, geometry_rows = kernel_table(experiment.variants)
    data = {"target_rf": s.rf, "channels": s.channels, "size": s.input_size,
            "variants": [v.to_dict() for v in experiment.variants], "findings": findings,
            "training": experiment.to_dict()}
    csv_rows = []
    for v in experiment.variants:
        result = experiment.results[v.kind].to_dict()
        for k, seed in enumerate(result["seeds"]):
            csv_rows.append({"variant": v.kind, "seed": seed, "params": v.params, "macs": v.macs, "rf": v.rf[0],
                             "nonlinearities": v.nonlinearities, "val_acc": result["val_acc"][k],
                             "best_val_acc": result["best_val_acc"][k], "train_loss": result["train_loss"][k],
                             "train_acc": result["train_acc"][k], "converged": result["converged"][k],
                             "erf_50": (result["erf_squares"][k] or {}).get("50%"),
                             "erf_90": (result["erf_squares"][k] or {}).get("90%"),
                             "seconds": result["seconds"][k], "val_acc_mean": result["val_acc_mean"],
                             "val_acc_sd": result["val_acc_sd"]})
    return Document(
        title=f"Does a stack of 3×3 beat one {s.rf}×{s.rf}? The kernel experiment",
        provenance=provenance(experiment.device, f"1×{s.channels}×{s.input_size}×{s.input_size} (variant); "
                                                 f"{s.dataset} {s.input_size}×{s.input_size}"),
        tables=[Table("Result (mean ± sd over seeds)", columns, rows),
                Table("Per seed", seed_columns, seed_rows),
                Table("Geometry", geometry_columns, geometry_rows)],
        findings=[f"Verdict: {experiment.verdict['text']}", f"Budget: {settings_line(experiment)}.",
                  "Effective RF: side of the centred square holding 50 % / 90 % of |∂unit/∂input| for the centre "
                  "unit of the variant's output, on the trained weights, averaged over 128 validation images "
                  "(mean over seeds).", *findings],
        figures=figures or [], data=data, csv_rows=csv_rows)


# -- the terminal ---------------------------------------------------------------------------------------

_BLOCKS = "▁▂▃▄▅▆▇█"
_SHADES = " ░▒▓█"


def sparkline(values: list[float], low: float | None = None, high: float | None = None) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return ""
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    span = (high - low) or 1.0
    return "".join(_BLOCKS[min(len(_BLOCKS) - 1, max(0, int((v - low) / span * (len(_BLOCKS) - 1) + 0.5)))]
                   for v in values)


def shade_map(gradient: list[list[float]]) -> list[str]:
    """A gradient map as rows of shade characters (two per pixel, so that it looks square)."""
    peak = max((v for row in gradient for v in row), default=0.0) or 1.0
    return ["".join(_SHADES[min(len(_SHADES) - 1, int(v / peak * (len(_SHADES) - 1) + 0.5))] * 2 for v in row)
            for row in gradient]


def _mean_curve(curves: list[list]) -> list[float]:
    length = min((len(c) for c in curves), default=0)
    return [sum(c[k] for c in curves) / len(curves) for k in range(length)
            if all(c[k] is not None for c in curves)]


def experiment_text(experiment, findings: list[str]) -> str:
    """The terminal summary of ``cnnscope kernels --train``: the table, text charts, the verdict."""
    s = experiment.settings
    columns, rows = training_table(experiment)
    lines = [f"Does a stack of 3×3 beat one {s.rf}×{s.rf}? {settings_line(experiment)}", ""]
    lines += _padded(columns, rows)
    lines += ["", "Curves (mean over seeds, per epoch): validation accuracy 0–100 %, training loss high→low"]
    width = max(len(k) for k in experiment.results)
    top_loss = max((v for r in experiment.results.values() for c in r.values("train_loss") for v in c
                    if v is not None), default=1.0)
    for kind, result in experiment.results.items():
        acc = _mean_curve(result.values("val_acc"))
        loss = _mean_curve(result.values("train_loss"))
        lines.append(f"  {kind.ljust(width)}  acc {sparkline(acc, 0.0, 1.0)} {_pct(acc[-1] if acc else None):>6}"
                     f"   loss {sparkline(loss, 0.0, top_loss)} {loss[-1] if loss else float('nan'):.3f}")
    maps = [(kind, r.erf_map) for kind, r in experiment.results.items() if r.erf_map]
    if maps:
        lines += ["", f"Effective fields (|∂unit/∂input| of the centre unit, seed {s.seeds[0]}, trained; "
                      f"the theoretical field is {s.rf}×{s.rf}):"]
        pictures = [shade_map(m) for _, m in maps]
        cell = max(max(len(kind) for kind, _ in maps), max(len(p[0]) for p in pictures if p)) + 3
        lines.append("  " + "".join(kind.ljust(cell) for kind, _ in maps).rstrip())
        for k in range(max(len(p) for p in pictures)):
            lines.append("  " + "".join((p[k] if k < len(p) else "").ljust(cell) for p in pictures).rstrip())
        lines.append("  " + "".join(f"50/90%: {_squares(experiment.results[kind].erf_mean())}".ljust(cell)
                                    for kind, _ in maps).rstrip())
    lines += ["", "Verdict: " + experiment.verdict["text"], "", *[f"- {line}" for line in findings]]
    return "\n".join(lines) + "\n"


def _padded(columns, rows) -> list[str]:
    widths = [max(len(str(c)) for c in [col, *[row[k] for row in rows]]) for k, col in enumerate(columns)]
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return out
