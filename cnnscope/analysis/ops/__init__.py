"""The one vocabulary of operations: every traced row has exactly one kind.

Kinds are declared in the modules of this package, one module per kind (or per family of
kinds that share their rules, such as conv and pool).  Each module declares what belongs to
its kind -- torch's module base classes (``_ConvNd``, ``_MaxPoolNd``, ``_BatchNorm``, ...),
class names of other libraries, function names as the tracer records them -- and registers
the kind's rules: geometry, pre-flight shape checks, receptive field, explanation.  The
consumers (``trace``, ``receptive_field``, ``studies.explain``, compare, the app) ask this
package and never test classes or names themselves.

Adding a kind is one new module here plus its test: every module of the package is imported
below, so nothing else needs editing.
"""

from __future__ import annotations

import importlib
import pkgutil

from cnnscope.analysis.ops.registry import (ASPECTS, KINDS, OpKind, function_kind, get_rule, members,  # noqa: F401
                                            module_kind, register_kind, rule)

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    if _info.name != "registry":
        importlib.import_module(f"{__name__}.{_info.name}")


def is_conv_module(module) -> bool:
    """A convolution with a weight (transposed ones included): what filter pictures show."""
    return module_kind(module) in ("conv", "transposed_conv")
