"""The smallest square input a network accepts, found by tracing on the meta device."""

from __future__ import annotations

from cnnscope.analysis.preflight import TooSmallError

_LIMIT = 8192


def smallest_square_input(fits, start: int) -> int | None:
    """Smallest ``s > start`` with ``fits(s)`` true (``fits`` is monotone); None past the limit."""
    low, high = start, max(start * 2, 2)
    while not fits(high):
        low, high = high, high * 2
        if high > _LIMIT:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle
    return high


def passes_size_checks(run) -> bool:
    """True unless ``run()`` fails because a spatial size fell below 1."""
    try:
        run()
    except TooSmallError:
        return False
    except Exception:  # noqa: BLE001 - a later, different failure still means the size fits
        return True
    return True
