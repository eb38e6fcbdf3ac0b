"""The one output sink of the commands, and the one place where errors become a line.

Rendered text goes to standard output (``-o -`` too), or with ``-o`` atomically to a file
(``cnnscope/files.py``; devices and pipes are written into directly).  A
:class:`~cnnscope.errors.CnnscopeError` -- or a foreign exception that
``cnnscope.errors.user_error`` knows to be bad input (not UTF-8, image too large, an OS error on a
named file) -- becomes one line on standard error and its exit code; anything else is a bug:
``internal error``, exit 70.  ``CNNSCOPE_DEBUG=1`` lets the traceback through.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cnnscope.export.formats import PICTURES
from cnnscope.i18n import _

INTERNAL_ERROR = 70


def emit(text: str, output: str | None = None) -> None:
    """``text`` to standard output (also for ``-o -``), or atomically to the file ``output``."""
    if output and output != "-":
        from cnnscope.files import write_text_atomic

        write_text_atomic(output, text)
    else:
        results().write(text)


def say(line: str) -> None:
    """One line of the command's result on standard output (``wrote arch.svg``)."""
    results().write(line + "\n")


def note(line: str) -> None:
    """A remark on standard error that is not the result."""
    sys.stderr.write(line + "\n")


def picture_format(output: str) -> str:
    """PIL's format name for ``-o``; anything but .png/.jpg is a usage error."""
    from cnnscope.errors import UsageError

    try:
        return PICTURES[Path(output).suffix.lower()]
    except KeyError:
        raise UsageError(_("-o {output}: write a .png or .jpg picture").format(output=output)) from None


def is_picture(output: str | None) -> bool:
    return bool(output) and Path(output).suffix.lower() in PICTURES


def write_picture(image, output: str) -> None:
    """A PIL image, atomically, as the format the suffix of ``output`` names."""
    import io

    from cnnscope.files import write_bytes_atomic

    buffer = io.BytesIO()
    image.save(buffer, format=picture_format(output))
    write_bytes_atomic(output, buffer.getvalue())


def terminal_width(least: int = 100) -> int:
    """The terminal's width (``COLUMNS`` wins, as in every POSIX tool), at least ``least``; 120 in a pipe."""
    import shutil

    return max(shutil.get_terminal_size(fallback=(120, 24)).columns, least)


def status(message: str):
    """A spinner on stderr while slow work runs (nothing when stderr is not a terminal)."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def run_guarded(command, args) -> int:
    """Run ``command(args)``; known errors become one line on stderr and their exit code.

    While the command runs, ``print()`` (a model's forward, a library) goes to stderr, so that
    stdout holds only the result that ``emit``/``say`` write (``--format json`` stays parseable).
    A command function with ``keeps_stdout = True`` (``cnnscope app``) is left alone.
    """
    from contextlib import nullcontext, redirect_stdout

    from cnnscope.errors import user_error

    global _RESULTS
    debug = os.environ.get("CNNSCOPE_DEBUG") == "1"
    keep = getattr(command, "keeps_stdout", False)
    _RESULTS = sys.stdout
    try:
        with nullcontext() if keep else redirect_stdout(sys.stderr):
            return command(args)
    except KeyboardInterrupt:
        sys.stderr.write(_("cnnscope: interrupted") + "\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 - known errors are one line; anything else is a bug
        if debug:
            raise
        try:
            _RESULTS.flush()
        except (OSError, ValueError):
            pass
        known = user_error(error)
        if known is not None:
            sys.stderr.write(_("cnnscope: error: {message}").format(message=one_line(str(known))) + "\n")
            return known.exit_code
        sys.stderr.write(_("cnnscope: internal error: {kind}: {message} (run with CNNSCOPE_DEBUG=1 for the "
                           "traceback, and please report it)").format(
                               kind=type(error).__name__, message=one_line(str(error), first_only=True)) + "\n")
        return INTERNAL_ERROR
    finally:
        _RESULTS = None


MAX_LINE = 1000


def one_line(text: str, first_only: bool = False) -> str:
    """``text`` as one line (its lines joined, or only the first), at most MAX_LINE characters."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = (lines[0] if lines else "") if first_only else " ".join(lines)
    return line if len(line) <= MAX_LINE else line[:MAX_LINE - 1] + "…"


def results() -> object:
    """The stream results go to: the real stdout while a command runs (print() goes to stderr)."""
    return _RESULTS or sys.stdout


_RESULTS = None
