"""The CLI's report cache: a hit needs no analysis; any change of code, versions or input misses."""

import pytest

import cnnscope.analysis.analyze as analysis
from cnnscope import cache
from cnnscope.cli import main


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNSCOPE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_second_summary_is_served_from_the_cache(cache_dir, capsys, monkeypatch):
    assert main(["summary", "resnet_mini", "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert len(list(cache_dir.glob("*.json"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("analysed again")

    monkeypatch.setattr(analysis, "analyze", fail)
    assert main(["summary", "resnet_mini", "--format", "json"]) == 0
    assert capsys.readouterr().out == first


def test_inputs_versions_and_code_change_the_key(cache_dir, capsys, monkeypatch):
    main(["summary", "lenet5", "--format", "json"])
    main(["summary", "lenet5", "--input", "2,1,28,28", "--format", "json"])
    assert len(list(cache_dir.glob("*.json"))) == 2
    before = cache._path("lenet5", None)
    monkeypatch.setattr(cache, "fingerprint", lambda: "another torch or another cnnscope")
    assert cache._path("lenet5", None) != before
    capsys.readouterr()


def test_specs_and_files_are_never_cached(cache_dir, capsys):
    main(["summary", "in1x8x8,c3-4,flat,fc2", "--format", "json"])
    assert not cache_dir.exists() or not list(cache_dir.glob("*.json"))
    capsys.readouterr()


def test_cache_off_and_damaged_entries(cache_dir, capsys, monkeypatch):
    main(["summary", "lenet5", "--format", "json"])
    (entry,) = cache_dir.glob("*.json")
    entry.write_text("{ damaged")
    assert main(["summary", "lenet5", "--format", "json"]) == 0  # a damaged entry is a miss
    assert '"schema_version": 1' in capsys.readouterr().out
    monkeypatch.setenv("CNNSCOPE_CACHE", "0")
    assert cache.directory() is None
