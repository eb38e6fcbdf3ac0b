"""``cnnscope app``: the Streamlit server, started after torch and the zoo are loaded.

``streamlit run app.py`` works as well, but its first visitor waits while the server process
imports torch and torchvision.  Here that happens before the server says it is ready.
"""

from __future__ import annotations

import sys


def add_parser(subparsers) -> None:
    app = subparsers.add_parser("app", help="start the browser app (Streamlit), warmed up")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="127.0.0.1", help="interface to listen on (default: this machine only)")


def warm_up() -> None:
    """Import what every page needs and run one tiny trace, so the first visit is quick."""
    import importlib

    import plotly.graph_objects  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    from cnnscope.analysis.analyze import analyze
    from cnnscope.app.pages import PAGES
    from cnnscope.zoo import list_models

    for page in PAGES:
        importlib.import_module(page.module)
    list_models()
    analyze("lenet5")


def run(args) -> int:
    from importlib.util import find_spec

    from cnnscope.errors import UsageError

    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: choose a port between 1 and 65535")
    warm_up()
    script = find_spec("cnnscope.app.streamlit_app").origin
    sys.argv = ["streamlit", "run", script, "--server.port", str(args.port), "--server.address", args.address,
                "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    from streamlit.web.cli import main

    return main()


run.keeps_stdout = True  # streamlit prints its address on stdout
