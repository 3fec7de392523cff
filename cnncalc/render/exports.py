"""Document formats shared by the commands that export tables: Markdown and CSV tables from plain cells, and
`cnncalc compare` in every format (its rich table stays in render/tables.py).

Text formats group digits (138,357,544); CSV and JSON carry exact integers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from cnncalc.layers import show_shape
from cnncalc.render.numbers import grouped
from cnncalc.tables import Comparison, checks


def md_escape(cell: str) -> str:
    return cell.replace("|", "\\|").replace("*", "\\*").replace("\n", "<br>")


def md_table(headers: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table; `align` has one letter per column, l or r."""
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |", rule]
    lines += ["| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def csv_text(rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


# --- cnncalc compare -----------------------------------------------------------------------------------------

def _size(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}x{shape[2]}" if len(shape) == 3 else str(shape[0])


def comparison_cells(comp: Comparison, totals_only: bool = False) -> tuple[list[str], list[list[str]],
                                                                            list[list[str]]]:
    """(headers, stage rows, total rows) as the papers' side-by-side tables print them."""
    headers = ["layer name", "output size", *comp.models]
    rows = [] if totals_only else [[name, ("" if name in comp.mixed else _size(comp.outputs[name])), *(comp.cells.get((name, m), "")
                                                                         for m in comp.models)]
                                   for name in comp.names]
    totals = [
        ["params", "", *(grouped(r.totals.params) for r in comp.reports)],
        ["params (M)", "", *(f"{r.totals.params / 1e6:.0f}" for r in comp.reports)],
        ["MACs", "", *(grouped(r.totals.macs) for r in comp.reports)],
        ["MACs (×10⁹, FLOPs in the papers)", "", *(f"{r.totals.macs / 1e9:.2f}" for r in comp.reports)],
    ]
    papers = [", ".join(f"{c.what} {c.written} {'✓' if c.agrees else '✗'}"
                        for c in checks(r.paper, r.totals.params, r.totals.macs)) for r in comp.reports]
    if any(papers):
        totals.append(["paper", "", *papers])
    return headers, rows, totals


def comparison_markdown(comp: Comparison, totals_only: bool = False) -> str:
    headers, rows, totals = comparison_cells(comp, totals_only)
    align = "ll" + "l" * len(comp.models)
    body = rows + [[f"**{t[0]}**", *t[1:]] for t in totals]
    table = md_table(headers, align, body).replace("\\*\\*", "**")
    return "### Side by side\n\n" + table


def comparison_latex(comp: Comparison, totals_only: bool = False) -> str:
    from cnncalc.render.latex import tabular

    headers, rows, totals = comparison_cells(comp, totals_only)
    if not rows:  # totals only: the totals are the body
        rows, totals = totals, []
    return tabular(headers, "ll" + "r" * len(comp.models) if totals_only else "ll" + "l" * len(comp.models),
                   rows, footer=totals, caption="Side by side")


def comparison_dict(comp: Comparison, totals_only: bool = False) -> dict[str, Any]:
    return {
        "models": list(comp.models),
        "rows": [] if totals_only else [
            {"name": name, "output": None if name in comp.mixed else list(comp.outputs[name]),
             "cells": {m: comp.cells[(name, m)] for m in comp.models if (name, m) in comp.cells}}
            for name in comp.names],
        "totals": [
            {"model": r.model, "file": r.file, "params": r.totals.params, "weights": r.totals.weights,
             "biases": r.totals.biases, "macs": r.totals.macs, "flops": r.totals.flops,
             "activations": r.totals.activations,
             "paper": [{"what": c.what, "written": c.written, "computed": c.computed, "agrees": c.agrees}
                       for c in checks(r.paper, r.totals.params, r.totals.macs)]}
            for r in comp.reports],
    }


def comparison_json(comp: Comparison, totals_only: bool = False) -> str:
    return json.dumps(comparison_dict(comp, totals_only), indent=2, ensure_ascii=False) + "\n"


def comparison_csv(comp: Comparison, totals_only: bool = False) -> str:
    rows: list[list[Any]] = [["layer name", "output", *comp.models]]
    if not totals_only:
        rows += [[name, ("" if name in comp.mixed else show_shape(comp.outputs[name])), *(comp.cells.get((name, m), "") for m in comp.models)]
                 for name in comp.names]
    for label, attr in (("params", "params"), ("weights", "weights"), ("biases", "biases"), ("MACs", "macs"),
                        ("FLOPs", "flops")):
        rows.append([label, "", *(getattr(r.totals, attr) for r in comp.reports)])
    return csv_text(rows)
