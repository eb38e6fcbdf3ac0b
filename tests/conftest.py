import os
import shutil
import subprocess
import sys

import pytest

os.environ.setdefault("CNNSCOPE_DEBUG", "0")
os.environ["CNNSCOPE_CACHE"] = "0"  # tests measure the analysis, not a cache (tests/cli/test_cache.py turns it on)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
HAS_CHROMIUM = os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Selenium, one per test module (1400×1000 window)."""
    if not HAS_CHROMIUM:
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


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


class CliRunner:
    """``run_cli(*args) -> (exit code, stdout, stderr)``: ``cnnscope.cli.main.main`` in this process,
    its streams captured; a usage error's ``SystemExit`` is returned as its code like any other.

    ``run_cli.process(*args)`` runs ``python -m cnnscope`` as a real process (a ``CompletedProcess``,
    text); ``run_cli.argv`` is that command line, for ``Popen``.
    """

    argv = [sys.executable, "-m", "cnnscope"]

    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, *args) -> tuple[int, str, str]:
        from cnnscope.cli.main import main

        self.capsys.readouterr()  # only what this command writes
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse: --help (0) or a usage error (2)
            code = 0 if exit_.code is None else exit_.code
        out, err = self.capsys.readouterr()
        return code, out, err

    @staticmethod
    def assert_one_line_error(code, err, *fragments, last=False):
        """A non-zero exit and one ``cnnscope: error:`` line holding ``fragments`` (no traceback);
        ``last``: other lines (progress) may come before it."""
        assert code != 0
        lines = err.strip().splitlines()
        assert last or len(lines) == 1, err
        assert lines[-1].startswith("cnnscope: error: ") and "Traceback" not in err, err
        for fragment in fragments:
            assert fragment in lines[-1], lines[-1]

    def process(self, *args, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run([*self.argv, *map(str, args)], capture_output=True, text=True, **kwargs)


@pytest.fixture
def run_cli(capsys):
    return CliRunner(capsys)
