"""The table of ``cnnscope runs``: one row per run folder, as text, Markdown, CSV or JSON.

Renders the rows of :class:`cnnscope.studies.run_overlay.OverlaidRun` (``to_dict()``); computes nothing.
"""

from __future__ import annotations

import csv
import io
import json

from cnnscope.i18n import N_, _, ngettext, use_language
from cnnscope.units import count, per_axis, percent, si

# English ids (the Markdown's headers); ``_(column)`` is the terminal's header
COLUMNS = (N_("Run"), N_("Model"), N_("Status"), N_("Epochs"), N_("Params"), N_("MACs"), N_("RF"), N_("Best val acc"),
           N_("Final val acc"), N_("Time"))
# a run's status (train/history.py STATUSES), marked here for the catalog; the cell shows _(status)
STATUS_IDS = (N_("running"), N_("completed"), N_("interrupted"), N_("diverged"), N_("failed"))


def cells(row: dict) -> list[str]:
    best = "—" if row["best_val_acc"] is None else _("{accuracy} (epoch {epoch})").format(
        accuracy=percent(row["best_val_acc"]), epoch=row["best_epoch"])
    return [row["label"], row["model"], _(row["status"]), str(row["epochs"]),
            "—" if row["params"] is None else count(row["params"]), "—" if row["macs"] is None else si(row["macs"]),
            "—" if row["rf"] is None else per_axis(row["rf"]), best, percent(row["final_val_acc"]),
            _("{seconds:.1f} s").format(seconds=row["seconds"])]


def runs_text(runs, width: int | None = None) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), width=width or 140, force_terminal=False, color_system=None,
                      highlight=False, soft_wrap=False)
    rows = [run.to_dict() for run in runs]
    title = ngettext("{n} training run", "{n} training runs", len(rows)).format(n=len(rows))
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column in COLUMNS:
        table.add_column(_(column), justify="left" if column in ("Run", "Model", "Status") else "right")
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)
    notes = [f"{row['label']}: {row['note']}" for row in rows if row['note']]
    text = console.file.getvalue()
    return text + "".join(_("note: {message}").format(message=line) + "\n" for line in notes)


def runs_markdown(runs) -> str:
    """In English whatever the language, like the JSON and CSV."""
    with use_language("en"):
        return _markdown(runs)


def _markdown(runs) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells(run.to_dict())) + " |" for run in runs]
    return "\n".join(lines) + "\n"


def runs_csv(runs) -> str:
    rows = [run.to_dict() for run in runs]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(rows[0]) if rows else [])
    writer.writerows([json.dumps(v) if isinstance(v, list) else ("" if v is None else v) for v in row.values()]
                     for row in rows)
    return buffer.getvalue()


def runs_json(runs) -> str:
    return json.dumps([run.to_dict() for run in runs], indent=2) + "\n"


RENDERERS = {"table": runs_text, "md": runs_markdown, "csv": runs_csv, "json": runs_json}
