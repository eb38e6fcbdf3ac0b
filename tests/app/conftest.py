"""The app's tests keep their training runs in a temporary folder, not in ~/.cache (app/run_store.py), and
share the ``app`` fixture: the app as a visitor first opens it (headless, streamlit.testing)."""

import os
import tempfile
from pathlib import Path

import pytest

# set before any app test (and any server a browser test starts) reads it; a test may point it elsewhere
os.environ.setdefault("CNNSCOPE_APP_RUNS", tempfile.mkdtemp(prefix="cnnscope-app-runs-"))


@pytest.fixture
def app():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    return at
