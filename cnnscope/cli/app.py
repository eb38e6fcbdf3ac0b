"""``cnnscope app``: the Streamlit server, started after torch and the zoo are loaded.

Why a command besides ``streamlit run app.py``: that script exists only in a checkout, and its
first visitor waits while the server process imports torch and torchvision.  Here that happens
before the server says it is ready, and the script is the installed package's
``cnnscope/app/main.py``; the server listens on 127.0.0.1 by default, headless, without usage
statistics.
"""

from __future__ import annotations

import sys
from cnnscope.i18n import _


def add_parser(subparsers) -> None:
    app = subparsers.add_parser("app", help=_("start the browser app (Streamlit), warmed up"))
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="127.0.0.1", help=_("interface to listen on (default: this machine only)"))


def warm_up() -> None:
    """Import the libraries the pages draw with, list the zoo and run one tiny trace, so the first
    visit is quick.  The app's own modules are left to the server: they cost milliseconds, and their
    ``st.cache_data`` functions, declared outside a Streamlit runtime, log "No runtime found"."""
    import plotly.graph_objects  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401

    from cnnscope.analysis.analyze import analyze
    from cnnscope.zoo import list_models

    list_models()
    analyze("lenet5")


def run(args) -> int:
    from importlib.util import find_spec

    from cnnscope.errors import UsageError

    if not 1 <= args.port <= 65535:
        raise UsageError(_("--port {port}: choose a port between 1 and 65535").format(port=args.port))
    warm_up()
    script = find_spec("cnnscope.app.main").origin  # run as a script, it calls run()
    sys.argv = ["streamlit", "run", script, "--server.port", str(args.port), "--server.address", args.address,
                "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    from streamlit.web.cli import main

    return main()


run.keeps_stdout = True  # streamlit prints its address on stdout
