"""`cnncalc table`: a spec in the layout of the GoogLeNet paper's Table 1 — type, patch size/stride, output
size, depth, the inception columns, params and ops — with the paper's own figures beside ours, ✗ where they
differ by more than rounding; and its JSON."""

from __future__ import annotations

from typing import Any

from cnncalc.document import Cell, Column, Document, Paragraph, Table, cell
from cnncalc.layers import Shape, show_shape
from cnncalc.numbers import grouped, si
from cnncalc.paper_table import INCEPTION_COLUMNS, PaperCheck, TableRow
from cnncalc.writers.jsontext import dumps


def size(shape: Shape) -> str:
    """The paper's 112×112×64 (a flat vector: 1×1×C)."""
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}×{w}×{c}"
    return f"1×1×{shape[0]}"


def _check_cell(check: PaperCheck | None) -> Cell:
    if check is None:
        return Cell("")
    return Cell(f"{check.written} {check.mark}", check.written,
                "good" if check.agrees else "bad" if check.flagged else "")


def _value(value: int, check: PaperCheck | None) -> Cell:
    """Ours in the paper's own units (2.7K, 34M) when it gives a figure, else four significant figures."""
    if not value:
        return Cell("", 0)
    if check is None:
        return Cell(si(value), value)
    text = check.written.strip()
    unit = text[-1].upper() if text[-1].isalpha() else ""
    div = {"K": 10**3, "M": 10**6, "G": 10**9}.get(unit, 1)
    decimals = len(text[:-1].split(".")[1]) if unit and "." in text else 0
    return Cell(f"{value / div:.{decimals}f}{unit}", value)


def _columns(rows: list[TableRow]) -> list[str]:
    extra = [c for c in ("#3x3 reduce", "#3x3") if any(c in r.columns for r in rows)]
    return list(INCEPTION_COLUMNS) if any("#1x1" in r.columns for r in rows) else extra


def document(rows: list[TableRow], model: str, total: tuple[PaperCheck, ...]) -> Document:
    inception = _columns(rows)
    # On a narrow terminal the inception branch widths give way first, then patch and depth: type, output size,
    # params, ops and the paper's verdicts are the answer.
    columns = (Column("type", "name"), Column("patch size/stride", "text", priority=1),
               Column("output size", "shape"), Column("depth", "integer", "right", priority=1),
               *(Column(c, "integer", "right", priority=2) for c in inception),
               Column("params", "integer", "right"), Column("ops (MACs)", "integer", "right"),
               Column("paper params", "verdict", "right"), Column("paper ops", "verdict", "right"))
    body = []
    flagged = 0
    for r in rows:
        paper = {c.what: c for c in r.checks}
        flagged += sum(c.flagged for c in r.checks)
        body.append((Cell(r.type), Cell(r.patch.replace("x", "×")), Cell(size(r.output), show_shape(r.output)), cell(r.depth),
                     *(cell(r.columns.get(c)) for c in inception),
                     _value(r.params, paper.get("params")), _value(r.ops, paper.get("ops")),
                     _check_cell(paper.get("params")), _check_cell(paper.get("ops"))))
    blocks: list[Any] = [Table(columns, tuple(body))]
    for c in total:
        blocks.append(Paragraph(f"Total {c.what}: computed {grouped(c.computed)} ({si(c.computed)}); paper "
                                f"{c.written}: {'agrees' if c.agrees else 'differs' if c.flagged else c.mark[1:-1]}"))
    if flagged:
        blocks.append(Paragraph(f"{flagged} figure(s) of the paper differ from the computed value by more than "
                                "rounding (✗); docs/conventions.md explains each."))
    return Document(f"{model}: computed in the layout of the GoogLeNet paper's Table 1 (ReLU and LRN rows "
                    "omitted, as there)", tuple(blocks))


def _check_dict(c: PaperCheck) -> dict[str, Any]:
    return {"what": c.what, "written": c.written, "computed": c.computed, "agrees": c.agrees,
            "variant": c.variant or None, "flagged": c.flagged}


def json_text(rows: list[TableRow], model: str, total: tuple[PaperCheck, ...]) -> str:
    return dumps({
        "model": model,
        "rows": [{"name": r.name, "type": r.type, "patch": r.patch, "output": list(r.output), "depth": r.depth,
                  "columns": dict(r.columns), "params": r.params, "ops": r.ops,
                  "paper": [_check_dict(c) for c in r.checks]} for r in rows],
        "totals": [_check_dict(c) for c in total],
    })
