"""Every console example in README.md and docs/*.md runs and prints what the docs say.

The rules a writer follows (``...`` lines, ``<!-- console: ... -->`` directives) are in
``tests/docs/console.py``; docs/architecture.md says why Sybil reads the Markdown.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

Sybil = pytest.importorskip("sybil", reason="the docs test reads the Markdown with Sybil (the [test] extra)").Sybil
from sybil.parsers.markdown import CodeBlockParser  # noqa: E402

from tests.docs.console import VARIES, commands, expects_failure, matches, normalised, options_above

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "zh").glob("*.md"))]
FAST_TIMEOUT_S, SLOW_TIMEOUT_S = 120, 900


def _examples():
    parser = CodeBlockParser(language="console")
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for example in Sybil(parsers=[parser]).parse(path):
            options = options_above(text, example.region.start)
            for command in commands(example.parsed, example.line + 1):
                marks = [pytest.mark.slow] if options.slow else []
                if options.skip:
                    marks.append(pytest.mark.skip(reason=options.skip))
                yield pytest.param(path, command, options, marks=marks,
                                   id=f"{path.relative_to(ROOT)}:{command.line} {command.text[:60]}")


@pytest.fixture(scope="session")
def folders(tmp_path_factory):
    """One working folder per document, made on first use; its examples run there in order."""
    made: dict[Path, Path] = {}

    def folder(document: Path) -> Path:
        if document not in made:
            made[document] = tmp_path_factory.mktemp(document.stem)
            shutil.copytree(ROOT / "examples", made[document] / "examples",
                            ignore=shutil.ignore_patterns("__pycache__"))
            import sklearn.datasets

            photo = Path(sklearn.datasets.__file__).parent / "images" / "china.jpg"
            shutil.copy(photo, made[document] / "china.jpg")
        return made[document]

    return folder


def _run(command: str, folder: Path, columns: int, timeout: float) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CNNSCOPE_")}
    # TORCH_HOME: an empty hub cache, so that the pages' "pretrained weights are not in the local cache"
    # is what every machine prints, whatever the developer has downloaded.
    env.update(COLUMNS=str(columns), PYTHONUNBUFFERED="1", CNNSCOPE_CACHE=str(folder.parent / "report-cache"),
               TORCH_HOME=str(folder.parent / "torch-home"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    return subprocess.run(["bash", "-c", command], cwd=folder, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


@pytest.mark.parametrize("document, command, options", list(_examples()))
def test_console_example(document, command, options, folders):
    folder = folders(document)
    timeout = SLOW_TIMEOUT_S if options.slow else FAST_TIMEOUT_S
    for setup in options.before:
        done = _run(setup, folder, options.columns, timeout)
        assert done.returncode == 0, f"`{setup}` (a before directive) failed:\n{done.stdout}"
    done = _run(command.text, folder, options.columns, timeout)
    expected = normalised(command.expected, options.vary)
    actual = normalised(done.stdout.splitlines(), options.vary)
    where = f"{document.relative_to(ROOT)}:{command.line}: $ {command.text}"
    if command.status is not None:
        assert done.returncode == command.status, f"{where}\nexit {done.returncode}, documented {command.status}"
    elif expects_failure(command):
        assert done.returncode != 0, f"{where}\nexit 0, but the page shows an error"
    else:
        assert done.returncode == 0, f"{where}\nexit {done.returncode}, but the page shows no error"
    assert matches(expected, actual, options.tolerance, options.spacing), (
        f"{where}\n--- documented ({VARIES} marks text that varies)\n" + "\n".join(expected)
        + "\n--- printed\n" + "\n".join(actual))
