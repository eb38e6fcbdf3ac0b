"""Census files: .parquet, .csv, .json and .html, read and written whole, atomically.

Every write replaces the file in one rename (``cnnscope/files.py``), so the file on disk is always a
complete census -- the previous one when the disk is full.  Every file says what it is:

* parquet: the key-value metadata ``format`` = ``cnnscope-census`` and ``version`` = ``1``;
* json: ``{"format": "cnnscope-census", "version": 1, "rows": [...]}``, one row per line;
* csv: the header is exactly the column list of this version (a CSV has nowhere else to say it);
* html: the explorer page (``census_explorer.render``), which carries its rows and ``meta``.

Reading a file of another kind or another version is one line (``InputError``), never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path, PurePath

from cnnscope.errors import InputError, UsageError
from cnnscope.i18n import _
from cnnscope.studies.census.columns import FORMAT, NAMES, TYPES, VERSION, conform

SUFFIXES = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".html": "html"}


class NotACensusError(InputError):
    """A file that is not a census of the format and version this cnnscope reads."""


def file_format(path) -> str:
    """The format ``path``'s suffix names; any other suffix is a one-line UsageError."""
    suffix = PurePath(str(path)).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(_("-o {path}: unknown suffix {suffix}; choose .parquet, .csv, .json or .html").format(
            path=path, suffix=suffix or _("(none)")))
    return SUFFIXES[suffix]


def meta() -> dict:
    """What a file says about itself (the html page and parquet's metadata carry it)."""
    return {"format": FORMAT, "version": VERSION}


# -- writing ------------------------------------------------------------------------------------------------

def encode(rows: list[dict], fmt: str, conformed: bool = False) -> bytes:
    """The bytes of a census file of ``rows`` in ``fmt`` (parquet, csv, json or html); ``conformed``: the
    rows already have exactly the columns, typed (``columns.conform``)."""
    rows = rows if conformed else [conform(row) for row in rows]
    return {"parquet": _parquet, "csv": _csv, "json": _json, "html": _html}[fmt](rows)


def write(path, rows: list[dict]) -> Path:
    """Replace ``path`` with a census of ``rows`` in one rename (the previous file stays whole if it fails:
    a full disk is a one-line ``OutputError``)."""
    from cnnscope.files import write_bytes_atomic

    return write_bytes_atomic(path, encode(rows, file_format(path)))


def _parquet(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64()}
    schema = pa.schema([(name, types[TYPES[name]]) for name in NAMES],
                       metadata={"format": FORMAT, "version": str(VERSION)})
    table = pa.Table.from_pylist(rows, schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _csv(rows: list[dict]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=NAMES, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return text.getvalue().encode("utf-8")


def _json(rows: list[dict]) -> bytes:
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    head = json.dumps({"format": FORMAT, "version": VERSION}, ensure_ascii=False)[:-1]
    return f"{head}, \"rows\": [\n{lines}\n]}}\n".encode("utf-8")


def _html(rows: list[dict]) -> bytes:
    return require_explorer().render(rows, meta()).encode("utf-8")


def require_explorer():
    try:
        from cnnscope.export import census_explorer
    except ImportError:
        raise UsageError(_("this cnnscope cannot write or read the census explorer page (.html) yet; "
                           "write .parquet, .csv or .json")) from None
    return census_explorer


# -- reading ------------------------------------------------------------------------------------------------

def read(path) -> list[dict]:
    """The rows of the census file ``path``, each with exactly the columns, typed.  An empty file holds
    none; a file of another kind or version is a one-line ``NotACensusError``."""
    fmt = file_format(path)
    data = Path(path).read_bytes()
    if not data.strip():
        return []
    rows = {"parquet": _read_parquet, "csv": _read_csv, "json": _read_json, "html": _read_html}[fmt](data, path)
    return [_conform_stored(row, number, path) for number, row in enumerate(rows, 1)]


def _conform_stored(row: dict, number: int, path) -> dict:
    """``conform(row)``, or the one line that names the row (counted from 1) and the column that is not what
    the census holds there: a figure edited into a word, a JSON list, a row without a name."""
    try:
        result = conform(row)
    except (TypeError, ValueError, OverflowError):
        for column in NAMES:
            try:
                conform({column: row.get(column)})
            except (TypeError, ValueError, OverflowError):
                raise NotACensusError(_("{path}: row {n}: {column} is {value}, not a number").format(
                    path=path, n=number, column=column, value=repr(row.get(column)))) from None
        raise not_a_census(path) from None
    if not result["name"]:
        raise NotACensusError(_("{path}: row {n} has no name").format(path=path, n=number))
    return result


def not_a_census(path) -> NotACensusError:
    return NotACensusError(_("{path} is not a cnnscope census file (format {version})").format(
        path=path, version=VERSION))


def _check_version(found, path) -> None:
    if str(found) != str(VERSION):
        raise NotACensusError(_("{path} is census format {found}, this cnnscope reads {version}").format(
            path=path, found=found, version=VERSION))


def _read_parquet(data: bytes, path) -> list[dict]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError):
        raise not_a_census(path) from None
    metadata = table.schema.metadata or {}
    if metadata.get(b"format") != FORMAT.encode():
        raise not_a_census(path)
    _check_version(metadata.get(b"version", b"?").decode("utf-8", "replace"), path)
    return table.to_pylist()


def _read_csv(data: bytes, path) -> list[dict]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise not_a_census(path) from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    if header != NAMES:
        raise not_a_census(path)
    rows = []
    for values in reader:
        if len(values) != len(NAMES):
            raise not_a_census(path)
        rows.append(dict(zip(NAMES, values)))
    return rows


def _read_json(data: bytes, path) -> list[dict]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise not_a_census(path) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise not_a_census(path)
    _check_version(document.get("version"), path)
    rows = document.get("rows")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise not_a_census(path)
    return rows


def _read_html(data: bytes, path) -> list[dict]:
    explorer = require_explorer()
    try:
        found, rows = explorer.rows_from_html(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise not_a_census(path) from None
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise not_a_census(path)
    _check_version(found.get("version"), path)
    return rows


# -- a census being made --------------------------------------------------------------------------------------

class LiveFile:
    """The file of a census in progress: each finished row is in it within ``every`` seconds.

    ``put(row)`` replaces the model's row and rewrites the whole file (one rename, so the file is a
    complete census at every moment) -- at once when the last rewrite is old enough, else from a timer
    when that time is up, so that a burst of fast models costs one rewrite, not one each.  Old enough:
    ``every`` seconds, or 20 times the last rewrite's own time when that is longer, so that rewriting
    never takes more than 5 % of the process that also waits on the workers (a rewrite of 1,400 rows
    costs 30-75 ms on the busy 2-core machine, the .html page the most: benchmarks/census_rewrite.py,
    docs/benchmarks.md).  ``close()`` writes what is pending.  A write that fails in the timer (a full disk) is raised by the next ``put`` or
    ``close``; the file on disk is then still the last complete one.

    Row order: the file's own rows first (where they were), then new models in ``order``."""

    def __init__(self, path, rows: dict[str, dict], order: list[str] = (), every: float = 0.5):
        import threading

        self.path = path
        self.rows = {name: conform(row) for name, row in rows.items()}
        self.place = {name: k for k, name in enumerate(dict.fromkeys([*rows, *order]))}
        self.every = every
        self.lock = threading.Lock()
        self.timer = None
        self.last = float("-inf")
        self.cost = 0.0  # seconds the last rewrite took
        self.dirty = False
        self.failure: BaseException | None = None
        self.fmt = file_format(path)

    def put(self, row: dict) -> None:
        import time

        self._raise_failure()
        with self.lock:
            self.rows[row["name"]] = conform(row)
            self.place.setdefault(row["name"], len(self.place))
            self.dirty = True
            wait = self.last + max(self.every, 20 * self.cost) - time.monotonic()
            if wait <= 0:
                self._write_locked()
            elif self.timer is None:
                self._schedule(wait)

    def ordered(self) -> list[dict]:
        return sorted(self.rows.values(), key=lambda row: self.place[row["name"]])

    def close(self) -> None:
        """Write what is pending (also after Ctrl-C or an error), stop the timer."""
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if self.dirty:
                self._write_locked()
        self._raise_failure()

    def _schedule(self, wait: float) -> None:
        import threading

        self.timer = threading.Timer(wait, self._on_timer)
        self.timer.daemon = True
        self.timer.start()

    def _on_timer(self) -> None:
        with self.lock:
            self.timer = None
            if self.dirty and self.failure is None:
                try:
                    self._write_locked()
                except BaseException as error:  # noqa: BLE001 - handed to the main thread
                    self.failure = error

    def _write_locked(self) -> None:
        import time

        from cnnscope.files import write_bytes_atomic

        start = time.monotonic()
        write_bytes_atomic(self.path, encode(self.ordered(), self.fmt, conformed=True))
        self.dirty = False
        self.last = time.monotonic()
        self.cost = self.last - start

    def _raise_failure(self) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
