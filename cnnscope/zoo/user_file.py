"""Models from a user's own Python file: ``path/to/file.py:Name``.

``Name`` is an ``nn.Module`` subclass with a no-argument constructor, or a zero-argument
factory returning a module.  The file is the user's own code, run as Python by design (the
app never does this: it accepts specs only).  A class attribute ``input_shape = (C, H, W)``
gives the default input.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from pathlib import Path

from cnnscope.errors import ModelNotFoundError, require_file
from cnnscope.i18n import N_, _


def is_file_reference(source: str) -> bool:
    path, sep, name = source.rpartition(":")
    return bool(sep) and path.endswith(".py") and bool(name)


def _import_file(path: Path):
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"cnnscope_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look themselves up here
    folder = str(path.resolve().parent)  # as `python net.py` does: the file's siblings are importable
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise ModelNotFoundError(_("{path}: importing the file failed: {name}: {exc}").format(
                                     path=path, name=type(exc).__name__, exc=exc)) from exc
    finally:
        if added and folder in sys.path:
            sys.path.remove(folder)
    return module


def missing_name(source: str) -> None:
    """``net.py`` without ``:Name``: a one-line error naming what the file defines (read, not run)."""
    import ast

    path = Path(source)
    if path.suffix != ".py":
        return
    require_file(path, ModelNotFoundError, N_("a Python file"), N_("file"))
    try:
        tree = ast.parse(path.read_bytes())
        names = [n.name for n in tree.body if isinstance(n, ast.ClassDef)] or \
            [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    except (SyntaxError, ValueError):
        names = []
    defines = _(" (it defines: {names})").format(names=", ".join(names[:8])) if names else ""
    raise ModelNotFoundError(_("give {source}:Name{defines}: Name is the nn.Module class or factory to build").format(
                                 source=source, defines=defines))


def load_user_model(source: str, device: str = "cpu"):
    """Build ``file.py:Name`` on ``device``; returns ``(module, input_shape or None)``."""
    import torch
    from torch import nn

    file_part, _unused, name = source.rpartition(":")
    path = Path(file_part)
    require_file(path, ModelNotFoundError, N_("a Python file"), N_("file"))
    namespace = _import_file(path)
    if not hasattr(namespace, name):
        candidates = sorted(k for k, v in vars(namespace).items()
                            if inspect.isclass(v) and issubclass(v, nn.Module) and v.__module__ == namespace.__name__)
        hint = _("; it defines {names}").format(names=", ".join(candidates)) if candidates else ""
        raise ModelNotFoundError(_("{path} has no {name!r}{hint}").format(path=path, name=name, hint=hint))
    target = getattr(namespace, name)
    if inspect.isclass(target) and not issubclass(target, nn.Module):
        raise ModelNotFoundError(_("{source}: {name} is a class but not an nn.Module subclass").format(
                                     source=source, name=name))
    if not callable(target):
        raise ModelNotFoundError(_("{source}: {name} is neither an nn.Module subclass nor a factory function").format(
                                     source=source, name=name))
    required = _required_parameters(target)
    if required:
        raise ModelNotFoundError(
            _("{source}: {name} needs constructor arguments ({required}); add defaults or a zero-argument factory "
              "function").format(source=source, name=name, required=', '.join(required)))
    try:
        with torch.device(device):
            model = target()
    except Exception as exc:
        raise ModelNotFoundError(_("{source}: building {name}() failed: {name2}: {exc}").format(
                                     source=source, name=name, name2=type(exc).__name__, exc=exc)) from exc
    if not isinstance(model, nn.Module):
        raise ModelNotFoundError(_("{source}: {name}() returned {name2}, not an nn.Module").format(
                                     source=source, name=name, name2=type(model).__name__))
    shape = getattr(model, "input_shape", None)
    return model, tuple(shape) if shape else None


def _required_parameters(target) -> list[str]:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [
        p.name for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
