"""Two architectures aligned row by row, like a text diff: rows added, removed and changed, and the
totals' difference (``cnnscope diff A B``, the app's Diff view).  Data only: the renderers are in
``cnnscope/export/diff.py``.

The rows aligned are the leaves that do work (conv, linear, pool, norm, activation, merge, ...):
containers differ in name and nesting across formats (torchvision's and timm's ResNet, an ONNX
graph), while the leaves' sequence is the architecture.  ``Identity`` leaves do nothing and are
left out (timm puts one in every block where a feature is off), with a note.

The alignment is a sequence alignment (difflib, no junk heuristic: a network's rows repeat) in
levels, from strict to loose.  First on the row's name *and* its signature (kind, kernel, stride,
padding, dilation, groups, output shape, parameters, MACs), so that two versions of one model line
up block by block (resnet18 against resnet34: the added ``layer1.2`` is the new block, not an
equal-looking neighbour); then the rows left unmatched, on the signature alone (names differ across
formats); then on the kind alone, which pairs a conv whose kernel went 3 → 5 as *changed* rather
than removed and added; last, an unmatched stretch of equally many rows on both sides is paired
row by row.  A row's receptive field is not in the signature: a block added upstream widens every
field downstream, which is the totals' news, not every row's.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Callable

from cnnscope.report import LayerRecord, ModelReport

SAME, CHANGED, REMOVED, ADDED = "same", "changed", "removed", "added"

# the fields compared on a pair of rows, in the order a changed row lists them
COMPARED = ("kind", "output_shape", "kernel_size", "stride", "padding", "dilation", "groups", "params", "macs")
SHOWN_WITH_CHANGES = ("rf",)  # listed on a changed row when it differs too, never a cause by itself
NO_OP_TYPES = ("Identity",)

# a format's name by the suffix of the source (anything else is a PyTorch module: zoo, timm:, file.py, spec)
FORMAT_NAMES = {".onnx": "ONNX file", ".pt2": "torch.export file"}
PYTORCH = "PyTorch module"


@dataclass(frozen=True)
class Row:
    """One side's row, as the diff shows it."""

    index: int
    name: str
    call: int
    type: str
    kind: str  # the op kind, with norms and activations told apart (``family``)
    output_shape: Any
    kernel_size: list | None
    stride: list | None
    padding: list | None
    dilation: list | None
    groups: int | None
    params: int
    macs: int
    rf: list | None  # receptive field size per axis; ["global"] for a global field
    # ``params``: the row's own, plus those its container holds for it where the row is a norm function
    # on the container's weights (``_held_by_container``)

    def signature(self) -> tuple:
        return tuple(_hashable(getattr(self, name)) for name in COMPARED)

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class Entry:
    """One line of the alignment: a row on both sides (same or changed) or on one side only."""

    status: str  # SAME | CHANGED | REMOVED (only in A) | ADDED (only in B)
    a: Row | None
    b: Row | None
    changes: dict[str, tuple] = field(default_factory=dict)  # field -> (A's value, B's value), changed rows

    def to_dict(self) -> dict:
        return {"status": self.status, "a": self.a.to_dict() if self.a else None,
                "b": self.b.to_dict() if self.b else None,
                "changes": {name: {"a": old, "b": new} for name, (old, new) in self.changes.items()}}


@dataclass(frozen=True)
class Block:
    """A whole container added or removed (``layer1.2``, a BasicBlock of 7 rows): shown as one line."""

    status: str  # REMOVED | ADDED
    name: str
    type: str
    entries: list[Entry]
    params: int
    macs: int
    output_shape: Any

    def to_dict(self) -> dict:
        return {"status": self.status, "name": self.name, "type": self.type, "rows": len(self.entries),
                "params": self.params, "macs": self.macs, "output_shape": self.output_shape}


@dataclass(frozen=True)
class Unchanged:
    """A run of identical rows, collapsed: its length and its first and last rows."""

    entries: list[Entry]


@dataclass(frozen=True)
class Side:
    """One model's summary line and totals."""

    model: str
    source: str
    format: str
    input_shape: Any
    output_shape: Any
    rows: int
    left_out: int  # no-op rows left out of the alignment
    params: int
    macs: int
    flops: int
    param_bytes: int
    activation_bytes: int
    rf_layer: str | None
    rf_size: list | None
    diagnostics: list[str]

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


TOTALS = ("rows", "params", "macs", "flops", "param_bytes", "activation_bytes")


@dataclass
class ArchitectureDiff:
    a: Side
    b: Side
    entries: list[Entry]
    notes: list[str] = field(default_factory=list)
    # per side: leaf index -> the containers holding it, outermost first (for ``lines``' blocks)
    containers: tuple = field(default=({}, {}), repr=False, compare=False)

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)

    @property
    def identical(self) -> bool:
        """No row differs, and neither do the inputs, outputs or totals (parameters a container holds)."""
        return (all(e.status == SAME for e in self.entries) and self.a.input_shape == self.b.input_shape
                and self.a.output_shape == self.b.output_shape
                and all(getattr(self.a, t) == getattr(self.b, t) for t in TOTALS))

    def totals(self) -> list[tuple[str, Any, Any, Any]]:
        """(total, A, B, B - A) for every total, and the last feature map's receptive field (its
        first axis; the difference None where a side has none)."""
        rows = [(name, getattr(self.a, name), getattr(self.b, name), getattr(self.b, name) - getattr(self.a, name))
                for name in TOTALS]
        rf_a, rf_b = (s.rf_size[0] if s.rf_size else None for s in (self.a, self.b))
        delta = rf_b - rf_a if rf_a is not None and rf_b is not None else None
        return rows + [("rf", rf_a, rf_b, delta)]

    def lines(self) -> list[Entry | Block | Unchanged]:
        """The alignment as a diff shows it: runs of identical rows collapsed, whole containers added or
        removed as one :class:`Block`, every other row as its :class:`Entry`."""
        out: list[Entry | Block | Unchanged] = []
        k = 0
        while k < len(self.entries):
            status = self.entries[k].status
            end = k
            while end < len(self.entries) and self.entries[end].status == status:
                end += 1
            run = self.entries[k:end]
            if status == SAME:
                out.append(Unchanged(run))
            elif status == CHANGED:
                out.extend(run)
            else:
                out.extend(self._blocks(run, status))
            k = end
        return out

    def _blocks(self, run: list[Entry], status: str) -> list[Entry | Block]:
        containers = self.containers[0 if status == REMOVED else 1]
        out: list[Entry | Block] = []
        k = 0
        while k < len(run):
            row = run[k].a if status == REMOVED else run[k].b
            block = None
            for container in containers.get(row.index, []):  # outermost first
                size = len(container.leaves)
                indices = [(e.a if status == REMOVED else e.b).index for e in run[k:k + size]]
                if size >= 2 and indices == container.leaves:
                    block = Block(status, container.name, container.type, run[k:k + size], container.params,
                                  container.macs, container.output_shape)
                    break
            out.append(block or run[k])
            k += len(block.entries) if block else 1
        return out

    def to_dict(self) -> dict:
        return {"identical": self.identical, "a": self.a.to_dict(), "b": self.b.to_dict(),
                "counts": {s: self.count(s) for s in (ADDED, REMOVED, CHANGED, SAME)},
                "totals": {name: {"a": a, "b": b, "change": d} for name, a, b, d in self.totals()},
                "blocks": [line.to_dict() for line in self.lines() if isinstance(line, Block)],
                "rows": [e.to_dict() for e in self.entries], "notes": list(self.notes)}


@dataclass(frozen=True)
class _Container:
    name: str
    type: str
    leaves: list[int]  # the indices of its kept leaves, in order
    params: int
    macs: int
    output_shape: Any


# -- building the diff ---------------------------------------------------------------------------------

def source_format(source: str) -> str:
    """What kind of file or module ``source`` is, in words (the header says when the two sides differ)."""
    return FORMAT_NAMES.get(PurePath(source).suffix.lower(), PYTORCH) if "\n" not in source else PYTORCH


def diff_reports(a: ModelReport, b: ModelReport, source_a: str | None = None,
                 source_b: str | None = None) -> ArchitectureDiff:
    """Align ``a``'s rows with ``b``'s (see the module's docstring).  ``source_a``/``source_b``: what
    the user named (a zoo name, a file), which tells the format; the reports' names by default."""
    source_a, source_b = source_a or a.model, source_b or b.model
    rows_a, rows_b = _rows(a), _rows(b)
    entries = align(rows_a, rows_b)
    side_a, side_b = _side(a, source_a, rows_a), _side(b, source_b, rows_b)
    return ArchitectureDiff(side_a, side_b, entries, _notes(side_a, side_b),
                            (_containers(a, rows_a), _containers(b, rows_b)))


def align(rows_a: list[Row], rows_b: list[Row]) -> list[Entry]:
    """Every row of both sides once, in order, as same, changed, removed or added."""
    return _align(rows_a, rows_b, 0)


# strict to loose: name and signature, signature, kind
_LEVELS: tuple[Callable[[Row], Any], ...] = (lambda r: (r.name, r.call, r.signature()), Row.signature,
                                             lambda r: r.kind)


def _align(rows_a: list[Row], rows_b: list[Row], level: int) -> list[Entry]:
    if not rows_a or not rows_b:
        return [Entry(REMOVED, r, None) for r in rows_a] + [Entry(ADDED, None, r) for r in rows_b]
    if level == len(_LEVELS):
        if len(rows_a) == len(rows_b):  # as many rows on each side, nothing in common: pair them in order
            return [_pair(x, y) for x, y in zip(rows_a, rows_b)]
        return [Entry(REMOVED, r, None) for r in rows_a] + [Entry(ADDED, None, r) for r in rows_b]
    key = _LEVELS[level]
    matcher = difflib.SequenceMatcher(None, [key(r) for r in rows_a], [key(r) for r in rows_b], autojunk=False)
    entries: list[Entry] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            entries += [_pair(x, y) for x, y in zip(rows_a[i1:i2], rows_b[j1:j2])]
        else:
            entries += _align(rows_a[i1:i2], rows_b[j1:j2], level + 1)
    return entries


def _pair(a: Row, b: Row) -> Entry:
    changes = {name: (getattr(a, name), getattr(b, name)) for name in COMPARED
               if _hashable(getattr(a, name)) != _hashable(getattr(b, name))}
    if not changes:
        return Entry(SAME, a, b)
    changes.update({name: (getattr(a, name), getattr(b, name)) for name in SHOWN_WITH_CHANGES
                    if getattr(a, name) != getattr(b, name)})
    return Entry(CHANGED, a, b, changes)


def family(record: LayerRecord) -> str:
    """The row's kind for aligning: the op kind, and within pointwise rows the norms (which hold
    parameters) and each activation told apart by its type (``ReLU`` and ``relu`` alike)."""
    kind = record.op_kind or "other"
    if kind != "pointwise":
        return kind
    name = re.sub(r"\d+d$", "", record.type.lower().replace("_", "")).replace("normalization", "norm")
    return "norm" if "norm" in name else f"pointwise:{name}"


def _rows(report: ModelReport) -> list[Row]:
    held = _held_by_container(report)
    return [_row(r, held.get(r.index, 0)) for r in report.leaves() if r.type not in NO_OP_TYPES]


def _held_by_container(report: ModelReport) -> dict[int, int]:
    """leaf index -> parameters its container holds for it: a container whose forward calls a norm
    function on its own weights (timm's ``BatchNormAct2d``, torchvision's ``LayerNorm2d``) counts them on
    itself, while ``nn.BatchNorm2d`` counts them on its row; given to the one norm row inside it, the two
    forms of a norm line up."""
    children: dict[str, list[LayerRecord]] = {}
    for row in report.layers:
        if row.parent is not None and row.call == 0:
            children.setdefault(row.parent, []).append(row)
    held = {}
    for container in report.layers:
        if container.is_leaf or container.depth == 0 or container.call != 0:
            continue
        own = container.params - sum(child.params for child in children.get(container.name, []))
        norms = [child for child in children.get(container.name, []) if child.is_leaf and family(child) == "norm"]
        if own > 0 and len(norms) == 1:
            held[norms[0].index] = own
    return held


def _row(r: LayerRecord, held: int = 0) -> Row:
    rf = None if r.rf is None else (["global"] if r.rf.is_global else list(r.rf.size))
    return Row(index=r.index, name=r.name, call=r.call, type=r.type, kind=family(r), output_shape=r.output_shape,
               kernel_size=r.kernel_size, stride=r.stride, padding=r.padding, dilation=r.dilation, groups=r.groups,
               params=r.params + held, macs=r.macs, rf=rf)


def _side(report: ModelReport, source: str, rows: list[Row]) -> Side:
    t = report.totals
    last = report.last_feature_map()
    return Side(model=report.model, source=source, format=source_format(source), input_shape=report.input_shape,
                output_shape=report.output_shape, rows=len(rows), left_out=len(report.leaves()) - len(rows),
                params=t.params, macs=t.macs, flops=t.flops, param_bytes=t.param_bytes,
                activation_bytes=t.activation_bytes, rf_layer=last.name if last else None,
                rf_size=list(last.rf.size) if last else None,
                diagnostics=[d.message for d in report.diagnostics if d.level == "warning" or "fold" in d.code])


def _notes(a: Side, b: Side) -> list[str]:
    notes = []
    if a.format != b.format:
        notes.append(f"the two sides come from different formats: {a.source} is {_a(a.format)}, {b.source} "
                     f"{_a(b.format)}; where an exporter folded batch norm into convolutions or dropped dropout, "
                     "the rows show it")
    for side in (a, b):
        if side.left_out:
            notes.append(f"{side.source}: {side.left_out} Identity row{'s' * (side.left_out != 1)} left out "
                         "(they do nothing)")
        notes += [f"{side.source}: {message}" for message in side.diagnostics]
    if a.input_shape != b.input_shape:
        notes.append("the inputs differ, so do the shapes and MACs of every row they reach")
    return notes


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'AEIOU' else 'a'} {noun}"


def _containers(report: ModelReport, rows: list[Row]) -> dict[int, list[_Container]]:
    """leaf index -> the containers holding it, outermost first (the model itself left out)."""
    by_name = {r.name: r for r in report.layers if not r.is_leaf and r.depth > 0 and r.call == 0}
    records = {r.index: r for r in report.layers}
    chains: dict[int, list[str]] = {}
    members: dict[str, list[int]] = {}
    for row in rows:
        chain, parent = [], records[row.index].parent
        while parent in by_name:
            chain.append(parent)
            members.setdefault(parent, []).append(row.index)
            parent = by_name[parent].parent
        chains[row.index] = chain[::-1]
    built = {name: _Container(name, by_name[name].type, leaves, by_name[name].params, by_name[name].macs,
                              by_name[name].output_shape) for name, leaves in members.items()}
    return {index: [built[name] for name in chain] for index, chain in chains.items()}


def _hashable(value):
    """A field's value as a dict key (shapes are lists; a detection model's output may be a dict)."""
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    return value
