"""The CLI's report cache: a hit needs no analysis; any change of code, versions or input misses."""

import json

import pytest

import cnnscope.analysis.analyze as analysis
from cnnscope import cache
from cnnscope.report import SCHEMA_VERSION


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNSCOPE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_second_summary_is_served_from_the_cache(cache_dir, run_cli, monkeypatch):
    code, first, _ = run_cli("summary", "resnet_mini", "--format", "json")
    assert code == 0
    assert len(list(cache_dir.glob("*.json"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("analysed again")

    monkeypatch.setattr(analysis, "analyze", fail)
    code, second, _ = run_cli("summary", "resnet_mini", "--format", "json")
    assert code == 0 and second == first


def test_inputs_versions_and_code_change_the_key(cache_dir, run_cli, monkeypatch):
    run_cli("summary", "lenet5", "--format", "json")
    run_cli("summary", "lenet5", "--input", "2,1,28,28", "--format", "json")
    assert len(list(cache_dir.glob("*.json"))) == 2
    before = cache._path("lenet5", None)
    monkeypatch.setattr(cache, "fingerprint", lambda: "another torch or another cnnscope")
    assert cache._path("lenet5", None) != before


def test_specs_files_and_weights_are_never_cached(cache_dir, run_cli, tmp_path):
    run_cli("summary", "in1x8x8,c3-4,flat,fc2", "--format", "json")
    assert not cache_dir.exists() or not list(cache_dir.glob("*.json"))
    import torch

    import cnnscope

    weights = tmp_path / "lenet5.pt"
    torch.save(cnnscope.build_model("lenet5").state_dict(), weights)
    assert run_cli("summary", "lenet5", "--weights", weights, "--format", "json")[0] == 0
    assert not cache_dir.exists() or not list(cache_dir.glob("*.json"))


def test_cache_off_and_damaged_entries(cache_dir, run_cli, monkeypatch):
    run_cli("summary", "lenet5", "--format", "json")
    (entry,) = cache_dir.glob("*.json")
    entry.write_text("{ damaged")
    code, out, _ = run_cli("summary", "lenet5", "--format", "json")  # a damaged entry is a miss
    assert code == 0 and json.loads(out)["schema_version"] == SCHEMA_VERSION
    entry.write_text(json.dumps({"schema_version": -1}))  # another schema: a miss too, never an error
    code, out, _ = run_cli("summary", "lenet5", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 61_706
    monkeypatch.setenv("CNNSCOPE_CACHE", "0")
    assert cache.directory() is None


# A fresh interpreter runs a cached `summary` and lists what it imported: the point of the cache is that
# torch (over a second to import) is never loaded on a hit.
_IMPORTS_OF_A_CACHED_SUMMARY = """
import sys
from cnnscope.cli.main import main
code = main(sys.argv[1:])
print("\\nIMPORTED", sorted({name.split('.')[0] for name in sys.modules}))
sys.exit(code)
"""


@pytest.mark.parametrize("args", [("summary", "vgg16"), ("summary", "resnet_mini", "--format", "json")])
def test_a_cached_summary_imports_no_torch(cache_dir, run_cli, args):
    import subprocess
    import sys

    assert run_cli(*args)[0] == 0  # fills the cache
    done = subprocess.run([sys.executable, "-c", _IMPORTS_OF_A_CACHED_SUMMARY, *args], capture_output=True,
                          text=True, env={**__import__("os").environ, "CNNSCOPE_CACHE": str(cache_dir)})
    assert done.returncode == 0, done.stderr
    imported = done.stdout.rsplit("IMPORTED", 1)[1]
    assert "'torch'" not in imported and "'torchvision'" not in imported
    assert "'cnnscope'" in imported  # the probe itself worked
