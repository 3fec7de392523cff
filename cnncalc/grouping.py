"""Rows at a chosen depth: every layer, or each block collapsed into one row as the papers' tables show them."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.layers.base import Shape
from cnncalc.results import LayerResult, ModuleResult, Report


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    description: str
    input: Shape
    output: Shape
    weights: int
    biases: int
    activations: int
    macs: int
    flops: int
    layers: tuple[LayerResult, ...]
    module: ModuleResult | None = None

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def leaf(self) -> LayerResult | None:
        return self.layers[0] if self.module is None else None

    @property
    def paper(self) -> tuple[tuple[str, str], ...]:
        return self.module.paper if self.module else self.layers[0].paper


def rows(report: Report, depth: int | None = None) -> list[Row]:
    """Group the report's layers by the first `depth` parts of their dotted names (None: no grouping)."""
    modules = {m.name: m for m in report.modules}
    out: list[Row] = []
    i = 0
    layers = report.layers
    while i < len(layers):
        parts = layers[i].name.split(".")
        key = ".".join(parts[:depth]) if depth is not None and len(parts) > depth else None
        if key is None or key not in modules or not modules[key].first_row <= i < modules[key].end_row:
            # a join row named under a module but recorded after it (a dense block's `0.concat`) stands alone;
            # grouping it into the module would send i backwards, for ever
            out.append(_leaf_row(layers[i]))
            i += 1
            continue
        module = modules[key]
        group = layers[module.first_row:module.end_row]
        out.append(Row(name=key, kind=module.kind, description=module.description, input=module.input,
                       output=module.output, weights=sum(r.weights for r in group),
                       biases=sum(r.biases for r in group), activations=sum(r.activations for r in group),
                       macs=sum(r.macs for r in group), flops=sum(r.flops for r in group), layers=tuple(group),
                       module=module))
        i = module.end_row
    return out


def _leaf_row(r: LayerResult) -> Row:
    return Row(name=r.name, kind=r.kind, description=r.description, input=r.input, output=r.output,
               weights=r.weights, biases=r.biases, activations=r.activations, macs=r.macs, flops=r.flops,
               layers=(r,))
