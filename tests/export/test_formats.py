"""The one table of formats and suffixes (``cnnscope/export/formats.py``): importable by every
``cli/`` module at module level, so it imports nothing."""

import ast
import subprocess
import sys
from pathlib import Path

from cnnscope.export import formats


def test_the_table_imports_nothing():
    tree = ast.parse(Path(formats.__file__).read_text(encoding="utf-8"))
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert [node.module for node in imports] == ["__future__"]
    code = ("import sys\nimport cnnscope.export.formats\n"
            "print([m for m in ('torch', 'numpy', 'rich', 'plotly', 'PIL') if m in sys.modules])")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


def test_suffix_tables_name_known_formats():
    assert set(formats.SUMMARY_SUFFIXES.values()) <= set(formats.SUMMARY_FORMATS)
    assert set(formats.RF_SUFFIXES.values()) - {None} <= set(formats.FORMATS)
    assert set(formats.DOCUMENT_SUFFIXES.values()) <= set(formats.MODEL_DOCUMENT_FORMATS)
    assert set(formats.DOWNLOADS) <= set(formats.MODEL_DOCUMENT_FORMATS)
    assert set(formats.PICTURES) <= set(formats.RF_SUFFIXES)
    assert set(formats.DRAWN_BY_DOT) <= set(formats.GRAPH_SUFFIXES)
