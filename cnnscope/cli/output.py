"""The one output sink of the commands, and the one place where errors become a line.

Rendered text goes to standard output, or with ``-o`` atomically to a file
(``cnnscope/export/files.py``).  A :class:`~cnnscope.errors.CnnscopeError` becomes one line on
standard error and its exit code; anything else is a bug: ``internal error``, exit 70.
``CNNSCOPE_DEBUG=1`` lets the traceback through.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

INTERNAL_ERROR = 70
PICTURE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def emit(text: str, output: str | None = None) -> None:
    """``text`` to standard output, or atomically to the file ``output``."""
    if output:
        from cnnscope.export.files import write_text_atomic

        write_text_atomic(output, text)
    else:
        sys.stdout.write(text)


def say(line: str) -> None:
    """One line of the command's result on standard output (``wrote arch.svg``)."""
    sys.stdout.write(line + "\n")


def note(line: str) -> None:
    """A remark on standard error that is not the result."""
    sys.stderr.write(line + "\n")


def picture_format(output: str) -> str:
    """PIL's format name for ``-o``; anything but .png/.jpg is a usage error."""
    from cnnscope.errors import UsageError

    try:
        return PICTURE_FORMATS[Path(output).suffix.lower()]
    except KeyError:
        raise UsageError(f"-o {output}: write a .png or .jpg picture") from None


def is_picture(output: str | None) -> bool:
    return bool(output) and Path(output).suffix.lower() in PICTURE_FORMATS


def write_picture(image, output: str) -> None:
    """A PIL image, atomically, as the format the suffix of ``output`` names."""
    import io

    from cnnscope.export.files import write_bytes_atomic

    buffer = io.BytesIO()
    image.save(buffer, format=picture_format(output))
    write_bytes_atomic(output, buffer.getvalue())


def terminal_width(least: int = 100) -> int:
    try:
        return max(os.get_terminal_size().columns, least)
    except OSError:
        return 120


def status(message: str):
    """A spinner on stderr while slow work runs (nothing when stderr is not a terminal)."""
    from contextlib import nullcontext

    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def run_guarded(command, args) -> int:
    """Run ``command(args)``; known errors become one line on stderr and their exit code."""
    from cnnscope.errors import CnnscopeError

    debug = os.environ.get("CNNSCOPE_DEBUG") == "1"
    try:
        return command(args)
    except CnnscopeError as error:
        if debug:
            raise
        sys.stdout.flush()
        sys.stderr.write(f"cnnscope: error: {error}\n")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("cnnscope: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # noqa: BLE001 - a bug: still one line unless debugging
        if debug:
            raise
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        sys.stderr.write(f"cnnscope: internal error: {type(error).__name__}: {first} "
                         "(run with CNNSCOPE_DEBUG=1 for the traceback, and please report it)\n")
        return INTERNAL_ERROR
