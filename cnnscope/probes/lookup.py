"""Finding a layer by name in a real model: a module path, or a row of a real trace.

Both raise :class:`~cnnscope.errors.LayerNotFoundError` (one line, with the closest names);
rows of a ``ModelReport`` are looked up with ``ModelReport.layer``.
"""

from __future__ import annotations

from torch import nn


def module_named(model: nn.Module, name: str, suggest=None) -> nn.Module:
    """The submodule at path ``name``; when absent, suggestions come from the modules for which
    ``suggest(module)`` is true (all modules when None)."""
    from cnnscope.errors import LayerNotFoundError

    modules = dict(model.named_modules())
    if name in modules:
        return modules[name]
    raise LayerNotFoundError(name, [n for n, m in modules.items() if suggest is None or suggest(m)])


def traced_row(tracer, name: str, call: int = 0):
    """The row ``name`` (its ``call``-th call) of a trace (``analysis.trace.run_trace``)."""
    from cnnscope.errors import LayerNotFoundError

    for row in tracer.rows:
        if row.name == name and row.call == call:
            return row
    raise LayerNotFoundError(name, [row.name for row in tracer.rows])
