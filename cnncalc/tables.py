"""The papers' table layouts, computed from a report: GoogLeNet's Table 1 and the side-by-side tables of ResNet,
DenseNet and VGG (`cnncalc table`, `cnncalc compare`). Numbers only; render/tables.py formats them."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.figures import agrees, parse_figure
from cnncalc.grouping import Row, rows
from cnncalc.layers import Shape
from cnncalc.results import LayerResult, Report

WEIGHTED = ("conv", "fc", "deconv", "local")
HIDDEN = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "lrn", "flatten", "batchnorm")  # not rows in the papers
INCEPTION_COLUMNS = ("#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj")


@dataclass(frozen=True)
class PaperCheck:
    """A paper's figure beside ours: agrees when ours rounds to it at the figure's own precision."""

    what: str
    written: str
    computed: int

    @property
    def agrees(self) -> bool:
        return agrees(self.computed, self.written)

    @property
    def ratio(self) -> float:
        value, _ = parse_figure(self.written)
        return float(self.computed / value) if value else float("inf")


@dataclass(frozen=True)
class TableRow:
    name: str
    type: str
    patch: str
    output: Shape
    depth: int
    columns: dict[str, int]
    params: int
    ops: int
    checks: tuple[PaperCheck, ...]


def _weighted(layers: tuple[LayerResult, ...]) -> list[LayerResult]:
    return [r for r in layers if r.kind in WEIGHTED]


def _branches(row: Row) -> list[list[LayerResult]]:
    """A concat module's rows split by branch (the path part after the module's name)."""
    out: dict[str, list[LayerResult]] = {}
    prefix = row.name + "."
    for r in row.layers:
        branch = r.name[len(prefix):].split(".")[0]
        if r.kind != "concat":
            out.setdefault(branch, []).append(r)
    return list(out.values())


def _depth(row: Row) -> int:
    branches = _branches(row) if row.module and any(r.kind == "concat" for r in row.layers) else [list(row.layers)]
    return max(len(_weighted(tuple(b))) for b in branches)


def _columns(row: Row) -> dict[str, int]:
    if row.module is None:
        return {}
    branches = _branches(row)
    if len(branches) == 4 and any(r.kind == "concat" for r in row.layers):  # an inception module
        convs = [_weighted(tuple(b)) for b in branches]
        if all(convs) and len(convs[1]) == len(convs[2]) == 2:
            values = (convs[0][-1], convs[1][0], convs[1][-1], convs[2][0], convs[2][-1], convs[3][-1])
            return {name: r.output[0] for name, r in zip(INCEPTION_COLUMNS, values)}
    convs = _weighted(row.layers)
    if len(convs) == 2 and convs[0].description.startswith("1x1"):  # a 1×1 reduction before a k×k convolution
        k = convs[1].description.split("x")[0]
        return {f"#{k}x{k} reduce": convs[0].output[0], f"#{k}x{k}": convs[1].output[0]}
    return {}


def _patch(row: Row) -> str:
    leaf = row.leaf
    if leaf is not None:
        return leaf.description.split(" ")[0] if leaf.kind in ("conv", "maxpool", "avgpool", "local") else ""
    if any(r.kind == "concat" for r in row.layers):
        return ""
    convs = _weighted(row.layers)
    return convs[-1].description.split(" ")[0] if convs else ""


def _type(row: Row) -> str:
    names = {"conv": "convolution", "maxpool": "max pool", "avgpool": "avg pool", "fc": "linear",
             "global_avgpool": "avg pool", "adaptive_avgpool": "avg pool"}
    if row.module is not None and row.kind != "sequence":
        suffix = row.name.split("_", 1)[1] if "_" in row.name else row.name
        return f"{row.kind} ({suffix})"
    if row.kind == "sequence":
        return "convolution" if _weighted(row.layers) else row.name
    if row.kind == "dropout" and row.leaf:
        return f"dropout ({float(row.leaf.description.split('=')[1]):.0%})"
    return names.get(row.kind, row.kind)


def checks(paper: tuple[tuple[str, str], ...], params: int, macs: int) -> tuple[PaperCheck, ...]:
    values = {"params": params, "ops": macs, "macs": macs}
    return tuple(PaperCheck(what, written, values[what]) for what, written in paper)


def paper_table(report: Report) -> list[TableRow]:
    """GoogLeNet Table 1's layout for any spec: one row per top-level layer or block, activations omitted."""
    out = []
    for row in rows(report, 1):
        if row.kind in HIDDEN:
            continue
        out.append(TableRow(name=row.name, type=_type(row), patch=_patch(row), output=row.output, depth=_depth(row),
                            columns=_columns(row), params=row.params, ops=row.macs,
                            checks=checks(row.paper, row.params, row.macs)))
    return out


@dataclass(frozen=True)
class Comparison:
    """Several specs side by side: one row per top-level layer or stage name, one column per spec."""

    models: tuple[str, ...]
    names: tuple[str, ...]
    outputs: dict[str, Shape]
    cells: dict[tuple[str, str], str]
    reports: tuple[Report, ...]
    mixed: frozenset[str] = frozenset()  # rows whose output differs between specs: each cell then shows its own


def _kernel_and_stride(r: LayerResult) -> tuple[str, str]:
    """('7x7', '2') from a description such as '7x7/2 pad 3, no bias'."""
    window = r.description.split(" ")[0]
    kernel, _, stride = window.partition("/")
    return kernel, stride or "1"


def block_config(row: Row) -> str:
    """'[1x1, 64; 3x3, 64; 1x1, 256] x3': the weighted layers of one repetition, as the ResNet table writes."""
    leaf = row.leaf
    if leaf is not None:
        kernel, stride = _kernel_and_stride(leaf)
        stride_text = f", stride {stride}" if stride != "1" else ""
        if leaf.kind == "fc":
            return f"{leaf.output[0]}-d fc"
        if leaf.kind in WEIGHTED:
            return f"{kernel}, {leaf.output[0]}{stride_text}"
        if leaf.kind in ("maxpool", "avgpool"):
            return f"{kernel} {leaf.kind[:3]} pool{stride_text}"
        if leaf.kind in ("global_avgpool", "adaptive_avgpool"):
            return "global average pool"
        return leaf.kind
    count = row.description[1:] if row.description.startswith("x") else "1"
    first = row.name + ".0."
    body = [r for r in row.layers if r.name.startswith(first) and r.kind in WEIGHTED and ".shortcut." not in r.name]
    if not body:
        body = [r for r in row.layers if r.kind in WEIGHTED]
    inner = "; ".join(f"{_kernel_and_stride(r)[0]}, {r.output[0]}" for r in body)
    return f"[{inner}] x{count}" if count != "1" else f"[{inner}]"


def compare(reports: list[Report]) -> Comparison:
    names: list[str] = []
    outputs: dict[str, Shape] = {}
    each: dict[tuple[str, str], Shape] = {}
    cells: dict[tuple[str, str], str] = {}
    for report in reports:
        for row in rows(report, 1):
            if row.kind in HIDDEN or row.kind == "softmax":
                continue
            if row.name not in names:
                names.append(row.name)
                outputs[row.name] = row.output
            cells[(row.name, report.model)] = block_config(row)
            each[(row.name, report.model)] = row.output
    def spatial(shape: Shape) -> Shape:
        return shape[1:] if len(shape) == 3 else shape

    mixed = frozenset(name for name in names if len({spatial(s) for (n, _), s in each.items() if n == name}) > 1)
    for (name, model), shape in each.items():
        if name in mixed:
            cells[(name, model)] += f" → {'x'.join(map(str, spatial(shape)))}"
    return Comparison(models=tuple(r.model for r in reports), names=tuple(names), outputs=outputs, cells=cells,
                      reports=tuple(reports), mixed=mixed)
