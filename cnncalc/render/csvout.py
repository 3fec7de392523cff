"""CSV: one row per layer with exact integers, then a TOTAL row; output in the slides' HxWxC notation."""

from __future__ import annotations

import csv
import io

from cnncalc import grouping
from cnncalc.layers.base import show_shape
from cnncalc.render import summary
from cnncalc.results import Report

COLUMNS = ("name", "type", "description", "output", "params", "weights", "biases", "buffers", "activations",
           "macs", "flops")


def render(report: Report, depth: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    rows = grouping.rows(report, depth)
    checks = summary.expectation_cells(report, rows)  # an "expect" column only when the spec has `expect:`
    extra = () if checks is None else ("expect",)
    writer.writerow(COLUMNS + extra)
    for i, r in enumerate(rows):
        buffers = sum(layer.buffers for layer in r.layers)
        writer.writerow((r.name, r.kind, r.description, show_shape(r.output), r.params, r.weights, r.biases,
                         buffers, r.activations, r.macs, r.flops) + (() if checks is None else (checks[i],)))
    t = report.totals
    total_check = () if checks is None else ("; ".join(n for n in summary.expectation_notes(report)
                                                       if " total " in n),)
    writer.writerow(("TOTAL", "", "activations include the input", "", t.params, t.weights, t.biases, t.buffers,
                     t.activations, t.macs, t.flops) + total_check)
    return out.getvalue()
