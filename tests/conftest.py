import os

import pytest

os.environ.setdefault("CNNSCOPE_DEBUG", "0")


@pytest.fixture
def analyze():
    from cnnscope import analyze

    return analyze
