"""The app's finished training runs on disk, one folder per visitor, so that a browser reload
(a new Streamlit session) finds them again.

A visitor is a random token in the page's URL (``?runs=<32 hex digits>``), made when they start
their first run; its runs live under ``$CNNSCOPE_APP_RUNS`` (default
``~/.cache/cnnscope/app-runs``) in ``<token>/run-001/``, ``run-002/`` ...  Each run folder has the
layout ``cnnscope train --out`` writes (``train/run_folder.py``: ``history.json``,
``history.csv``, ``model.pt`` and, when its best epoch is not its last, that epoch's weights in
``best.pt``), so ``cnnscope runs <folder>`` reads it, plus ``app.json`` (the run's label and the
model and input it was trained at), written last: a folder without it is a run still going on,
or one that never finished, and is not listed.

Disk use is capped: at most :data:`MAX_RUNS` runs per visitor (the oldest are deleted), and the
folders of visitors not seen for :data:`MAX_AGE_DAYS` days are deleted when a run is saved.
This module never calls Streamlit (the job's thread saves the run); ``app/training.py`` reads the
token from the URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from cnnscope.app.model_choice import Choice
from cnnscope.train.history import TrainHistory

ROOT_ENV = "CNNSCOPE_APP_RUNS"
TOKEN_PARAM = "runs"
APP_JSON = "app.json"
MAX_RUNS = 20          # runs kept per visitor: the oldest are deleted
MAX_AGE_DAYS = 14      # a visitor's folder untouched this long is deleted
STALE_S = 24 * 3600    # a run folder without app.json this old never finished (the server stopped)
TOKEN = re.compile(r"[0-9a-f]{32}")
RUN_NAME = re.compile(r"run-(\d{3,})")


def root() -> Path:
    configured = os.environ.get(ROOT_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "cnnscope" / "app-runs"


def new_token() -> str:
    import secrets

    return secrets.token_hex(16)


def valid_token(text) -> str | None:
    """The token when ``text`` is one (32 lower-case hex digits: nothing else names a folder), else None."""
    return text if isinstance(text, str) and TOKEN.fullmatch(text) else None


def visitor_folder(token: str) -> Path:
    if valid_token(token) is None:
        raise ValueError(f"not a run-store token: {token!r}")
    return root() / token


@dataclass
class StoredRun:
    number: int
    folder: Path
    label: str
    choice: Choice
    history: TrainHistory

    @property
    def has_best(self) -> bool:
        from cnnscope.train.run_folder import BEST_CHECKPOINT

        return (self.folder / BEST_CHECKPOINT).is_file()


def reserve(token: str) -> tuple[int, Path]:
    """The next run's number and its (new, empty) folder: ``mkdir`` without ``exist_ok`` claims it,
    so two runs of one visitor (two tabs) never share a folder."""
    from cnnscope.files import make_folder

    base = make_folder(visitor_folder(token))
    os.utime(base)  # seen now: not an old visitor's folder
    number = max(_numbers(base), default=0) + 1
    while True:
        folder = base / f"run-{number:03d}"
        try:
            folder.mkdir()
            return number, folder
        except FileExistsError:
            number += 1
        except OSError as error:
            from cnnscope.files import cannot_write

            raise cannot_write(folder, error) from None


def save(folder: Path, label: str, choice: Choice, model, history: TrainHistory) -> None:
    """The run folder's files (``run_folder``'s layout), then ``app.json``, each written atomically."""
    from cnnscope.files import write_text_atomic
    from cnnscope.train.run_folder import write_best, write_checkpoint, write_history

    write_history(folder, history)
    write_checkpoint(folder, model, history, best=False)
    write_best(folder, history, when_final_too=False)  # the same weights twice would only take disk
    write_text_atomic(folder / APP_JSON, json.dumps({"label": label, "choice": choice_to_dict(choice)}, indent=1))
    prune(folder.parent)
    prune_visitors(folder.parent.parent, keep=folder.parent.name)


def discard(folder: Path) -> None:
    """A reserved folder whose run recorded nothing (it failed before its first step)."""
    shutil.rmtree(folder, ignore_errors=True)


def load(token: str) -> list[StoredRun]:
    """The visitor's finished runs, oldest first; a folder that cannot be read is skipped."""
    base = root() / token if valid_token(token) else None
    if base is None or not base.is_dir():
        return []
    try:
        os.utime(base)  # seen now: not an old visitor's folder
    except OSError:
        pass
    runs = []
    for number in sorted(_numbers(base)):
        run = read(base / f"run-{number:03d}", number)
        if run is not None:
            runs.append(run)
    return runs


def finished_numbers(token: str) -> set[int]:
    """The numbers of the visitor's finished runs (a cheap look: no file is read)."""
    base = root() / token
    return {n for n in _numbers(base) if (base / f"run-{n:03d}" / APP_JSON).is_file()}


def read(folder: Path, number: int) -> StoredRun | None:
    from cnnscope.errors import CnnscopeError
    from cnnscope.train.run_folder import read_run

    try:
        meta = json.loads((folder / APP_JSON).read_text(encoding="utf-8"))
        return StoredRun(number, folder, str(meta["label"]), choice_from_dict(meta["choice"]), read_run(folder))
    except (OSError, ValueError, KeyError, TypeError, CnnscopeError):
        return None


def prune(base: Path, keep: int = MAX_RUNS) -> None:
    """At most ``keep`` finished runs (the newest); unfinished folders older than a day go too."""
    finished = [n for n in sorted(_numbers(base)) if (base / f"run-{n:03d}" / APP_JSON).is_file()]
    for number in finished[:-keep] if keep else finished:
        shutil.rmtree(base / f"run-{number:03d}", ignore_errors=True)
    now = time.time()
    for number in _numbers(base):
        folder = base / f"run-{number:03d}"
        try:
            if not (folder / APP_JSON).exists() and now - folder.stat().st_mtime > STALE_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            pass


def prune_visitors(store: Path, keep: str = "", days: float = MAX_AGE_DAYS) -> None:
    """Delete the folders of visitors not seen for ``days`` days (only token-named folders)."""
    limit = time.time() - days * 86400
    try:
        children = list(store.iterdir())
    except OSError:
        return
    for child in children:
        try:
            if child.name != keep and valid_token(child.name) and child.is_dir() and child.stat().st_mtime < limit:
                shutil.rmtree(child, ignore_errors=True)
        except OSError:
            pass


def choice_to_dict(choice: Choice) -> dict:
    return {"kind": choice.kind, "value": choice.value, "shape": list(choice.shape), "form": choice.form,
            "extra": [list(shape) for shape in choice.extra]}


def choice_from_dict(data: dict) -> Choice:
    return Choice(str(data["kind"]), str(data["value"]), tuple(int(n) for n in data["shape"]), str(data["form"]),
                  tuple(tuple(int(n) for n in shape) for shape in data.get("extra", [])))


def _numbers(base: Path) -> list[int]:
    try:
        names = [p.name for p in base.iterdir() if p.is_dir()]
    except OSError:
        return []
    return [int(m.group(1)) for name in names if (m := RUN_NAME.fullmatch(name))]
