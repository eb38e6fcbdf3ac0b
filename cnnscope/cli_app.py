"""``cnnscope app``: the Streamlit server, started after torch and the zoo are loaded.

``streamlit run app.py`` works as well, but its first visitor waits while the server process
imports torch and torchvision.  Here that happens before the server says it is ready.
"""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(commands) -> None:
    app = commands.add_parser("app", help="start the browser app (Streamlit), warmed up")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="127.0.0.1", help="interface to listen on (default: this machine only)")


def warm_up() -> None:
    """Import what every first page needs and run one tiny trace, so the first visit is quick."""
    import importlib

    import plotly.graph_objects  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    from cnnscope.analysis.analyze import analyze

    for page in ("summary", "rf", "visuals", "compare", "train", "export"):
        importlib.import_module(f"cnnscope.app.pages.{page}")
    from cnnscope.zoo import list_models

    list_models()
    analyze("lenet5")


def run_app(args) -> int:
    from cnnscope.errors import UsageError

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: choose a port between 1 and 65535")
    warm_up()
    script = Path(__file__).resolve().parent / "app" / "streamlit_app.py"
    sys.argv = ["streamlit", "run", str(script), "--server.port", str(args.port), "--server.address", args.address,
                "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    from streamlit.web.cli import main

    return main()
