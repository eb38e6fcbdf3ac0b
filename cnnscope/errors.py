"""Errors that carry a one-line, user-facing message.

Front ends print ``str(error)`` and exit non-zero; only ``CNNSCOPE_DEBUG=1`` shows a traceback.
Anything that is *not* a :class:`CnnscopeError` is a bug in cnnscope, not bad input.
"""

from __future__ import annotations


class CnnscopeError(Exception):
    """Base class: the message is one line a user can act on."""

    exit_code = 1


class UsageError(CnnscopeError):
    """Malformed command-line value (``--input``, ``--format`` ...)."""

    exit_code = 2


class LayerNotFoundError(UsageError, KeyError):
    """A layer name -- a report row or a module path -- the model does not have.

    The message suggests the closest names (difflib).  It is also a ``KeyError``, so code that
    catches ``KeyError`` from ``ModelReport.layer`` keeps working; ``str()`` is the plain message
    (KeyError's own ``str()`` would quote it).
    """

    def __init__(self, name: str, candidates=(), where: str = "this model", message: str | None = None):
        self.name = name
        self.suggestions = close_names(name, candidates)
        if message is None:
            hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
            message = f"no layer named {name!r} in {where}{hint}"
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


def close_names(name: str, candidates, n: int = 3) -> list[str]:
    """Up to ``n`` names of ``candidates`` close to ``name``, best first (empty names left out)."""
    import difflib

    unique = list(dict.fromkeys(c for c in candidates if c))
    return difflib.get_close_matches(name, unique, n=n)


class ModelNotFoundError(CnnscopeError):
    """A model name or ``file.py:Name`` reference that cannot be resolved."""


class WeightsError(CnnscopeError):
    """A weights file that is missing, corrupt or does not fit the model."""


class ShapeError(CnnscopeError):
    """The forward pass failed on the given input shape.

    ``layer`` names the failing row (module path or functional name) and ``partial``
    holds the :class:`~cnnscope.report.ModelReport` of the rows traced before the failure.
    """

    def __init__(self, message: str, layer: str | None = None, partial=None):
        super().__init__(message)
        self.layer = layer
        self.partial = partial


class SpecError(CnnscopeError):
    """A spec file or one-line spec that cannot describe a network; ``location`` says where,
    e.g. ``layers[3].residual.layers[1].conv``."""

    def __init__(self, message: str, location: str = ""):
        super().__init__(f"{location}: {message}" if location else message)
        self.location = location
        self.reason = message


class InputError(CnnscopeError):
    """An input file the user handed in (an image) that cannot be used."""
