"""The package's layering, read from the source with ``ast`` (nothing is imported or run):

* no import cycles between cnnscope's modules (strongly connected components of the module graph);
* the analysis core imports no front end: neither rich, streamlit, plotly, graphviz nor
  matplotlib, nor cnnscope's own cli, app, export or vis.

Every import counts: at module level, inside functions, under ``if TYPE_CHECKING``, and
``importlib.import_module`` with a constant name (or a constant/``__name__`` prefix of an
f-string, which stands for every module of that package).  A package's ``__init__`` is a
module like any other, the top-level ``cnnscope/__init__.py`` included: ``from pkg import name``
depends on ``pkg/__init__.py`` unless ``pkg.name`` is a module; importing a submodule does not
count as depending on its parent packages' ``__init__`` (Python runs those either way).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cnnscope"

# Everything but the views: the analysis and what is derived from it (studies, probes), the data model
# and the helpers the views share with it.
CORE = ("cnnscope.analysis", "cnnscope.report", "cnnscope.zoo", "cnnscope.spec", "cnnscope.train",
        "cnnscope.studies", "cnnscope.probes", "cnnscope.cache", "cnnscope.files", "cnnscope.geometry",
        "cnnscope.sources", "cnnscope.weights", "cnnscope.errors", "cnnscope.input_shapes", "cnnscope.units",
        "cnnscope.modelfiles")
FRONT_END_LIBRARIES = ("rich", "streamlit", "plotly", "graphviz", "matplotlib")
FRONT_END_MODULES = ("cnnscope.cli", "cnnscope.app", "cnnscope.export", "cnnscope.vis")


# -- reading the graph --------------------------------------------------------------------------

def module_files(root: Path) -> dict[str, Path]:
    """{dotted module name: file} for every .py file under the package ``root``.

    Where a package and a module share a name (``cli/`` and ``cli.py``), Python imports the
    package, so the package is the module of that name.
    """
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_init else parts)
        if name not in files or is_init:
            files[name] = path
    return files


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _resolve(name: str, modules) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules``."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _dynamic_name(node: ast.Call, module: str) -> tuple[str, bool] | None:
    """``importlib.import_module(...)``'s argument: (name, exact) or (package prefix, False)."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__") or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value, True
    if isinstance(arg, ast.JoinedStr):
        prefix = ""
        for value in arg.values:
            if isinstance(value, ast.Constant):
                prefix += value.value
            elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name) \
                    and value.value.id == "__name__":
                prefix += module
            else:
                break
        if prefix.endswith("."):
            return prefix[:-1], False
    return None


def imports_of(path: Path, module: str, modules) -> list[tuple[str, int, str | None]]:
    """(imported name, line, the package module it resolves to or None) for every import.

    ``from a.b import c`` is the name ``a.b.c``: the module ``a.b.c`` if there is one, else ``a.b``.
    """
    is_package = path.name == "__init__.py"
    base = module.split(".") if is_package else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, node.lineno, _resolve(alias.name, modules)))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                stem = base[:len(base) - node.level + 1]
                source = ".".join(stem + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                found.append((full, node.lineno, full if full in modules else _resolve(source, modules)))
        elif isinstance(node, ast.Call):
            dynamic = _dynamic_name(node, module)
            if dynamic is None:
                continue
            name, exact = dynamic
            if exact:
                found.append((name, node.lineno, _resolve(name, modules)))
            else:  # an f-string: any module directly in that package
                for other in modules:
                    if other.rpartition(".")[0] == name:
                        found.append((other, node.lineno, other))
    return found


def module_graph(root: Path) -> tuple[dict[str, set[str]], dict[str, list]]:
    """({module: modules of the package it imports}, {module: all its imports})."""
    files = module_files(root)
    graph, every = {}, {}
    for name, path in files.items():
        found = imports_of(path, name, files)
        every[name] = found
        graph[name] = {target for _, _, target in found if target is not None and target != name}
    return graph, every


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one node, each sorted (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(sorted(component))
    return sorted(components)


@pytest.fixture(scope="module")
def graph():
    return module_graph(PACKAGE)


# -- self-tests: the detector and the parser can find what they look for -------------------------

def test_the_cycle_detector_finds_cycles_in_a_synthetic_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d", "f"}, "f": set(), "g": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"], ["d", "e"]]
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []
    assert strongly_connected({"x": {"y"}, "y": {"x"}}) == [["x", "y"]]
    chain = {str(i): {str(i + 1)} for i in range(5000)}  # deep: no recursion limit
    chain["5000"] = {"0"}
    assert len(strongly_connected(chain)) == 1 and len(strongly_connected(chain)[0]) == 5001


def test_the_reader_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from pkg.sub import tool\n\ndef __getattr__(name):\n"
                                     "    from pkg import late\n    return late\n")
    (pkg / "late.py").write_text("from pkg import VERSION\n")  # a name of pkg/__init__.py
    (pkg / "sub" / "__init__.py").write_text("from . import tool\n")
    (pkg / "sub" / "tool.py").write_text("import os\n\ndef f():\n    from ..late import x\n    import rich.table\n")
    (pkg / "sub" / "plugin.py").write_text("from pkg.sub.tool import f\n")
    (pkg / "loader.py").write_text("import importlib\nimportlib.import_module('pkg.late')\n"
                                   "def load(n):\n    return importlib.import_module(f'pkg.sub.{n}')\n")
    graph, every = module_graph(pkg)
    assert graph == {"pkg": {"pkg.sub.tool", "pkg.late"}, "pkg.late": {"pkg"}, "pkg.sub": {"pkg.sub.tool"},
                     "pkg.sub.tool": {"pkg.late"}, "pkg.sub.plugin": {"pkg.sub.tool"},
                     "pkg.loader": {"pkg.late", "pkg.sub.tool", "pkg.sub.plugin"}}
    assert ("rich.table", 5, None) in every["pkg.sub.tool"] and ("os", 1, None) in every["pkg.sub.tool"]
    # pkg -> pkg.sub.tool -> pkg.late -> pkg (pkg/__init__.py's VERSION)
    assert strongly_connected(graph) == [["pkg", "pkg.late", "pkg.sub.tool"]]


def test_the_real_graph_is_read():
    graph, _ = module_graph(PACKAGE)
    assert len(graph) > 50
    assert "cnnscope.analysis.trace" in graph["cnnscope.analysis.analyze"]
    assert "cnnscope.analysis.analyze" in graph["cnnscope"]  # the facade's lazy import, inside __getattr__


# -- the rules ------------------------------------------------------------------------------------

def test_no_import_cycles(graph):
    edges, every = graph
    cycles = strongly_connected(edges)
    lines = []
    for component in cycles:
        members = set(component)
        lines.append(" <-> ".join(component))
        for module in component:
            for written, line, target in every[module]:
                if target in members and target != module:
                    lines.append(f"    {module}:{line} imports {written}")
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(lines)


def test_the_core_imports_no_front_end_library(graph):
    _, every = graph
    bad = [f"{module}:{line} imports {written}"
           for module, found in sorted(every.items()) if _within(module, CORE)
           for written, line, _ in found if written.split(".")[0] in FRONT_END_LIBRARIES]
    assert not bad, "front-end libraries imported by the analysis core:\n" + "\n".join(bad)


def test_the_core_imports_no_cnnscope_front_end(graph):
    _, every = graph
    bad = [f"{module}:{line} imports {written}"
           for module, found in sorted(every.items()) if _within(module, CORE)
           for written, line, target in found
           if target is not None and (_within(target, FRONT_END_MODULES)
                                      or target.startswith("cnnscope.cli_"))]  # and the cli_*.py beside cli
    assert not bad, "cnnscope front ends imported by the analysis core:\n" + "\n".join(bad)
