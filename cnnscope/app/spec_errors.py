"""A spec that does not describe a network, as the builder shows it: the layers planned up to the failing
one (named as the summary table names them), then one line naming that layer in words, its line in the
text, what failed and the fix.  Streamlit-free (the builder draws it), so it is tested directly."""

from __future__ import annotations

from dataclasses import dataclass

from cnnscope.errors import SpecError
from cnnscope.i18n import N_, _
from cnnscope.spec.load import EMPTY
from cnnscope.spec.locate import heading, line_of, steps, table_name

EMPTY_IN_APP = N_("the spec is empty: press New or pick a template above, or write name, input and layers")
NO_LAYERS = "the layer list is empty"  # the schema's reason (compared with, never shown from here)


@dataclass(frozen=True)
class Problem:
    line: str  # the one line the page shows
    rows: tuple  # (layer, type, output, params) up to the failing layer, the input first; () when none
    empty: bool = False  # a spec with no layers yet: a state to build from, not a mistake


def problem(text: str, error: SpecError, shape=None) -> Problem:
    """How the builder shows ``error``, raised by ``spec_text.spec_plan(text, shape)``."""
    reason = getattr(error, "reason", str(error))
    location = getattr(error, "location", "")
    if str(error) == EMPTY:
        return Problem(_(EMPTY_IN_APP), ())
    if location == "layers" and reason in (NO_LAYERS, _(NO_LAYERS)):
        return Problem(_("no layers yet: add the first one with the Add a layer tab below"), _rows((), shape, text),
                       True)
    name = getattr(error, "layer", None) or table_name(location)
    if location == "layers" and reason.startswith("nothing is listed"):
        # in the page the Tab key leaves the text box, so 'layers:' then Tab arrives with nothing under it
        reason = _("{reason}; indent with spaces (the Tab key moves to the next control on this page)").format(
            reason=reason)
    if name is None:  # the input, the name, the whole text: no layer to point at
        line = line_of(text, location) if location else None
        where = _("{location} (line {line})").format(location=location, line=line) if line else location
        return Problem(f"{where}: {reason}" if where else reason, ())
    kind = getattr(error, "kind", None) or _kind(location)
    where = heading(location, text, name, kind)
    partial = getattr(error, "partial", None)
    rows = partial if partial is not None else _rows_before(text, location, shape)
    return Problem(f"{where}: {reason}", _rows(rows, shape, text, failing=(name, kind)) if rows is not None else ())


def _kind(location: str) -> str | None:
    last = steps(location)[-1:] or [None]
    return last[0] if isinstance(last[0], str) and last[0] != "layers" else None


def _rows_before(text: str, location: str, shape) -> tuple | None:
    """The planned rows of the top-level layers before the one at ``location`` (a validation error comes
    before any planning): the spec cut there, planned on its own; None where that fails too."""
    from cnnscope.app.spec_edit import NotEditable, spec_data
    from cnnscope.app.spec_text import plan_data

    path = steps(location)
    if len(path) < 2 or not isinstance(path[1], int):
        return None
    try:
        data = spec_data(text)
    except NotEditable:
        return None
    data["layers"] = data["layers"][:path[1]]
    if not data["layers"]:
        return ()
    try:
        return plan_data(data, shape).rows
    except SpecError:
        return None


def _rows(rows, shape, text, failing=None) -> tuple:
    """Table rows: the input, each planned layer (its output shape and parameters), the failing layer."""
    first = rows[0].input if rows else _input(text, shape)
    table = [(_("input"), "", _shape(first), "")] if first else []
    table += [(r.name, r.kind, _shape(r.output), f"{r.params:,}") for r in rows]
    if failing:
        table.append((failing[0], failing[1] or "", _("✗ fails: see below"), ""))
    return tuple(table)


def _input(text: str, shape):
    if shape is not None:
        return tuple(shape[1:])
    from cnnscope.app.spec_edit import NotEditable, spec_data

    try:
        value = spec_data(text).get("input")
    except NotEditable:
        return None
    return tuple(value) if isinstance(value, list) and all(isinstance(v, int) for v in value) else None


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape) if shape else ""
