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
