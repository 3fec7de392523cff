"""Several specs side by side, as the ResNet, DenseNet and VGG papers tabulate them (`cnncalc compare`): one row
per top-level layer or stage, its block configuration per spec ('[1x1, 64; 3x3, 64; 1x1, 256] x3'). Numbers
only; cnncalc/views/compare.py lays them out."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.grouping import Row, rows
from cnncalc.layers import Shape
from cnncalc.paper_table import HIDDEN, WEIGHTED
from cnncalc.results import LayerResult, Report


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
