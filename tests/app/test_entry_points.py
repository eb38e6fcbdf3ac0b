"""The app's entry points: `streamlit run app.py` (tests/app/test_pages.py runs it headless) and
`cnnscope app`, which warms up silently and then has Streamlit run the package's main.py."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_cnnscope_app_warms_up_without_streamlit_warnings():
    """Issue 21: the warm-up logged Streamlit's "No runtime found" (cache decorators imported outside a runtime)."""
    done = subprocess.run([sys.executable, "-c", "from cnnscope.cli.app import warm_up; warm_up()"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == "", (done.stdout, done.stderr)


def test_cnnscope_app_runs_the_packages_main_as_its_script(monkeypatch):
    import streamlit.web.cli

    import cnnscope.cli.app as command
    from cnnscope.cli.main import main

    ran = []
    monkeypatch.setattr(command, "warm_up", lambda: None)
    monkeypatch.setattr(streamlit.web.cli, "main", lambda: ran.append(list(sys.argv)) or 0)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    assert main(["app", "--port", "8765"]) == 0
    argv = ran[0]
    assert argv[:3] == ["streamlit", "run", str(ROOT / "cnnscope" / "app" / "main.py")]
    assert argv[argv.index("--server.port") + 1] == "8765" and argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert 'if __name__ == "__main__":' in (ROOT / "cnnscope" / "app" / "main.py").read_text()  # then it calls run()
