"""CSV: one row per layer with exact integers, then a TOTAL row; output in the slides' HxWxC notation."""

from __future__ import annotations

import csv
import io

from cnncalc import grouping
from cnncalc.layers.base import show_shape
from cnncalc.results import Report

COLUMNS = ("name", "type", "description", "output", "params", "weights", "biases", "buffers", "activations",
           "macs", "flops")


def render(report: Report, depth: int | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in grouping.rows(report, depth):
        buffers = sum(layer.buffers for layer in r.layers)
        writer.writerow((r.name, r.kind, r.description, show_shape(r.output), r.params, r.weights, r.biases,
                         buffers, r.activations, r.macs, r.flops))
    t = report.totals
    writer.writerow(("TOTAL", "", "activations include the input", "", t.params, t.weights, t.biases, t.buffers,
                     t.activations, t.macs, t.flops))
    return out.getvalue()
