"""`cnncalc compare`: specs side by side as the ResNet, DenseNet and VGG papers print them — one row per stage
with each spec's block configuration, then params and MACs (the papers' "FLOPs") — and its JSON contract.

Text formats group digits (138,357,544); CSV and JSON carry exact integers.
"""

from __future__ import annotations

from typing import Any

from cnncalc.comparison import Comparison
from cnncalc.document import Cell, Column, Document, Table, cell
from cnncalc.layers import Shape, show_shape
from cnncalc.numbers import grouped, nbytes
from cnncalc.paper_table import checks
from cnncalc.writers.jsontext import dumps

TITLE = "Side by side"


def _size(shape: Shape) -> str:
    return f"{shape[1]}x{shape[2]}" if len(shape) == 3 else str(shape[0])


def document(comp: Comparison, totals_only: bool = False, memory: bool = False) -> Document:
    """The stage rows (unless totals_only), the totals under a rule (with memory: the forward activations at the
    reports' batch and dtype); and the exact totals for CSV."""
    align = "right" if totals_only else "left"
    size = () if totals_only else (Column("output size", "shape"),)  # with the totals only it would stay empty
    columns = (Column("layer name", "name"), *size, *(Column(m, "text", align) for m in comp.models))
    rows = () if totals_only else tuple(
        (Cell(name), Cell("" if name in comp.mixed else _size(comp.outputs[name])),
         *(Cell(comp.cells.get((name, m), "")) for m in comp.models)) for name in comp.names)
    totals = [
        ("params", *(grouped(r.totals.params) for r in comp.reports)),
        ("params (M)", *(f"{r.totals.params / 1e6:.0f}" for r in comp.reports)),
        ("MACs", *(grouped(r.totals.macs) for r in comp.reports)),
        ("MACs (×10⁹, FLOPs in the papers)", *(f"{r.totals.macs / 1e9:.2f}" for r in comp.reports)),
    ]
    if memory:
        setting = f"{comp.reports[0].dtype}, batch {comp.reports[0].batch}"
        totals.append((f"activations ({setting})", *(nbytes(r.totals.forward_bytes) for r in comp.reports)))
    papers = [", ".join(f"{c.what} {c.written} {c.mark}" for c in checks(r.paper, r.totals.params, r.totals.macs,
                                                                          r.variant)) for r in comp.reports]
    if any(papers):
        totals.append(("paper", *papers))
    footer = tuple((Cell(label), *(Cell("") for _ in size), *(Cell(v) for v in values)) for label, *values in totals)
    return Document(TITLE, (Table(columns, rows, footer, audience="display"), _data_table(comp, totals_only, memory)))


def _data_table(comp: Comparison, totals_only: bool, memory: bool) -> Table:
    columns = (Column("layer name"), Column("output"), *(Column(m) for m in comp.models))
    rows: list[tuple[Cell, ...]] = []
    if not totals_only:
        rows += [(Cell(name), Cell("" if name in comp.mixed else show_shape(comp.outputs[name])),
                  *(Cell(comp.cells.get((name, m), "")) for m in comp.models)) for name in comp.names]
    for label, attr in (("params", "params"), ("weights", "weights"), ("biases", "biases"), ("MACs", "macs"),
                        ("FLOPs", "flops"), *((("forward bytes", "forward_bytes"),) if memory else ())):
        rows.append((Cell(label), Cell(""), *(cell(getattr(r.totals, attr)) for r in comp.reports)))
    return Table(columns, tuple(rows), audience="data")


def data(comp: Comparison, totals_only: bool = False) -> dict[str, Any]:
    return {
        "models": list(comp.models),
        "rows": [] if totals_only else [
            {"name": name, "output": None if name in comp.mixed else list(comp.outputs[name]),
             "cells": {m: comp.cells[(name, m)] for m in comp.models if (name, m) in comp.cells}}
            for name in comp.names],
        "totals": [
            {"model": r.model, "file": r.file, "input": list(r.input), "dtype": r.dtype, "batch": r.batch,
             "forward_bytes": r.totals.forward_bytes, "params": r.totals.params, "weights": r.totals.weights,
             "biases": r.totals.biases, "macs": r.totals.macs, "flops": r.totals.flops,
             "activations": r.totals.activations,
             "paper": [{"what": c.what, "written": c.written, "computed": c.computed, "agrees": c.agrees,
                        "variant": c.variant or None, "flagged": c.flagged}
                       for c in checks(r.paper, r.totals.params, r.totals.macs, r.variant)]}
            for r in comp.reports],
    }


def json_text(comp: Comparison, totals_only: bool = False) -> str:
    return dumps(data(comp, totals_only))
