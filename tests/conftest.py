import os

import pytest

os.environ.setdefault("CNNSCOPE_DEBUG", "0")
os.environ["CNNSCOPE_CACHE"] = "0"  # tests measure the analysis, not a cache (test_cache.py turns it on)


@pytest.fixture
def analyze():
    from cnnscope import analyze

    return analyze
