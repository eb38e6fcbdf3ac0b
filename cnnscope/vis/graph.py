"""The architecture as a graphviz DOT diagram, drawn from a ModelReport (no torch needed).

Nodes are leaf rows -- module calls and functional ops such as ``add`` and ``cat`` -- carrying
their params, MACs and receptive field; edges are the tensors between them, labelled with their
shapes, following the data flow the tracer recorded.  Containers become clusters, and runs of
two or more consecutive sibling blocks of the same type collapse into one node
("Bottleneck ×3") unless ``expand`` is set.  ``depth`` draws every container at that depth as
one node; ``roll`` draws the repeated calls of one module as one node with a loop ("×N");
``shapes`` and ``costs`` switch the edge shapes and the params/MACs/RF lines on and off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cnnscope import units
from cnnscope.report import LayerRecord, ModelReport
from cnnscope.i18n import _


@dataclass
class _Tree:
    row: LayerRecord
    children: list["_Tree"] = field(default_factory=list)


def build_tree(report: ModelReport) -> _Tree:
    """Rows are in pre-order, so a row's parent is the last row seen one level up."""
    root = _Tree(report.layers[0])
    open_at: dict[int, _Tree] = {report.layers[0].depth: root}
    for row in report.layers[1:]:
        node = _Tree(row)
        parent = open_at.get(row.depth - 1, root)
        parent.children.append(node)
        open_at[row.depth] = node
        for deeper in [d for d in open_at if d > row.depth]:
            del open_at[deeper]
    return root


_GENERIC = ("Sequential", "ModuleList", "ModuleDict")


def _same_block(a: _Tree, b: _Tree) -> bool:
    """Repeated blocks: same block type (not a plain container), both with inside rows, same output."""
    return (bool(a.children) and bool(b.children) and a.row.type == b.row.type and a.row.type not in _GENERIC
            and a.row.kind == "module" and a.row.output_shape == b.row.output_shape)


def _leaves(tree: _Tree) -> list[LayerRecord]:
    if not tree.children:
        return [tree.row]
    return [leaf for child in tree.children for leaf in _leaves(child)]


def _escape(text: str) -> str:
    """A DOT string: graphviz reads ``&lt;``-style entities in labels, so ``&`` is written ``&amp;``."""
    return text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')


def _rf(row: LayerRecord) -> str:
    if row.rf is None:
        return ""
    return "RF " + units.rf_size(row.rf)


def _geometry(row: LayerRecord) -> str:
    if not row.kernel_size:
        return ""
    kernel = "×".join(map(str, row.kernel_size))
    stride = row.stride[0] if row.stride and len(set(row.stride)) == 1 else "×".join(map(str, row.stride or []))
    return f" {kernel}" + (f"/{stride}" if str(stride) not in ("1", "") else "")


def _costs(params: int, macs: int, rf: str) -> str:
    parts = []
    if params:
        parts.append(f"{units.si(params)} params")
    if macs:
        parts.append(f"{units.si(macs)} MACs")
    if rf:
        parts.append(rf)
    return " · ".join(parts)


class _Dot:
    def __init__(self, report: ModelReport, expand: bool, rankdir: str, depth: int | None = None,
                 shapes: bool = True, costs: bool = True, roll: bool = False):
        self.report = report
        self.expand = expand
        self.depth, self.shapes, self.costs, self.roll = depth, shapes, costs, roll
        self.calls: dict[str, str] = {}  # module name -> the node of its first call (roll)
        self.loops: dict[str, int] = {}  # node id -> calls rolled into it
        self.lines = [
            f'digraph "{_escape(report.model)}" {{',
            f"  rankdir={rankdir};",
            '  graph [fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.3];',
            '  node [fontname="Helvetica", fontsize=9, shape=box, style="rounded,filled", fillcolor="#eef3fb", '
            'color="#5b7bb0"];',
            '  edge [fontname="Helvetica", fontsize=8, color="#777777"];',
        ]
        self.node_of: dict[int, str] = {}  # leaf row index -> node id drawn for it
        self.leaf_nodes = 0
        self.groups = 0

    def node(self, node_id: str, label: str, indent: str, shape: str = "", fill: str = "") -> None:
        extra = (f", shape={shape}" if shape else "") + (f', fillcolor="{fill}"' if fill else "")
        self.lines.append(f'{indent}"{node_id}" [label="{_escape(label)}"{extra}];')

    def _costs(self, params: int, macs: int, rf: str) -> str:
        return _costs(params, macs, rf) if self.costs else ""

    def _shape(self, shape) -> str:
        return units.shape(shape) if self.shapes else ""

    def leaf(self, row: LayerRecord, indent: str) -> None:
        node_id = f"r{row.index}"
        if self.roll and row.kind == "module" and row.name in self.calls:
            first = self.calls[row.name]
            self.node_of[row.index] = first
            self.loops[first] = self.loops.get(first, 1) + 1
            return
        if row.kind == "module":
            self.calls.setdefault(row.name, node_id)
        name = row.name or "(model)"
        if row.call and not self.roll:
            name += f" (call {row.call + 1})"
        costs = self._costs(row.params, row.macs, _rf(row))
        if row.kind == "function" and name.rsplit(".", 1)[-1].split("_")[0] == row.type.split("_")[0]:
            geometry = _geometry(row).strip()
            kind = f"{geometry}\n" if geometry else ""
        else:
            kind = f"{row.type}{_geometry(row)}\n"
        label = f"{name}\n{kind}{self._shape(row.output_shape)}".rstrip("\n") + (f"\n{costs}" if costs else "")
        if row.kind == "function":
            self.node(node_id, label, indent, shape="ellipse", fill="#fbf3e4")
        else:
            self.node(node_id, label, indent)
        self.node_of[row.index] = node_id
        self.leaf_nodes += 1

    def group(self, trees: list[_Tree], indent: str) -> None:
        first, last = trees[0].row, trees[-1].row
        node_id = f"g{first.index}"
        params = sum(t.row.params for t in trees)
        macs = sum(t.row.macs for t in trees)
        label = "\n".join(part for part in (f"{first.name} … {last.name}", f"{first.type} ×{len(trees)}",
                                              self._shape(last.output_shape), self._costs(params, macs, _rf(last)))
                           if part)
        self.node(node_id, label, indent, fill="#e3efe3")
        for tree in trees:
            for leaf in _leaves(tree):
                self.node_of[leaf.index] = node_id
        self.groups += 1

    def children(self, children: list[_Tree], indent: str) -> None:
        k = 0
        while k < len(children):
            run = [children[k]]
            while not self.expand and k + len(run) < len(children) and _same_block(children[k], children[k + len(run)]):
                run.append(children[k + len(run)])
            if len(run) >= 2:
                self.group(run, indent)
            else:
                self.subtree(run[0], indent)
            k += len(run)

    def collapsed(self, tree: _Tree, indent: str) -> None:
        """A container drawn as one node (below ``depth``): its leaves all map to it."""
        row = tree.row
        node_id = f"c{row.index}"
        label = "\n".join(part for part in (row.name, row.type, self._shape(row.output_shape),
                                              self._costs(row.params, row.macs, _rf(row))) if part)
        self.node(node_id, label, indent, fill="#e3efe3")
        for leaf in _leaves(tree):
            self.node_of[leaf.index] = node_id
        self.groups += 1

    def subtree(self, tree: _Tree, indent: str) -> None:
        if not tree.children:
            self.leaf(tree.row, indent)
            return
        row = tree.row
        if self.depth is not None and row.depth >= self.depth:
            self.collapsed(tree, indent)
            return
        self.lines.append(f'{indent}subgraph "cluster_{row.index}" {{')
        costs = self._costs(row.params, row.macs, "")
        label = f"{row.name} ({row.type})" + (f" · {costs}" if costs else "")
        self.lines.append(f'{indent}  label="{_escape(label)}"; style="rounded"; color="#aab6c8";')
        self.children(tree.children, indent + "  ")
        self.lines.append(f"{indent}}}")

    def edges(self) -> None:
        shapes = self.report.input_shape if isinstance(self.report.input_shape[0], list) else [self.report.input_shape]
        for k, shape in enumerate(shapes):
            self.node(f"in{k}", f"input {units.shape(shape)}" if len(shapes) == 1 else f"input {k}\n{units.shape(shape)}",
                      "  ", shape="plaintext", fill="white")
        rows = {r.index: r for r in self.report.layers}
        seen = set()
        for row in self.report.layers:
            if not row.is_leaf or row.index not in self.node_of:
                continue
            target = self.node_of[row.index]
            for source in row.inputs:
                if source < 0:
                    origin, shape = f"in{-1 - source}", shapes[-1 - source] if -1 - source < len(shapes) else None
                else:
                    origin, shape = self.node_of.get(source), rows[source].output_shape
                if origin is None or origin == target or (origin, target) in seen:
                    continue
                seen.add((origin, target))
                label = f' [label="{_escape(units.shape(shape))}"]' if self.shapes else ""
                self.lines.append(f'  "{origin}" -> "{target}"{label};')
        for node_id, calls in self.loops.items():  # rolled calls: the loop drawn back into the node
            self.lines.append(f'  "{node_id}" -> "{node_id}" [label="×{calls}", style=dashed];')
        last = self.report.layers[0]
        sources = last.output_from or ([self.report.layers[-1].index] if len(self.report.layers) > 1 else [0])
        self.node("out", f"output {units.shape(self.report.output_shape)}", "  ", shape="plaintext", fill="white")
        for source in sources:
            if source in self.node_of:
                self.lines.append(f'  "{self.node_of[source]}" -> "out";')


def to_dot(report: ModelReport, expand: bool = False, rankdir: str = "TB", *, depth: int | None = None,
           shapes: bool = True, costs: bool = True, roll: bool = False) -> str:
    """DOT source for the report's architecture (st.graphviz_chart or the ``dot`` binary draw it)."""
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be TB, LR, BT or RL, got {rankdir!r}")
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be 1 or more, got {depth}")
    dot = _Dot(report, expand, rankdir, depth, shapes, costs, roll)
    tree = build_tree(report)
    if tree.children:
        dot.children(tree.children, "  ")
    else:
        dot.leaf(tree.row, "  ")
    dot.edges()
    dot.lines.append("}")
    return "\n".join(dot.lines) + "\n"


def count_leaf_nodes(dot_source: str) -> int:
    return sum(1 for line in dot_source.splitlines()
               if line.strip().startswith('"r') and "[label=" in line and "->" not in line)


def to_source(report: ModelReport, **options):
    """A ``graphviz.Source`` of the diagram, which notebooks draw inline (needs the ``graphviz``
    Python package and graphviz's ``dot`` program)."""
    try:
        import graphviz
    except ImportError:
        from cnnscope.errors import UsageError

        raise UsageError(_("the graphviz Python package is needed for inline diagrams: pip install graphviz")) from None
    return graphviz.Source(to_dot(report, **options))
