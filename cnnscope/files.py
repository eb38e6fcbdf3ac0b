"""Writing files: only where asked, atomically (a temporary file in the same folder, then rename).

Only regular files (or paths that do not exist yet) are written atomically.  A device
(``/dev/null``, ``/dev/stdout``), a named pipe or a socket is written into directly: renaming a
temporary file over it would replace the device node with a text file.  (``-``, standard
output, is handled by the CLI's ``emit``.)  A path that cannot be written is a one-line
:class:`OutputError` (exit 2) saying why.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from cnnscope.errors import UsageError
from cnnscope.i18n import N_, _


class OutputError(UsageError):
    """An output path (``-o``, ``--out``) that cannot be written: the reason, in words."""


REASONS = {
    errno.EACCES: N_("permission denied"), errno.EPERM: N_("permission denied"), errno.EROFS: N_("read-only file system"),
    errno.ENOENT: N_("no such folder"), errno.ENOTDIR: N_("a part of the path is not a folder"),
    errno.EISDIR: N_("is a folder"), errno.ENOSPC: N_("no space left on the device"),
    errno.EDQUOT: N_("disk quota exceeded"), errno.ENAMETOOLONG: N_("the name is too long"),
    errno.EEXIST: N_("exists"), errno.EXDEV: N_("cannot rename across file systems")}


def cannot_write(path, error: OSError) -> OutputError:
    """The one-line error for an ``OSError`` met while writing ``path``."""
    known = REASONS.get(error.errno)
    reason = _(known) if known else (error.strerror or type(error).__name__).lower()
    return OutputError(_("cannot write {path}: {reason}").format(path=path, reason=reason))


STREAM_FOLDERS = ("/dev/", "/proc/")  # never rename anything there: /dev/stdout may point at a regular file


def is_stream(path: str | Path) -> bool:
    """``-``, anything under /dev or /proc (``/dev/stdout`` is a link to ``/proc/self/fd/1``, which
    may be a regular file the shell redirected into), or an existing device, pipe or socket: written
    into directly, never renamed over."""
    text = str(path)
    if text == "-" or os.path.abspath(text).startswith(STREAM_FOLDERS) \
            or os.path.realpath(text).startswith(STREAM_FOLDERS):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_writable(path: str | Path) -> Path:
    """Fail early (before any work) when ``path`` cannot be an output: a folder, a missing folder."""
    path = Path(path)
    if is_stream(path):
        return path
    if path.is_dir():
        raise OutputError(_("cannot write {path}: is a folder").format(path=path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        if folder.exists():
            raise OutputError(_("cannot write {path}: {folder} is not a folder").format(path=path, folder=folder))
        raise OutputError(_("cannot write {path}: no such folder ({folder} does not exist)").format(
                              path=path, folder=folder))
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    check_writable(path)
    if is_stream(path):
        try:
            with open(path, "wb") as stream:
                stream.write(data)
        except OSError as error:
            raise cannot_write(path, error) from None
        return path
    target = Path(os.path.realpath(path))  # through a symbolic link: replace its target, keep the link
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise cannot_write(path, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def make_folder(path: str | Path) -> Path:
    """``mkdir -p``, with a one-line error (``train --out``)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise cannot_write(path, error) from None
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name the same existing file (however they are spelled)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def refuse_output_over_inputs(output: str | Path | None, inputs) -> None:
    """An output that is one of the inputs is refused before any work starts."""
    if not output or str(output) == "-" or is_stream(output):
        return
    for source in inputs:
        if not source:
            continue
        source = str(source)
        for name in {source, source.rpartition(":")[0]} - {""}:  # file.py:Name names file.py
            if same_file(output, name):
                raise OutputError(_("-o {output}: is the input {name}; choose another output file").format(
                                      output=output, name=name))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
