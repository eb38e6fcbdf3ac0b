"""The census on the terminal: the table of rows (``cnnscope census`` without ``-o``) and the progress line."""

from __future__ import annotations

from cnnscope.i18n import N_, _
from cnnscope.units import count, megabytes, si


# a row's status as the table shows it (the file keeps the English word: it is data)
STATUSES = {"ok": N_("ok"), "error": N_("error"), "timeout": N_("timeout"), "crashed": N_("crashed")}


def census_table(rows: list[dict]) -> str:
    """One line per model: group, input, parameters, MACs, memory, the field at the last feature map,
    status (a failed row shows its message in the last column)."""
    from cnnscope.export.text import columns_table

    headers = [_("model"), _("group"), _("input"), _("params"), _("MACs"), _("activations"), _("training (Adam)"),
               _("RF"), _("jump"), _("seconds"), _("status")]
    return columns_table(headers, [_cells(row) for row in rows])


def _cells(row: dict) -> list[str]:
    def number(value, show) -> str:
        return "" if value is None else show(value)

    shown = _(STATUSES[row["status"]]) if row["status"] in STATUSES else row["status"]
    status = shown if row["status"] == "ok" else f"{shown}: {row['error']}"
    return [row["name"], row["group"], row["input"], number(row["params"], count), number(row["macs"], si),
            number(row["activation_bytes"], megabytes), number(row["training_bytes_adam"], megabytes),
            _pair(row["rf_size_h"], row["rf_size_w"]), _pair(row["rf_jump_h"], row["rf_jump_w"]),
            number(row["seconds"], lambda s: f"{s:.2f}"), status]


def _pair(h, w) -> str:
    """7 (square), 7×5, or '' when unknown."""
    if h is None and w is None:
        return ""
    if h is None or w is None or h == w:
        return str(w if h is None else h)
    return f"{h}×{w}"


def rate_text(done: int, seconds: float) -> str:
    """Models per minute so far: '34.5'."""
    return f"{60 * done / seconds:.1f}" if seconds > 0 and done else "—"


def eta_text(done: int, total: int, seconds: float) -> str:
    """The time left at the rate so far: '3 min 20 s', '—' before the first model."""
    if not done or seconds <= 0:
        return "—"
    left = round((total - done) * seconds / done)
    minutes, rest = divmod(left, 60)
    return _("{m} min {s} s").format(m=minutes, s=rest) if minutes else _("{s} s").format(s=rest)


def progress_line(done: int, total: int, failed: int, seconds: float) -> str:
    """The plain progress line on standard error when it is not a terminal."""
    return _("census: {done}/{total} done, {failed} failed, {rate} models/min, ETA {eta}").format(
        done=done, total=total, failed=failed, rate=rate_text(done, seconds), eta=eta_text(done, total, seconds))
