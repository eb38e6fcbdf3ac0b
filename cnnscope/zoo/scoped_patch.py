"""A patch of class attributes that acts only inside ``with`` blocks, and only in the threads inside them.

``meta_init.params_to_meta`` (parameters and buffers registered on meta) and
``torchvision_models.skip_weight_loading`` (no weights downloaded or loaded) both replace methods
of classes they do not own, for the length of a build.  This is their one mechanism: the
replacements are installed when the first block opens and the originals put back when the last
one closes (a counter under a lock), also when the block raises, so nested and concurrent blocks
share one installation and never restore a patched function.  The replacements ask ``active()``
whether the calling thread is inside a block; a thread outside is served as if nothing were
patched.  Imports nothing heavy: the targets are looked up when the first block opens.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator


class ScopedPatch:
    """``targets()`` -> [(owner, attribute name), ...]; ``replacements(*originals)`` -> the new values,
    in the same order (closures that call the originals, asking ``active()`` when to act)."""

    def __init__(self, targets: Callable[[], list[tuple[object, str]]], replacements: Callable[..., tuple]):
        self._targets = targets
        self._replacements = replacements
        self._lock = threading.Lock()
        self._local = threading.local()  # .depth: how many blocks this thread is inside
        self._users = 0  # blocks open in all threads
        self._saved: list[tuple[object, str, object]] | None = None  # (owner, name, original) while installed

    def active(self) -> bool:
        """Whether the calling thread is inside a block."""
        return getattr(self._local, "depth", 0) > 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                targets = self._targets()
                originals = [getattr(owner, name) for owner, name in targets]
                for (owner, name), value in zip(targets, self._replacements(*originals), strict=True):
                    setattr(owner, name, value)
                self._saved = [(owner, name, original) for (owner, name), original in zip(targets, originals)]
            self._users += 1
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    for owner, name, original in self._saved:
                        setattr(owner, name, original)
                    self._saved = None
