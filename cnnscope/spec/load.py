"""Reading specs: YAML or JSON files (safe_load only), or the one-line form."""

from __future__ import annotations

import json
from pathlib import Path

from cnnscope.errors import SpecError, require_file
from cnnscope.spec.compact import parse as parse_compact
from cnnscope.spec.schema import Limits, Spec, validate
from cnnscope.i18n import N_, _

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 1_000_000
MAX_VALUES = 100_000  # values in a spec once YAML aliases are expanded


def is_spec_file(source: str) -> bool:
    return source.lower().endswith(SPEC_SUFFIXES)


EMPTY = N_("the spec is empty; see docs/spec.md for the format")


def parse_text(text: str, suffix: str = ".yaml") -> object:
    """The data of a YAML or JSON spec text; ``None`` for an empty one (nothing but whitespace, or a
    YAML document of only comments or ``null``), which the callers report as an empty spec."""
    if not text.strip():  # JSON and YAML would each raise their own syntax error (a tab, a lone newline)
        return None
    try:  # both parsers recurse into nested lists and maps
        return _bounded(_decode(text, suffix))
    except RecursionError:
        raise SpecError(_("the spec is nested too deeply; a spec is a short text")) from None


def _decode(text: str, suffix: str) -> object:
    """``text`` parsed as JSON (``.json``) or YAML; a syntax error is a SpecError naming the line."""
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(_("JSON syntax error at line {lineno}, column {colno}: {msg}").format(
                                lineno=exc.lineno, colno=exc.colno, msg=exc.msg)) from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        from cnnscope.spec.yaml_errors import plain_yaml_error

        raise SpecError(plain_yaml_error(exc, text)) from None


def _bounded(data, limit: int = MAX_VALUES):
    """``data`` unchanged, unless it holds more than ``limit`` values once YAML aliases are expanded.

    An alias bomb (``&a [x, x, ...]``, ``&b [*a, *a, ...]`` nine levels deep) is a few hundred
    bytes that stand for hundreds of millions of values: validating or even printing it would take
    gigabytes.  Counting stops at ``limit``, so this costs at most ``limit`` steps."""
    count = 0
    stack = [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            raise SpecError(_("the spec holds more than {limit:,} values once its YAML aliases (*name) are "
                              "expanded; a spec is a short text").format(limit=limit))
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return data


def read_spec_file(path: Path) -> str:
    """The text of a spec file: it must be a file, small, and UTF-8."""
    require_file(path, SpecError, N_("a spec file"), N_("spec file"))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SpecError(_("{path}: larger than {MAX_FILE_BYTES:,} bytes; a spec is a short text").format(
                            path=path, MAX_FILE_BYTES=MAX_FILE_BYTES))
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(_("{path}: not UTF-8 text (byte {data!r} at position {start}); save the spec as UTF-8").format(
                            path=path, data=data[exc.start:exc.start + 1], start=exc.start)) from None


def load_spec(source: str, limits: Limits | None = None, input_shape=None) -> Spec:
    """A spec file path or a one-line spec; ``input_shape`` (C, H, W) overrides the spec's input."""
    if is_spec_file(source):
        path = Path(source)
        data = parse_text(read_spec_file(path), path.suffix.lower())
        if data is None:
            raise SpecError(_("{path}: the spec is empty; see docs/spec.md for the format").format(path=path))
        default_name = path.stem
    else:
        data = parse_compact(source)
        default_name = "model"
    if isinstance(data, dict):
        data.setdefault("name", default_name)
        if input_shape is not None:
            data["input"] = list(input_shape)
        elif "input" not in data and not is_spec_file(source):
            raise SpecError(_("a one-line spec needs an input: start it with in<C>x<H>x<W>, e.g. "
                              "in1x28x28,c5-6p2,..., or pass --input"))
    return validate(data, limits)


def spec_text_to_spec(text: str, limits: Limits | None = None, suffix: str = ".yaml") -> Spec:
    """A spec typed in the app's editor (YAML or JSON text)."""
    data = parse_text(text, suffix)
    if data is None:
        raise SpecError(_(EMPTY))
    return validate(data, limits)
