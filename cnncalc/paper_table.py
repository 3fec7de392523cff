"""GoogLeNet Table 1's layout computed for any spec (`cnncalc table`): one row per top-level layer or block with
its patch size, depth and inception columns, and the paper's own figures (`paper:` in the spec) checked against
ours. Numbers only; cnncalc/views/paper_table.py lays them out."""

from __future__ import annotations

import re
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
    variant: str = ""  # the named variant analysed: a `paper:` figure is the paper's network's, not the variant's

    @property
    def agrees(self) -> bool:
        return agrees(self.computed, self.written)

    @property
    def flagged(self) -> bool:
        """A slip to point at (✗): ours differs from the paper's figure for the paper's own network."""
        return not self.agrees and not self.variant

    @property
    def mark(self) -> str:
        """✓, ✗, or why a difference is no slip: the figure is for another network than the one analysed."""
        if self.agrees:
            return "✓"
        return f"(the paper's network, not --variant {self.variant})" if self.variant else "✗"

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
        rate = re.search(r"p=([0-9.]+)", row.leaf.description)  # "p=0.4", "p=0.2 in place"
        return f"dropout ({float(rate.group(1)):.0%})" if rate else "dropout"
    return names.get(row.kind, row.kind)


def checks(paper: tuple[tuple[str, str], ...], params: int, macs: int, variant: str = "") -> tuple[PaperCheck, ...]:
    """Ours beside each of the paper's figures; `variant`: the spec's named variant analysed, if any (the figures
    in `paper:` describe the network of the paper, the spec without a variant)."""
    values = {"params": params, "ops": macs, "macs": macs}
    return tuple(PaperCheck(what, written, values[what], variant) for what, written in paper)


def paper_table(report: Report) -> list[TableRow]:
    """GoogLeNet Table 1's layout for any spec: one row per top-level layer or block, activations omitted."""
    out = []
    for row in rows(report, 1):
        if row.kind in HIDDEN:
            continue
        out.append(TableRow(name=row.name, type=_type(row), patch=_patch(row), output=row.output, depth=_depth(row),
                            columns=_columns(row), params=row.params, ops=row.macs,
                            checks=checks(row.paper, row.params, row.macs, report.variant)))
    return out
