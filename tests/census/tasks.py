"""Census tasks that misbehave on purpose, for the engines' tests: top-level functions, so that a worker
process (or a Ray worker) can import them by reference.

``behave(name, options)`` does what the name says before it answers:
``ok-*`` answers at once, ``sleep-*`` sleeps ``options["seconds"]`` (default 0.2), ``raise-*`` raises,
``exit-*`` calls ``os._exit(3)``, ``kill-*`` SIGKILLs its own process, ``kill-once-*`` does so only the
first time (a marker file in ``options["folder"]``, where every model also
writes ``NAME.pid``), ``hang-*`` spins in a busy loop, ``nap-*`` sleeps for
an hour, ``late-*`` answers and SIGKILLs its process 0.05 s later, ``leak-*`` keeps ``options["leak_mb"]`` MB for good.  The row holds the worker's pid and its
resident memory after the model (``rss``, bytes).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from cnnscope.studies.census.pool import resident_bytes

_KEPT: list[bytes] = []  # what leak-* models leave behind


def behave(name: str, options: dict | None = None) -> dict:
    options = options or {}
    kind = name.split("-")[0]
    if "folder" in options:  # say who runs it, for the tests that check the process is gone afterwards
        (Path(options["folder"]) / f"{name}.pid").write_text(str(os.getpid()))
    if name.startswith("kill-once-"):
        marker = Path(options["folder"]) / name
        if not marker.exists():
            marker.write_text("died once")
            os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "sleep":
        time.sleep(options.get("seconds", 0.2))
    elif kind == "raise":
        raise ValueError(f"{name} fails on purpose")
    elif kind == "exit":
        os._exit(3)
    elif kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "hang":
        while True:
            pass
    elif kind == "nap":
        time.sleep(3600)
    elif kind == "late":
        import threading

        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGKILL)).start()
    elif kind == "leak":
        _KEPT.append(b"\x01" * (options["leak_mb"] * 2**20))  # written, so resident
    return {"name": name, "status": "ok", "error": "", "pid": os.getpid(), "rss": resident_bytes()}
