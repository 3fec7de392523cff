"""JSON: the stable schema of issue 2 (model, input, layers[], totals{}), exact integers, extra keys allowed."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from cnncalc.receptive import ReceptiveField
from cnncalc.results import Report


def rf_dict(rf: ReceptiveField | None) -> dict[str, list[int | float]] | None:
    """Araujo et al.'s four numbers per axis [h, w]; the centre may be a half pixel."""
    if rf is None:
        return None

    def num(x: Fraction) -> int | float:
        return int(x) if x.denominator == 1 else float(x)

    return {"size": list(rf.size), "jump": list(rf.jump), "padding": list(rf.padding),
            "center": [num(c) for c in rf.center]}


def report_dict(report: Report, receptive_field: bool = False) -> dict[str, Any]:
    t = report.totals
    data = {
        "model": report.model,
        "input": list(report.input),
        "dtype": report.dtype,
        "batch": report.batch,
        "bytes_per_value": report.bytes_per_value,
        "count_biases": report.count_biases,
        "layers": [
            {"name": r.name, "type": r.kind, "description": r.description, "input": list(r.input),
             "output": list(r.output), "params": r.params, "weights": r.weights, "biases": r.biases,
             "buffers": r.buffers, "activations": r.activations, "new_tensor": r.new_tensor, "macs": r.macs,
             "flops": r.flops, "params_formula": r.params_formula, "note": r.note, "line": r.line}
            for r in report.layers
        ],
        "totals": {"params": t.params, "weights": t.weights, "biases": t.biases, "buffers": t.buffers,
                   "activations": t.activations, "macs": t.macs, "flops": t.flops,
                   "forward_bytes": t.forward_bytes, "forward_backward_bytes": t.forward_backward_bytes,
                   "params_bytes": t.params_bytes},
        "warnings": [
            {"layer": w.layer, "axis": w.axis, "exact": float(w.exact), "exact_fraction": str(w.exact),
             "pytorch": w.floor, "leftover": w.leftover, "suggested_input": w.suggested_input,
             "message": w.message()}
            for w in report.warnings
        ],
        "modules": [{"name": m.name, "type": m.kind, "input": list(m.input), "output": list(m.output)}
                    for m in report.modules],
    }
    _add_expectations(report, data)
    if receptive_field:
        for row, r in zip(data["layers"], report.layers):
            row["receptive_field"] = rf_dict(r.receptive_field)
        data["receptive_field_warnings"] = list(report.misaligned)
    return data


def _add_expectations(report: Report, data: dict[str, Any]) -> None:
    """The spec's `expect:` checked: "expect" on the layers that have it, "expectations" for all (new fields only
    when the spec has expectations, so the schema of other reports is unchanged)."""
    from cnncalc.grade import expectations, has_expectations

    if not has_expectations(report):
        return
    checks = [{"target": v.target, "quantity": v.quantity, "expected": v.answer, "right": v.right,
               "computed": v.exact, "text": v.expected, "why": v.why} for v in expectations(report)]
    by_layer: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        by_layer.setdefault(check["target"], []).append(check)
    for row in data["layers"]:
        if row["name"] in by_layer:
            row["expect"] = by_layer[row["name"]]
    data["expectations"] = {"right": sum(c["right"] for c in checks), "total": len(checks), "checks": checks}


def render(report: Report, receptive_field: bool = False) -> str:
    """Indented at the top level, one line per layer: readable, and fast (json's C encoder) for 100k layers."""
    return dumps_by_line(report_dict(report, receptive_field))


def dumps_by_line(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            # one C-encoded dump, then a line break between the rows: several times faster than a dump per row
            # (a nested list of mappings inside a row may break too; the JSON stays the same)
            items = json.dumps(value, ensure_ascii=False)[1:-1].replace("}, {", "},\n    {")
            text = f"[\n    {items}\n  ]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}"
