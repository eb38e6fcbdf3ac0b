"""Receptive fields of every row, computed over the traced data-flow graph (never hook order).

Per spatial axis a field is ``size`` (input pixels that can influence one unit), ``jump``
(input pixels between neighbouring units) and ``start`` (input coordinate of the left edge of
the first unit's field; negative where it reaches into padding).  Each row's field follows
from the fields of the rows it consumed:

* window ops (conv, pool):      size = r + (k−1)·d·j,  jump = j·s,  start = st − p·j
* transposed conv (stride s):   jump = j/s, size = r + (⌈(d·(k−1)+1)/s⌉−1)·j
* nearest upsampling (scale f): jump = j/f; bilinear/bicubic add one/three input steps
* reductions (mean, amax, ...) over channels keep the field; over one spatial axis each unit sees that
  whole axis; over every spatial axis: global
* merges (add, mul, cat, ...):  the union of the paths' fields, with a diagnostic when the
  paths' jumps or centres disagree
* global pooling, flatten, linear over a spatial axis, attention over spatial tokens: global
* a gate computed from a global context (squeeze-and-excitation: ``x * sigmoid(fc(pool(x)))``)
  rescales the local path: the row keeps the local field and says ``gated``.  Strictly every
  unit then depends on every pixel through the pooled context; the local field is what
  says *where* the unit looks, which is what the receptive field is used for.

The rule for each kind of op lives with that kind in ``analysis/ops`` (aspects ``rf``,
``rf_tokens``, ``rf_merge``); this module walks the graph, hands each row its inputs' states and
collects the diagnostics.  Normalisation statistics are treated as constants (as in the literature).  Where the engine
cannot follow the spatial axes (windowed attention's ``roll``, a reshape that folds H and W
into tokens) the row has no field and a diagnostic says where tracking stopped.
"""

from __future__ import annotations

from cnnscope.analysis import ops
from cnnscope.analysis.field import Field, Global, Tokens, Untracked, first_shape, fmt
from cnnscope.analysis.trace import Tracer
from cnnscope.report import Diagnostic, ReceptiveField


class _Engine:
    """Walks the rows in execution order; the per-kind rules call back ``untracked``,
    ``assume_pointwise``, ``diagnose`` and ``shapes``."""

    def __init__(self, tracer: Tracer, input_shapes, unbatched: bool = False):
        self.rows = tracer.rows
        self.states: dict[int, object] = {}
        self.diagnostics: list[Diagnostic] = []
        self.assumed: list[str] = []
        self.input_states = []
        for shape in input_shapes:
            n = len(shape) - (1 if unbatched else 2)  # (N, C, spatial...), or (C, spatial...) per image
            if n >= 1:
                ones = tuple(1 for _ in range(n))
                self.input_states.append(Field(ones, ones, tuple(0 for _ in range(n)), tuple(range(-n, 0))))
            else:
                self.input_states.append(None)  # not an image: carries no field
        first = first_shape(input_shapes[0])
        lead = 1 if unbatched else 2
        self.image_size = first[lead:] if len(first) > lead else []

    # -- what the rules call -----------------------------------------------------------------
    def untracked(self, row, reason: str) -> Untracked:
        self.diagnostics.append(Diagnostic(
            "info", "rf-untracked", f"receptive field not tracked from {row.name or '(model)'} on: {reason}",
            layer=row.name))
        return Untracked(reason)

    def assume_pointwise(self, row) -> None:
        self.assumed.append(row.type)

    def diagnose(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    @staticmethod
    def shapes(row) -> tuple[list, list]:
        """(first input shape, first output shape) of a row."""
        return (row.input_shapes[0] if row.input_shapes else []), first_shape(row.output_shape)

    # -- the walk ------------------------------------------------------------------------------
    def state_of(self, index: int):
        if index < 0:
            k = -1 - index
            return self.input_states[k] if k < len(self.input_states) else None
        return self.states.get(index)

    def run(self) -> dict[int, object]:
        for row in self.rows:
            if not row.children:
                self.states[row.index] = self.leaf(row)
        for row in reversed(self.rows):  # containers: the field of what they return
            if row.children:
                sources = [self.state_of(i) for i in row.output_from]
                sources = [s for s in sources if s is not None]
                self.states[row.index] = sources[0] if sources else None
        if self.assumed:
            names = ", ".join(sorted(set(self.assumed))[:6])
            self.diagnostics.append(Diagnostic(
                "info", "rf-assumed-pointwise",
                f"receptive field: these ops keep their input's spatial shape and were taken to act "
                f"pointwise: {names}"))
        return self.states

    def leaf(self, row):
        states = [self.state_of(i) for i in row.inputs]
        spatial = [s for s in states if s is not None]
        if not spatial:
            return None
        kind = row.op_kind
        merge = ops.get_rule("rf_merge", kind)
        paths = {i for i, s in zip(row.inputs, states) if s is not None}
        if merge is not None and (kind == "merge" or len(paths) > 1):  # several data paths meet
            return merge(self, row, states)
        state = spatial[0]
        if isinstance(state, (Untracked, Global)):
            return state if isinstance(state, Untracked) else Global()
        if isinstance(state, Tokens):
            on_tokens = ops.get_rule("rf_tokens", kind)
            return on_tokens(self, row) if on_tokens is not None else Tokens()
        return ops.get_rule("rf", kind)(self, row, state)


def compute(tracer: Tracer, input_shapes, unbatched: bool = False) -> tuple[dict[int, ReceptiveField | None],
                                                                           list[Diagnostic]]:
    """``{row index: ReceptiveField or None}`` and the diagnostics; see the module docstring.
    ``unbatched``: each input is one C×H×W image (detection models take a list of them)."""
    engine = _Engine(tracer, input_shapes, unbatched)
    states = engine.run()
    image = engine.image_size
    shown: dict[int, ReceptiveField | None] = {}  # id(state) -> its field: pointwise rows share their input's state
    fields = {}
    for index, state in states.items():
        key = id(state)
        if key not in shown:
            shown[key] = as_field(state, image)
        fields[index] = shown[key]
    return fields, _dedupe(engine.diagnostics)


def as_field(state, image_size) -> ReceptiveField | None:
    if isinstance(state, Field):
        return ReceptiveField(size=fmt(state.size), jump=fmt(state.jump), start=fmt(state.start),
                              gated=state.gated, recurrence=state.note or None)
    if isinstance(state, Global):
        return ReceptiveField(size=list(image_size), is_global=True)
    return None


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen, result = set(), []
    for d in diagnostics:
        key = (d.code, d.message) if d.code != "rf-untracked" else (d.code,)
        if key not in seen:
            seen.add(key)
            result.append(d)
    return _one_tokens_line(result)


SHOWN_ROWS = 3  # rows a merged diagnostic names before "and N more"


def _one_tokens_line(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Every row that folds the spatial axes into one (a detection model's heads have ten) in one line, at
    the place of the first: the same sentence ten times reads as ten problems."""
    folds = [d for d in diagnostics if d.code == "rf-tokens"]
    if len(folds) < 2:
        return diagnostics
    names = [d.layer for d in folds]
    listed = ", ".join(names[:SHOWN_ROWS]) + (f" and {len(names) - SHOWN_ROWS} more" if len(names) > SHOWN_ROWS else "")
    merged = Diagnostic("info", "rf-tokens",
                        f"receptive field: {len(names)} rows fold the spatial axes into one ({listed}); rows "
                        "after them show no field until attention or pooling over that axis makes it global",
                        layer=names[0])
    first = diagnostics.index(folds[0])
    rest = [d for d in diagnostics if d.code != "rf-tokens"]
    return [*rest[:first], merged, *rest[first:]]
