"""Reading specs: YAML or JSON files (safe_load only), or the one-line form."""

from __future__ import annotations

import json
from pathlib import Path

from cnnscope.errors import SpecError
from cnnscope.spec.compact import parse as parse_compact
from cnnscope.spec.schema import Limits, Spec, validate

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 1_000_000


def is_spec_file(source: str) -> bool:
    return source.lower().endswith(SPEC_SUFFIXES)


def parse_text(text: str, suffix: str = ".yaml") -> object:
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"YAML syntax error{where}: {problem}") from None


def load_spec(source: str, limits: Limits | None = None, input_shape=None) -> Spec:
    """A spec file path or a one-line spec; ``input_shape`` (C, H, W) overrides the spec's input."""
    if is_spec_file(source):
        path = Path(source)
        if not path.is_file():
            raise SpecError(f"{path}: no such spec file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SpecError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; a spec is a short text")
        data = parse_text(path.read_text(encoding="utf-8"), path.suffix.lower())
        if data is None:
            raise SpecError(f"{path}: the spec is empty; see docs/spec.md for the format")
        default_name = path.stem
    else:
        data = parse_compact(source)
        default_name = "model"
    if isinstance(data, dict):
        data.setdefault("name", default_name)
        if input_shape is not None:
            data["input"] = list(input_shape)
        elif "input" not in data and not is_spec_file(source):
            raise SpecError("a one-line spec needs an input: start it with in<C>x<H>x<W>, e.g. "
                            "in1x28x28,c5-6p2,..., or pass --input")
    return validate(data, limits)


def spec_text_to_spec(text: str, limits: Limits | None = None, suffix: str = ".yaml") -> Spec:
    """A spec typed in the app's editor (YAML or JSON text)."""
    return validate(parse_text(text, suffix), limits)
