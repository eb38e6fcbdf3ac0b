"""The app's tests keep their training runs in a temporary folder, not in ~/.cache (app/run_store.py)."""

import os
import tempfile

# set before any app test (and any server a browser test starts) reads it; a test may point it elsewhere
os.environ.setdefault("CNNSCOPE_APP_RUNS", tempfile.mkdtemp(prefix="cnnscope-app-runs-"))
