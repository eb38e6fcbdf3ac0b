"""Human-readable numbers: 138,357,544 params, 15.47 G MACs, 527.79 MB."""

from __future__ import annotations


def count(n: int) -> str:
    return f"{n:,}"


def si(n: float) -> str:
    """15_470_264_320 -> '15.47 G'."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= factor:
            return f"{n / factor:.2f} {suffix}"
    return f"{n:.0f}"


def megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:.2f} MB"


def shape(value) -> str:
    """[1, 64, 112, 112] -> '1×64×112×112'; several outputs joined by ', '."""
    if value is None:
        return "—"
    if value and isinstance(value[0], (list, tuple)):
        return ", ".join(shape(v) for v in value)
    return "×".join(str(v) for v in value)


def per_axis(values, empty: str = "") -> str:
    """A per-axis value: [7, 7] -> '7' (all axes agree), [7, 13] -> '7×13'; None or [] -> ``empty``."""
    if not values:
        return empty
    return str(values[0]) if len(set(values)) == 1 else "×".join(str(v) for v in values)


def percent(fraction: float | None, empty: str = "—") -> str:
    """A fraction as a percentage with one decimal: 0.9712 -> '97.1%'; None -> ``empty``."""
    return empty if fraction is None else f"{100 * fraction:.1f}%"


def share(part: float, whole: float) -> str:
    """``part``'s share of ``whole``: (3, 8) -> '37.5%'; '' when either is zero (an empty cell)."""
    return f"{100 * part / whole:.1f}%" if whole and part else ""


def rf_size(rf, untracked: str = "—") -> str:
    """A receptive field in a table cell: '7' (square), '7×5', 'global', or ``untracked`` for None.
    ``rf`` is a ``report.ReceptiveField`` (read by its fields: this module imports no model)."""
    if rf is None:
        return untracked
    return "global" if rf.is_global else per_axis(rf.size)
