"""`cnncalc grade`: one row per answer with ✓/✗ and the expected value, the reason and the worked solution
under every wrong answer, and a score — as prose (`text`), as a document for every other format, and JSON."""

from __future__ import annotations

import json
from typing import Any

from cnncalc.document import Bullets, Cell, Column, Document, Fact, Facts, Paragraph, Table, cell, verdict
from cnncalc.grade.judge import Grade, Verdict
from cnncalc.views.explain import step_text, step_value_json
from cnncalc.writers.jsontext import dumps


def mark(v: Verdict) -> str:
    return "✓" if v.right else "✗"


def asked(v: Verdict) -> str:
    return f"{v.target} {v.quantity}" if v.target else v.quantity


def score(g: Grade) -> str:
    wrong = g.total - g.right
    return f"Score: {g.right}/{g.total} right" + (f", {wrong} wrong" if wrong else "")


def working(v: Verdict) -> list[str]:
    """Why the answer is wrong, then the worked solution's lines."""
    lines = [f"why: {v.why}"] if v.why and not v.right else []
    return lines + [step_text(s) for s in v.solution]


def text(g: Grade) -> str:
    """Prose for the student: each question, its answers aligned with ✓/✗, and the working under each."""
    lines = [g.title + (f" ({g.file})" if g.file else ""), ""]
    for q in g.questions:
        lines.append(f"{q.id}: {q.ask}" if q.ask else q.id)
        lines.append(f"  {q.setting}")
        wa = max(len(asked(v)) for v in q.verdicts)
        wb = max(len(v.answer) for v in q.verdicts)
        for v in q.verdicts:
            lines.append(f"  {mark(v)} {asked(v):<{wa}}  {v.answer:<{wb}}  expected {v.expected}".rstrip())
            if v.right and v.why:
                lines.append(f"      ({v.why})")
            lines += [f"      {line}" for line in working(v)]
        lines.append("")
    lines.append("Conventions:")
    lines += [f"  - {c}" for c in g.conventions]
    lines += ["", score(g)]
    return "\n".join(lines) + "\n"


COLUMNS = (Column("question", "name"), Column("asked", "text"), Column("answer", "text"),
           Column("", "verdict", "center"), Column("expected", "formula"),
           Column("why, and the worked solution", "note", priority=1, latex="p{0.4\\linewidth}"))
DATA_COLUMNS = tuple(Column(h) for h in ("question", "target", "quantity", "answer", "right", "expected", "exact",
                                         "why"))


def document(g: Grade) -> Document:
    """The questions as asked, one table row per answer (a group per question), the score, the conventions."""
    asks = Facts(tuple(Fact(q.id, f"{q.ask} ({q.setting})" if q.ask else q.setting) for q in g.questions))
    rows: list[tuple[Cell, ...]] = []
    starts = []
    for q in g.questions:
        starts.append(len(rows))
        rows += [(Cell(q.id), Cell(asked(v)), Cell(v.answer), verdict(v.right), Cell(v.expected),
                  Cell("\n".join(working(v)))) for v in q.verdicts]
    data_rows = tuple((Cell(q.id), Cell(v.target), Cell(v.quantity), Cell(v.answer), cell(v.right),
                       Cell(v.expected), Cell("", json.dumps(v.exact) if isinstance(v.exact, list) else v.exact),
                       Cell(v.why)) for q in g.questions for v in q.verdicts)
    return Document(g.title, (asks, Table(COLUMNS, tuple(rows), groups=tuple(starts), audience="display"),
                              Table(DATA_COLUMNS, data_rows, audience="data"),
                              Paragraph(score(g), "good" if g.ok else "bad", strong=True),
                              Bullets(tuple(g.conventions))), level=2)


def verdict_dict(v: Verdict) -> dict[str, Any]:
    return {"target": v.target, "quantity": v.quantity, "answer": v.answer, "right": v.right,
            "expected": v.expected, "exact": v.exact, "why": v.why, "line": v.line,
            "solution": [{"label": s.label, "formula": s.formula, "value": step_value_json(s.value),
                          "text": step_text(s), "note": s.note} for s in v.solution]}


def data(g: Grade) -> dict[str, Any]:
    return {"title": g.title, "file": g.file, "right": g.right, "total": g.total, "ok": g.ok,
            "conventions": list(g.conventions),
            "questions": [{"id": q.id, "ask": q.ask, "setting": q.setting,
                           "answers": [verdict_dict(v) for v in q.verdicts]} for q in g.questions]}


def json_text(g: Grade) -> str:
    return dumps(data(g))
