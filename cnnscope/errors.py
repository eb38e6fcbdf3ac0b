"""Errors that carry a one-line, user-facing message.

Front ends print ``str(error)`` and exit non-zero; only ``CNNSCOPE_DEBUG=1`` shows a traceback.
Anything that is *not* a :class:`CnnscopeError` is a bug in cnnscope, not bad input.  To say which
model or option an error is about, use :func:`prefixed`, never ``type(error)(...)``: constructors differ.
"""

from __future__ import annotations

from cnnscope.i18n import N_, _


class CnnscopeError(Exception):
    """Base class: the message is one line a user can act on."""

    exit_code = 1

    def __reduce__(self):  # pickle without the constructor, which may take other arguments than ``args``
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type, args: tuple, state: dict) -> CnnscopeError:
    """An instance of ``cls`` with these ``args`` (the message) and attributes, its constructor not called."""
    error = cls.__new__(cls)
    error.__dict__.update(state)
    error.args = args
    return error


class UsageError(CnnscopeError):
    """Malformed command-line value (``--input``, ``--format`` ...)."""

    exit_code = 2


class LayerNotFoundError(UsageError, KeyError):
    """A layer name -- a report row or a module path -- the model does not have.

    The message suggests the closest names (difflib).  It is also a ``KeyError``, so code that
    catches ``KeyError`` from ``ModelReport.layer`` keeps working; ``str()`` is the plain message
    (KeyError's own ``str()`` would quote it).
    """

    def __init__(self, name: str, candidates=(), where: str = N_("this model"), message: str | None = None):
        self.name = name
        self.suggestions = close_names(name, candidates)
        if message is None:
            where = _(where)
            if self.suggestions:
                message = _("no layer named {name!r} in {where}; did you mean {names}?").format(
                    name=name, where=where, names=", ".join(self.suggestions))
            else:
                message = _("no layer named {name!r} in {where}").format(name=name, where=where)
        super().__init__(message)

    def __str__(self) -> str:
        return Exception.__str__(self)  # the message, as every CnnscopeError (KeyError's own would quote it)

    @property
    def message(self) -> str:
        return str(self)


def prefixed(error: CnnscopeError, prefix: str) -> CnnscopeError:
    """``error`` with ``prefix: `` before its message (``resnet5: unknown model 'resnet5'``).

    The same class, so the same exit code, and the same attributes (``layer``, ``partial``,
    ``location``, ``history`` ...); built without calling the class's constructor, which may take
    other arguments than a message (``LayerNotFoundError(name, candidates)``, ``SpecError(message,
    location)``).  Raise it ``from error`` to keep the original in the traceback."""
    return reworded(error, f"{prefix}: {error}")


def reworded(error: CnnscopeError, message: str) -> CnnscopeError:
    """``error`` with another message: the same class, exit code and attributes (see :func:`prefixed`)."""
    return _rebuilt(type(error), (message,), error.__dict__)


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


def user_error(error: BaseException) -> CnnscopeError | None:
    """The one-line error for an exception that is bad input or a full disk, not a bug; None for a bug.

    The one place (with ``cli/output.py:run_guarded`` and the app's guard, which both call it) that
    knows which foreign exceptions are the user's: decoding errors, PIL's image-size limit, memory,
    and OS errors on a named file.  Imports nothing heavy: PIL is looked at only if it is loaded.
    """
    import sys

    if isinstance(error, CnnscopeError):
        return error
    if isinstance(error, UnicodeDecodeError):
        return InputError(_("not UTF-8 text (byte {byte!r} at position {position}); save the file as UTF-8").format(
            byte=error.object[error.start:error.start + 1], position=error.start))
    image = sys.modules.get("PIL.Image")
    if image is not None and isinstance(error, getattr(image, "DecompressionBombError", ())):
        return InputError(image_too_large(str(error)))
    if isinstance(error, MemoryError):
        return CnnscopeError(_("out of memory: try a smaller input, model or batch"))
    if isinstance(error, RecursionError):
        return CnnscopeError(_("nested too deeply (Python's recursion limit): a deeply nested input or model"))
    if isinstance(error, OSError) and error.filename:
        import errno

        reasons = {errno.ENOSPC: N_("no space left on the device"), errno.EACCES: N_("permission denied"),
                   errno.EPERM: N_("permission denied"), errno.EROFS: N_("read-only file system"),
                   errno.ENOENT: N_("no such file or folder"), errno.EISDIR: N_("is a folder"),
                   errno.ENOTDIR: N_("a part of the path is not a folder"), errno.EDQUOT: N_("disk quota exceeded")}
        known = reasons.get(error.errno)
        reason = _(known) if known else (error.strerror or type(error).__name__).lower()
        return CnnscopeError(f"{error.filename}: {reason}")
    return None


def require_file(path, error: type[CnnscopeError], a_kind: str, kind: str) -> None:
    """Every input file the user names (a spec, an image, weights, ``file.py``) is checked alike: a
    folder is ``error("P: is a folder, not <a_kind>")``, a missing path ``error("P: no such <kind>")``."""
    if path.is_dir():
        raise error(_("{path}: is a folder, not {a_kind}").format(path=path, a_kind=_(a_kind)))
    if not path.is_file():
        raise error(_("{path}: no such {kind}").format(path=path, kind=_(kind)))


def image_too_large(text: str = "", pixels: int | None = None, limit: int | None = None) -> str:
    """``image too large (400 Mpixels; limit 89 Mpixels)``, from PIL's message or the numbers."""
    import re

    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if pixels is None and numbers:
        pixels = numbers[0]
    if limit is None and len(numbers) > 1:
        limit = numbers[1]
    if pixels and limit:
        return _("image too large ({pixels:,.0f} Mpixels; limit {limit:,.0f} Mpixels); scale it down first").format(
            pixels=pixels / 1e6, limit=limit / 1e6)
    if pixels:
        return _("image too large ({pixels:,.0f} Mpixels); scale it down first").format(pixels=pixels / 1e6)
    if limit:
        return _("image too large (too many pixels; limit {limit:,.0f} Mpixels); scale it down first").format(
            limit=limit / 1e6)
    return _("image too large (too many pixels); scale it down first")
