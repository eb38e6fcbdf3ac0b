"""Errors about an upload's saved copy name the upload, never the server's temporary folder."""

from __future__ import annotations

from pathlib import Path

from cnnscope.errors import CnnscopeError, reworded


class named_after_upload:  # noqa: N801 - used as a context manager, like contextlib's helpers
    """Inside the block, a CnnscopeError that quotes ``path`` quotes its file name instead."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, CnnscopeError) and self.path in str(error):
            raise reworded(error, str(error).replace(self.path, Path(self.path).name)).with_traceback(None) from None
        return False
