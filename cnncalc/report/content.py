"""What the report page shows, as one JSON-ready dict: the drawing's tree and boxes, the worked solutions, and
the tables, totals, warnings and charts already rendered to HTML by the library's own views.

Every number and every label is made here, in Python, from the same views the CLI prints (summarize, explain,
the symbolic view), so the page and the CLI cannot disagree: the page's script only places boxes and lines.
A box's `z` (0..1 per metric: activations, params, MACs) is the square root of its share of the largest box's,
so that a box's bar area follows the metric; it is presentation, computed here all the same.
"""

from __future__ import annotations

import math
from typing import Any

from cnncalc import grouping
from cnncalc.document import Document, Facts, Table
from cnncalc.layers import show_shape
from cnncalc.numbers import approx, grouped, si
from cnncalc.report import charts
from cnncalc.report.tree import build
from cnncalc.results import Report
from cnncalc.spec.model import Spec
from cnncalc.writers import html

METRICS = ("memory", "params", "MACs")


def _z(values: list[int]) -> list[float]:
    top = max(values, default=0)
    return [round(math.sqrt(v / top), 3) if top else 0.0 for v in values]


def _box(name: str, kind: str, description: str, out: str, params: str, memory: str, macs: str) -> dict[str, Any]:
    return {"n": name, "k": kind, "d": description, "o": out, "p": params, "m": memory, "c": macs}


def _first(document: Document, kind: type) -> Any:
    """The document's first block of a kind (its display table, its facts)."""
    return next(b for b in document.blocks if isinstance(b, kind) and getattr(b, "audience", "") != "data")


def numeric(spec: Spec, report: Report) -> dict[str, Any]:
    """The payload of a report with numbers: boxes for rows and blocks, steps, and the summarize document."""
    from cnncalc.explain import explain
    from cnncalc.views import explain as explain_view
    from cnncalc.views import summarize

    layers = report.layers
    rows = [_box(r.name, r.kind, r.description, show_shape(r.output), grouped(r.params), approx(r.activations),
                 si(r.macs)) for r in layers]
    sums = []
    blocks = []
    for m in report.modules:
        group = layers[m.first_row:m.end_row]
        acts, params, macs = (sum(r.activations for r in group), sum(r.params for r in group),
                              sum(r.macs for r in group))
        sums.append((acts, params, macs))
        blocks.append(_box(m.name, m.kind, m.description, show_shape(m.output), grouped(params), approx(acts),
                           si(macs)))
    for metric, values in enumerate(zip(*([(r.activations, r.params, r.macs) for r in layers] + sums))):
        z = _z(list(values))
        for box, zi in zip(rows + blocks, z):
            box.setdefault("z", []).append(zi)
    solutions = explain(spec, report)
    steps = {s.name: [[st.label, explain_view.working(st), st.note] for st in s.steps] for s in solutions.layers}
    depth_rows = grouping.rows(report, 1)
    summary = summarize.document(report, 1)
    rf = summarize.document(report, 1, receptive_field=True)
    return {
        "model": report.model, "symbolic": False, "metrics": list(METRICS), "input": show_shape(report.input),
        "setting": f"input {show_shape(report.input)}, {report.dtype}, batch {report.batch}"
                   + ("" if report.count_biases else ", not counting biases"),
        "rows": rows, "blocks": blocks, "tree": build(layers, report.modules), "steps": steps,
        "top": [r.name for r in depth_rows],
        "totals": {"params": report.totals.params, "activations": report.totals.activations,
                   "macs": report.totals.macs, "params_text": grouped(report.totals.params)},
        "warnings": [w.message() for w in report.warnings],
        "table": html.table(_first(summary, Table)),
        "facts": html.facts(_first(summary, Facts)),
        "rf": html.table(_first(rf, Table), "sortable rf"),
        "charts": charts.profile(report, depth_rows),
    }


def symbolic(spec: Spec, shape: tuple[Any, ...]) -> dict[str, Any]:
    """The payload of a symbolic input (HxWx3): formulas in the boxes and the table, the tiling conditions."""
    from cnncalc.symbolic import analyze_symbolic, human
    from cnncalc.views import symbolic as view

    result = analyze_symbolic(spec, shape)
    rows = [_box(r.name, r.kind, r.description, view.shape_text(r.output), human(r.weights + r.biases),
                 human(r.activations), human(r.macs)) | {"z": [0.0, 0.0, 0.0]} for r in result.layers]
    steps = {r.name: [["Output", view.shape_text(r.output), ""], ["Parameters", human(r.weights + r.biases), ""],
                      ["Activations", human(r.activations), ""], ["MACs", human(r.macs), ""]]
             for r in result.layers}
    near = spec.input[1] if isinstance(spec.input[-1], int) and len(spec.input) == 3 else None
    document = view.document(result, near, None)
    rest = "".join(html.write(type(document)(document.title, document.blocks[1:])).split("\n", 1)[1:])
    return {
        "model": result.model, "symbolic": True, "metrics": [], "input": view.shape_text(result.input),
        "setting": f"input {view.shape_text(result.input)} (formulas in the input's symbols)",
        "rows": rows, "blocks": [], "tree": build(result.layers), "steps": steps,
        "top": [r.name for r in result.layers],
        "totals": {}, "warnings": list(result.never),
        "table": html.table(_first(document, Table)), "facts": rest, "rf": "", "charts": "",
    }
