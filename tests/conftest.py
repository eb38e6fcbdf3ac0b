import os

import pytest

os.environ.setdefault("CNNSCOPE_DEBUG", "0")
os.environ["CNNSCOPE_CACHE"] = "0"  # tests measure the analysis, not a cache (test_cache.py turns it on)


@pytest.fixture
def analyze():
    from cnnscope import analyze

    return analyze


@pytest.fixture
def one_thread():
    """One intra-op thread: on a shared, busy machine two threads stall each other (see docs/training.md)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
