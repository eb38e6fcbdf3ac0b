"""Census files: every format round-trips, other files and versions are refused in one line, writes are
atomic (a full disk keeps the previous file), and a census in progress is on disk within its interval."""

from __future__ import annotations

import errno
import json
import time

import pytest

from cnnscope.export import census_file
from cnnscope.export.census_file import LiveFile, NotACensusError
from cnnscope.studies.census import NAMES, failed_row, versions
from cnnscope.studies.census.columns import conform

FORMATS = ["parquet", "csv", "json", "html"]


def sample_rows() -> list[dict]:
    """Rows of every kind: ok with every number, a failed row of nulls, text that needs quoting."""
    ok = {name: None for name in NAMES}
    ok.update(versions())
    ok.update(name="resnet18", group="torchvision", family="resnet", input="3×224×224", params=11_689_512,
              macs=1_814_073_344, activation_bytes=22_322_592, training_bytes_adam=209_995_456, rf_layer="layer4",
              rf_size_h=435, rf_size_w=435, rf_jump_h=32, rf_jump_w=32, conv_rows=20, linear_rows=1,
              uncounted_ops=0, acc1=69.758, acc5=89.078, status="ok", error="", seconds=0.125,
              peak_memory_bytes=712_000_000)
    big = dict(ok, name="timm:huge", macs=3 * 10**14 + 7, acc1=None, acc5=None, group="timm", family="vit")
    failed = failed_row("net.py:Net", "error", 'net.py: building Net() failed: "quoted", with, commas', 0.5)
    crashed = failed_row("vgg16", "crashed", "its worker died twice", None, group="torchvision")
    return [ok, big, failed, crashed]


def _need(fmt: str) -> None:
    if fmt == "html":
        pytest.importorskip("cnnscope.export.census_explorer")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(fmt, tmp_path):
    _need(fmt)
    rows = sample_rows()
    path = tmp_path / f"zoo.{fmt}"
    census_file.write(path, rows)
    back = census_file.read(path)
    assert back == [conform(row) for row in rows]
    assert back[1]["macs"] == 3 * 10**14 + 7 and isinstance(back[0]["acc1"], float)
    assert back[2]["params"] is None and back[3]["seconds"] is None


def test_each_format_says_what_it_is(tmp_path):
    import pyarrow.parquet as pq

    census_file.write(tmp_path / "z.parquet", sample_rows())
    metadata = pq.read_schema(tmp_path / "z.parquet").metadata
    assert (metadata[b"format"], metadata[b"version"]) == (b"cnnscope-census", b"1")
    assert pq.read_schema(tmp_path / "z.parquet").names == NAMES
    census_file.write(tmp_path / "z.json", sample_rows())
    document = json.loads((tmp_path / "z.json").read_text(encoding="utf-8"))
    assert (document["format"], document["version"], list(document["rows"][0])) == ("cnnscope-census", 1, NAMES)
    census_file.write(tmp_path / "z.csv", sample_rows())
    assert (tmp_path / "z.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(NAMES)


def _other_parquet(path, version=None):
    import pyarrow as pa
    import pyarrow.parquet as pq

    metadata = None if version is None else {"format": "cnnscope-census", "version": str(version)}
    pq.write_table(pa.table({"a": [1, 2]}).replace_schema_metadata(metadata), path)


NOT_CENSUS = {
    "plain.json": lambda p: p.write_text('{"a": 1}'),
    "list.json": lambda p: p.write_text("[1, 2]"),
    "broken.json": lambda p: p.write_text('{"format": "cnnscope-cen'),
    "rows.json": lambda p: p.write_text('{"format": "cnnscope-census", "version": 1, "rows": [1]}'),
    "other.csv": lambda p: p.write_text("model,params\nresnet18,1\n"),
    "short.csv": lambda p: p.write_text(",".join(NAMES) + "\nresnet18,1\n"),
    "binary.csv": lambda p: p.write_bytes(b"\xff\xfe\x00garbage"),
    "text.parquet": lambda p: p.write_text("not parquet at all"),
    "plain.parquet": _other_parquet,
}


@pytest.mark.parametrize("name", sorted(NOT_CENSUS))
def test_other_files_are_refused(name, tmp_path):
    path = tmp_path / name
    NOT_CENSUS[name](path)
    with pytest.raises(NotACensusError) as caught:
        census_file.read(path)
    assert str(caught.value) == f"{path} is not a cnnscope census file (format 1)"


@pytest.mark.parametrize("suffix", ["json", "parquet"])
def test_another_version_is_refused(suffix, tmp_path):
    path = tmp_path / f"v2.{suffix}"
    if suffix == "json":
        path.write_text(json.dumps({"format": "cnnscope-census", "version": 2, "rows": []}))
    else:
        _other_parquet(path, version=2)
    with pytest.raises(NotACensusError) as caught:
        census_file.read(path)
    assert str(caught.value) == f"{path} is census format 2, this cnnscope reads 1"


def test_html_of_another_kind_is_refused(tmp_path):
    pytest.importorskip("cnnscope.export.census_explorer")
    path = tmp_path / "page.html"
    path.write_text("<html><body>a page</body></html>")
    with pytest.raises(NotACensusError, match="is not a cnnscope census file"):
        census_file.read(path)


def test_empty_file_holds_no_rows(tmp_path):
    (tmp_path / "new.json").write_text("")
    assert census_file.read(tmp_path / "new.json") == []


def test_unknown_suffix(tmp_path):
    from cnnscope.errors import UsageError

    with pytest.raises(UsageError, match=r"unknown suffix \.txt; choose \.parquet, \.csv, \.json or \.html"):
        census_file.write(tmp_path / "zoo.txt", [])


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_a_full_disk_keeps_the_previous_file(fmt, tmp_path, monkeypatch):
    import os

    from cnnscope.files import OutputError

    path = tmp_path / f"zoo.{fmt}"
    census_file.write(path, sample_rows()[:1])
    before = path.read_bytes()

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OutputError) as caught:
        census_file.write(path, sample_rows())
    assert str(caught.value) == f"cannot write {path}: no space left on the device"
    assert path.read_bytes() == before and census_file.read(path) == [conform(sample_rows()[0])]
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left behind


def test_live_file_writes_each_row_within_its_interval(tmp_path):
    path = tmp_path / "zoo.json"
    first, second, third = sample_rows()[:3]
    live = LiveFile(path, {}, [third["name"], second["name"], first["name"]], every=0.3)
    live.put(first)  # the first row is written at once
    assert [r["name"] for r in census_file.read(path)] == [first["name"]]
    live.put(second)  # within the interval: pending, written by the timer
    assert len(census_file.read(path)) == 1
    deadline = time.monotonic() + 5
    while len(census_file.read(path)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r["name"] for r in census_file.read(path)] == [second["name"], first["name"]]  # in the given order
    live.put(third)
    live.close()  # what is pending is written at once
    assert [r["name"] for r in census_file.read(path)] == [third["name"], second["name"], first["name"]]


def test_live_file_keeps_the_file_rows_first_and_replaces_by_name(tmp_path):
    path = tmp_path / "zoo.csv"
    old = sample_rows()
    census_file.write(path, old)
    live = LiveFile(path, {row["name"]: row for row in census_file.read(path)}, ["new", "vgg16"], every=0)
    again = dict(old[3], status="ok", error="")
    live.put(dict(old[0], name="new"))
    live.put(again)
    live.close()
    back = census_file.read(path)
    assert [r["name"] for r in back] == [r["name"] for r in old] + ["new"]
    assert back[3]["status"] == "ok"
