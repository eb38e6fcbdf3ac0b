"""Read a ``.pt2`` archive (``torch.export.save``) without running anything it holds.

``torch.export.load`` is not safe on a file from someone else (torch 2.14 says so itself).  What it
does, and what this reader does instead:

- ``models/model.json``: the program, JSON.  Its symbolic expressions (``s77``, ``Symbol('s77', ...)``)
  go through ``sympy.sympify``, which ``eval``s the text: each one is checked here first against a
  small grammar (names, numbers, arithmetic, a list of sympy functions; no attributes, no dunders).
  Its node targets are resolved by attribute path under ``torch``/``operator``/``math`` (so
  ``torch.os.system`` would resolve, and run when the graph runs): only ``torch.ops.aten``/``prims``
  overloads and plain arithmetic of ``operator``/``math``/``torch.sym_*`` pass.  Its ``guards_code``
  (Python source that ``ExportedProgram.module()`` compiles) is dropped.
- ``data/weights``, ``data/constants``: raw tensor bytes described by JSON configs, read as tensors.
  Entries torch pickles (tensor subclasses, ``weights_only=False``), TorchScript custom objects and
  pickled opaque objects (``pickle.loads``), and the older single-pickle layout, are refused.
- ``data/sample_inputs/model.pt``: a ``torch.save`` pickle that torch reads with ``weights_only=True``
  and, if that fails, again with ``weights_only=False``: read here with ``weights_only=True`` only.
- ``data/aotinductor/``: compiled shared libraries that ``torch.export.load`` would ``dlopen``:
  never opened.

Every failure is a one-line :class:`~cnnscope.errors.InputError`.
"""

from __future__ import annotations

import ast
import io
import json
import re
import zipfile
from pathlib import Path

from cnnscope.errors import InputError, require_file
from cnnscope.i18n import N_, _

# Names a symbolic expression of torch.export may use: sympy's constructors and the functions torch's
# deserializer hands to sympify (``torch._export.serde.serialize``'s ``sympy_functions``).
_SYMPY_NAMES = frozenset({
    "Symbol", "Integer", "Float", "Rational", "Max", "Min", "Abs", "Eq", "Ne", "Lt", "Le", "Gt", "Ge",
    "And", "Or", "Not", "Mul", "Add", "Pow", "floor", "ceiling", "sqrt", "true", "false", "oo", "zoo",
    "FloorDiv", "ModularIndexing", "Where", "PythonMod", "Mod", "CleanDiv", "CeilToInt", "FloorToInt",
    "CeilDiv", "LShift", "RShift", "PowByNatural", "FloatPow", "FloatTrueDiv", "IntTrueDiv",
    "IsNonOverlappingAndDenseIndicator", "TruncToFloat", "TruncToInt", "RoundToInt", "RoundDecimal",
    "ToFloat", "OpaqueUnaryFn_sqrt", "BitwiseFn_bitwise_and", "BitwiseFn_bitwise_or", "Identity",
    "int_oo", "True", "False",
})
_SYMBOL = re.compile(r"[a-z]{1,4}\d+")  # s77, u0, zuf0 ... as torch's ShapeEnv names them
_ASSUMPTIONS = frozenset({"positive", "negative", "nonnegative", "nonpositive", "integer", "real", "finite",
                          "zero", "nonzero", "even", "odd", "rational", "extended_real"})
_EXPRESSION_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Call, ast.Name,
                     ast.Constant, ast.keyword, ast.Load, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)

_MAX_JSON_BYTES = 512 * 2**20  # a program of ~100,000 nodes is ~100 MB

# Graph node targets that may run: ATen/prims overloads, and the arithmetic torch.export emits on sizes.
_TARGET = re.compile(r"torch\.ops\.(aten|prims)\.\w+\.\w+")
_PLAIN_TARGETS = frozenset(
    {f"_operator.{name}" for name in ("getitem", "add", "sub", "mul", "floordiv", "truediv", "mod", "pow", "neg",
                                      "eq", "ne", "lt", "le", "gt", "ge", "and_", "or_", "not_", "abs", "pos")}
    | {f"math.{name}" for name in ("ceil", "floor", "sqrt", "trunc")}
    | {f"torch.{name}" for name in ("sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_ite",
                                    "sym_sqrt", "_sym_sqrt", "sym_sum")}
)


def read_exported_program(path: str | Path):
    """The ``ExportedProgram`` a ``.pt2`` holds, read without unpickling or running anything from it."""
    path = Path(path)
    require_file(path, InputError, N_("a .pt2 file"), N_(".pt2 file"))
    if path.stat().st_size == 0:
        raise InputError(_("{path}: the file is empty (0 bytes), not a .pt2 archive").format(path=path))
    if not zipfile.is_zipfile(path):
        raise InputError(_("{path}: not a .pt2 archive (torch.export.save writes a zip file; this is not one, or "
                           "it was cut short)").format(path=path))
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            root = _root(names, path)
            program = _program_json(archive, names, root, path)
            _check_payloads(archive, names, root, path)
            inputs = _sample_inputs(archive, names, root, path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        raise InputError(_("{path}: a damaged .pt2 archive ({exc})").format(path=path, exc=_first_line(exc))) from None
    return _deserialize(path, root, program, inputs)


def _root(names: list[str], path: Path) -> str:
    """The archive's top folder (``torch.export.save`` names it after the file)."""
    roots = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(roots) != 1:
        raise InputError(_("{path}: not a .pt2 archive (a zip file without torch.export.save's layout)").format(
                             path=path))
    root = roots.pop()
    if f"{root}/archive_format" not in names:
        if "serialized_exported_program.json" in names or f"{root}/serialized_exported_program.json" in names:
            raise InputError(_("{path}: a .pt2 in the layout of torch 2.7 or older, which stores pickles; re-save "
                               "it with torch.export.save from this torch").format(path=path))
        if f"{root}/data.pkl" in names:
            raise InputError(_("{path}: not a .pt2 archive but a torch.save file (weights or a checkpoint?); give "
                               "weights with --weights to the model they belong to").format(path=path))
        raise InputError(_("{path}: not a .pt2 archive (a zip file without torch.export.save's layout)").format(
                             path=path))
    return root


def _program_json(archive: zipfile.ZipFile, names: list[str], root: str, path: Path) -> dict:
    import torch
    from torch._export.serde.schema import SCHEMA_VERSION
    from torch.export.pt2_archive.constants import ARCHIVE_VERSION_VALUE

    version = archive.read(f"{root}/archive_version").decode("utf-8", "replace").strip() \
        if f"{root}/archive_version" in names else "0"
    if version != ARCHIVE_VERSION_VALUE:
        raise InputError(_("{path}: .pt2 archive version {version}, but torch {version2} reads version "
                           "{ARCHIVE_VERSION_VALUE}: export it again with this torch, or upgrade torch").format(
                             path=path, version=version[:20], version2=torch.__version__, ARCHIVE_VERSION_VALUE=ARCHIVE_VERSION_VALUE))
    models = [n for n in names if n.startswith(f"{root}/models/") and n.endswith(".json")]
    if f"{root}/models/model.json" not in models:
        found = "AOTInductor compiled code only" if any("/data/aotinductor/" in n for n in names) else "no program"
        raise InputError(_("{path}: holds {found}, not an exported program (models/model.json)").format(
                             path=path, found=found))
    data = _read_json(archive, f"{root}/models/model.json", path)
    if not isinstance(data, dict) or not isinstance(data.get("schema_version"), dict):
        raise InputError(_("{path}: models/model.json is not an exported program").format(path=path))
    major, minor = data["schema_version"].get("major"), data["schema_version"].get("minor")
    if major != SCHEMA_VERSION[0] and (major, minor) != (0, 0):
        newer = "a newer" if isinstance(major, int) and major > SCHEMA_VERSION[0] else "another"
        raise InputError(_("{path}: written by {newer} torch.export (serialized schema version {major}.{minor}); "
                           "torch {version} reads version {SCHEMA_VERSION}.x: export it again with this torch, or "
                           "upgrade torch").format(
                             path=path, newer=newer, major=major, minor=minor, version=torch.__version__, SCHEMA_VERSION=SCHEMA_VERSION[0]))
    _check_program(data, path)
    data["guards_code"] = []  # Python source that ExportedProgram.module() would compile and run
    return data


def _read_json(archive: zipfile.ZipFile, name: str, path: Path):
    """A JSON member, its declared size checked first (a zip can inflate a small file into gigabytes)."""
    size = archive.getinfo(name).file_size
    if size > _MAX_JSON_BYTES:
        raise InputError(_("{path}: refused: {split} would inflate to {size:,.0f} MB of JSON (at most "
                           "{MAX_JSON_BYTES} MB is read)").format(
                             path=path, split=name.split('/', 1)[-1], size=size / 2**20, MAX_JSON_BYTES=_MAX_JSON_BYTES // 2**20))
    return json.loads(archive.read(name))


def _check_program(data: dict, path: Path) -> None:
    """Every expression sympify will evaluate, and every target the graph will call, is harmless."""
    for key in (data.get("range_constraints") or {}):
        if not _SYMBOL.fullmatch(str(key)):
            raise InputError(_("{path}: refused: a range constraint names {key!r}, not a size symbol").format(
                                 path=path, key=str(key)[:60]))
    for value in _walk(data):
        if "expr_str" in value:
            _check_expression(str(value["expr_str"]), path)
        if "target" in value and "inputs" in value and "outputs" in value:  # a graph node
            target = str(value["target"])
            if not (_TARGET.fullmatch(target) or target in _PLAIN_TARGETS):
                raise InputError(_("{path}: refused: the graph calls {target!r}, which is not an ATen operator "
                                   "(cnnscope runs only ATen operators from a .pt2)").format(
                                     path=path, target=target[:80]))


def _walk(value):
    """Every dict inside ``value`` (depth first, without recursion: files can nest deeply)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_expression(text: str, path: Path) -> None:
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError):
        tree = None
    if tree is None or not all(_allowed(node) for node in ast.walk(tree)):
        raise InputError(_("{path}: refused: the symbolic size {text!r} is not a plain expression (sympy would "
                           "evaluate it as Python code)").format(path=path, text=text[:60]))


def _allowed(node: ast.AST) -> bool:
    if not isinstance(node, _EXPRESSION_NODES):
        return False
    if isinstance(node, ast.Name):
        return node.id in _SYMPY_NAMES or bool(_SYMBOL.fullmatch(node.id))
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in _SYMPY_NAMES
    if isinstance(node, ast.keyword):
        return node.arg in _ASSUMPTIONS
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, bool)) or (
            isinstance(node.value, str) and bool(_SYMBOL.fullmatch(node.value)))
    return True


def _check_payloads(archive: zipfile.ZipFile, names: list[str], root: str, path: Path) -> None:
    """Weights and constants are raw tensors only: what torch would unpickle is refused."""
    for kind, config_name in (("weights", "model_weights_config.json"), ("constants", "model_constants_config.json")):
        folder = f"{root}/data/{kind}/"
        if f"{folder}model.pt" in names:
            raise InputError(_("{path}: refused: its {kind} are one pickle (an older .pt2 layout), which cnnscope "
                               "does not unpickle; re-save it with torch.export.save from this torch").format(
                                 path=path, kind=kind))
        if f"{folder}{config_name}" not in names:
            raise InputError(_("{path}: not a complete .pt2 archive (data/{kind}/{config_name} is missing)").format(
                                 path=path, kind=kind, config_name=config_name))
        config = _read_json(archive, f"{folder}{config_name}", path).get("config", {})
        for name, entry in config.items():
            file_name = str(entry.get("path_name", ""))
            if entry.get("use_pickle") or not file_name.startswith(("weight_", "tensor_")):
                what = ("a TorchScript custom object" if file_name.startswith("custom_obj_") else
                        "a pickled Python object" if file_name.startswith("opaque_obj_") else
                        "a pickled tensor subclass")
                raise InputError(_("{path}: refused: {kind} entry {name!r} is {what}, which loading would unpickle "
                                   "(cnnscope reads only plain tensors from a .pt2)").format(
                                     path=path, kind=kind, name=str(name)[:60], what=what))


def _sample_inputs(archive: zipfile.ZipFile, names: list[str], root: str, path: Path):
    """The example inputs, unpickled with ``weights_only=True`` only (torch would retry without it)."""
    import pickle
    import warnings

    import torch

    name = f"{root}/data/sample_inputs/model.pt"
    if name not in names:
        return None
    data = archive.read(name)
    if not data:
        return None
    try:
        with warnings.catch_warnings():  # torch's advice to retry with weights_only=False is not ours to give
            warnings.simplefilter("ignore")
            inputs = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL (\S+)", str(exc)) or re.search(r"WeightsUnpickler error:\s*(.+)", str(exc))
        detail = found.group(1).strip()[:100] if found else "not a pickle of tensors"
        raise InputError(_("{path}: refused: its example inputs are not only tensors ({detail}); cnnscope "
                           "unpickles them with weights_only=True, never more").format(path=path, detail=detail)) from None
    except Exception as exc:  # noqa: BLE001 - a damaged pickle can fail anywhere in the unpickler
        raise InputError(_("{path}: a damaged .pt2 archive (example inputs: {exc})").format(
                             path=path, exc=_first_line(exc))) from None
    if not (isinstance(inputs, tuple) and len(inputs) == 2 and isinstance(inputs[1], dict)):
        raise InputError(_("{path}: its example inputs are not an (args, kwargs) pair").format(path=path))
    return inputs


def _deserialize(path: Path, root: str, program: dict, inputs):
    """Torch's own deserializer, fed only what was checked above (no bytes it could unpickle)."""
    import logging

    import torch
    from torch._export.serde import schema
    from torch._export.serde.serialize import ExportedProgramDeserializer, _dict_to_dataclass
    from torch.export.pt2_archive._package import PT2ArchiveReader, _load_constants, _load_state_dict

    quiet = logging.getLogger("torch._export.serde.serialize")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "Symbol s77 did not appear in the graph": not for a user
    try:
        serialized = _dict_to_dataclass(schema.ExportedProgram, program)
        with PT2ArchiveReader(str(path)) as reader:
            state_dict = _load_state_dict(reader, "model")
            constants = _load_constants(reader, "model")
        if not isinstance(state_dict, dict) or not isinstance(constants, dict):  # checked above; never bytes
            raise InputError(_("{path}: refused: weights in a pickled layout").format(path=path))
        return ExportedProgramDeserializer().deserialize(serialized, state_dict, constants, inputs)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - a hand-edited or damaged program can fail in any part of torch
        raise InputError(_("{path}: cannot read the exported program with torch {version} ({exc})").format(
                             path=path, version=torch.__version__, exc=_first_line(exc))) from None
    finally:
        quiet.setLevel(level)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:200] if text else "") or type(exc).__name__
