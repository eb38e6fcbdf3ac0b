"""A module that imports ``_`` from cnnscope.i18n must never bind ``_`` itself (``for _ in``,
``a, _ = ...``, ``except E as _``, ``def f(_)``, ``with x as _``, ``import y as _``): the name
would turn local and the next ``_("...")`` in that function would raise UnboundLocalError, or
(at module level) the translation would silently be replaced."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cnnscope"


def imports_underscore(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.ImportFrom) and node.module == "cnnscope.i18n"
               and any(alias.name == "_" and alias.asname is None for alias in node.names)
               for node in ast.walk(tree))


def bindings_of_underscore(tree: ast.Module) -> list[int]:
    """Line numbers where ``_`` is bound, other than by the import of the translation function."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, (ast.Store, ast.Del)):
            lines.append(node.lineno)
        elif isinstance(node, ast.arg) and node.arg == "_":
            lines.append(node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name == "_":
            lines.append(node.lineno)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "_":
            lines.append(node.lineno)
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                isinstance(node, ast.ImportFrom) and node.module == "cnnscope.i18n"):
            lines += [node.lineno for alias in node.names if (alias.asname or alias.name) == "_"]
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name == "_":
            lines.append(node.lineno)
    return sorted(lines)


def test_no_module_that_imports_the_translation_function_binds_underscore():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if imports_underscore(tree):
            offenders += [f"{path.relative_to(PACKAGE.parent)}:{line}" for line in bindings_of_underscore(tree)]
    assert not offenders, ("these modules import _ from cnnscope.i18n and also bind _ (rename the throwaway "
                           "variable, e.g. to `unused`):\n" + "\n".join(offenders))


def test_the_check_sees_a_throwaway_underscore():
    """The detector itself: a loop variable, a tuple target and a parameter named _ are found."""
    tree = ast.parse("from cnnscope.i18n import _\nfor _ in range(3):\n    pass\na, _ = 1, 2\n"
                     "def f(_):\n    return _('x')\n")
    assert imports_underscore(tree)
    assert bindings_of_underscore(tree) == [2, 4, 5]
