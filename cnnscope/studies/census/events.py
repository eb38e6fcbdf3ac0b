"""What a census engine reports while it runs: a model began on a worker, or its row is ready.

Both engines (``pool.run_local`` and ``ray_engine.run_ray``) yield these, in the order things happen, so
that the front end can show progress and write each row as soon as it exists.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Started:
    """``name`` began on ``worker`` (``pid 1234`` for a local process, ``ray`` for a Ray task)."""

    name: str
    worker: str


@dataclass(frozen=True)
class Finished:
    """``name``'s row is ready: status ok, error, timeout (past the per-model limit) or crashed (its
    worker died twice)."""

    name: str
    row: dict
