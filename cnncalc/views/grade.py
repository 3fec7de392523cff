"""`cnncalc grade`: one row per answer with ✓/✗ and the expected value, the reason and the worked solution
under every wrong answer, and a score — as prose (`text`), as a document for every other format, and JSON.

`grade --key` (an answer key of a worksheet's questions) shows each question as asked, every asked quantity's
value — exact, and as the slides round it — and its worked solution; an answers file with some quantities left
open grades them "not answered" (?)."""

from __future__ import annotations

import json
from typing import Any

from cnncalc.document import Bullets, Cell, Column, Document, Fact, Facts, Paragraph, Table, cell, verdict
from cnncalc.grade.judge import Grade, Verdict
from cnncalc.views.explain import step_text, step_value_json
from cnncalc.writers.jsontext import dumps


def mark(v: Verdict) -> str:
    return "?" if not v.answered else "✓" if v.right else "✗"


def asked(v: Verdict) -> str:
    return f"{v.target} {v.quantity}" if v.target else v.quantity


def score(g: Grade) -> str:
    if g.key:
        n = len(g.questions)
        return f"Answer key: {g.total} answer{'s' * (g.total != 1)} to {n} question{'s' * (n != 1)}"
    return (f"Score: {g.right}/{g.total} right" + (f", {g.wrong} wrong" if g.wrong else "")
            + (f", {g.missing} not answered" if g.missing else ""))


def missing_note(g: Grade) -> str:
    """Which answers a partly answered file leaves open, and how to get their key."""
    if g.key or not g.missing:
        return ""
    open_ = [f"{v.question} {asked(v)}" for v in g.verdicts if not v.answered]
    shown = ", ".join(open_[:8]) + (f" and {len(open_) - 8} more" if len(open_) > 8 else "")
    where = g.file or "ANSWERS.yaml"
    return f"Not answered: {shown} (cnncalc grade --key {where} prints the answer key)"


def working(v: Verdict) -> list[str]:
    """Why the answer is wrong, then the worked solution's lines."""
    lines = [f"why: {v.why}"] if v.why and not v.right else []
    return lines + [step_text(s) for s in v.solution]


def key_text(g: Grade) -> str:
    """The answer key as prose: each question as asked, each quantity's value and its worked solution."""
    lines = [f"Answer key: {g.title}" + (f" ({g.file})" if g.file else ""), ""]
    for q in g.questions:
        lines.append(f"{q.id}: {q.ask}" if q.ask else q.id)
        lines.append(f"  {q.setting}")
        wa = max(len(asked(v)) for v in q.verdicts)
        for v in q.verdicts:
            lines.append(f"  {asked(v):<{wa}}  {v.expected}")
            lines += [f"      {step_text(s)}" for s in v.solution]
        lines.append("")
    lines.append(score(g))
    return "\n".join(lines) + "\n"


def text(g: Grade) -> str:
    """Prose for the student: each question, its answers aligned with ✓/✗, and the working under each."""
    if g.key:
        return key_text(g)
    lines = [g.title + (f" ({g.file})" if g.file else ""), ""]
    for q in g.questions:
        lines.append(f"{q.id}: {q.ask}" if q.ask else q.id)
        lines.append(f"  {q.setting}")
        wa = max(len(asked(v)) for v in q.verdicts)
        wb = max(len(answer(v)) for v in q.verdicts)
        for v in q.verdicts:
            lines.append(f"  {mark(v)} {asked(v):<{wa}}  {answer(v):<{wb}}  expected {v.expected}".rstrip())
            if v.right and v.why:
                lines.append(f"      ({v.why})")
            lines += [f"      {line}" for line in working(v)]
        lines.append("")
    lines.append("Conventions:")
    lines += [f"  - {c}" for c in g.conventions]
    lines += ["", score(g)]
    if missing_note(g):
        lines.append(missing_note(g))
    return "\n".join(lines) + "\n"


def answer(v: Verdict) -> str:
    return v.answer if v.answered else "(not answered)"


COLUMNS = (Column("question", "name"), Column("asked", "text"), Column("answer", "text"),
           Column("", "verdict", "center"), Column("expected", "text"),
           Column("why, and the worked solution", "note"))  # never dropped to fit a page or a terminal
DATA_COLUMNS = tuple(Column(h) for h in ("question", "target", "quantity", "answer", "right", "expected", "exact",
                                         "why"))
KEY_COLUMNS = (Column("question", "name"), Column("asked", "text"), Column("answer", "text"),
               Column("worked solution", "note"))
KEY_DATA_COLUMNS = tuple(Column(h) for h in ("question", "target", "quantity", "expected", "exact", "shown"))


def _exact(v: Verdict) -> Cell:
    return Cell("", json.dumps(v.exact) if isinstance(v.exact, list) else v.exact)


def key_document(g: Grade) -> Document:
    """The key: the questions as asked, one row per asked quantity with its value and worked solution."""
    asks = Facts(tuple(Fact(q.id, f"{q.ask} ({q.setting})" if q.ask else q.setting) for q in g.questions))
    rows: list[tuple[Cell, ...]] = []
    starts = []
    for q in g.questions:
        starts.append(len(rows))
        rows += [(Cell(q.id if i == 0 else ""), Cell(asked(v)), Cell(v.expected),
                  Cell("\n".join(step_text(s) for s in v.solution))) for i, v in enumerate(q.verdicts)]
    data_rows = tuple((Cell(q.id), Cell(v.target), Cell(v.quantity), Cell(v.expected), _exact(v), Cell(v.shown))
                      for q in g.questions for v in q.verdicts)
    return Document(f"Answer key: {g.title}", (asks, Table(KEY_COLUMNS, tuple(rows), groups=tuple(starts),
                                                            audience="display"),
                                               Table(KEY_DATA_COLUMNS, data_rows, audience="data"),
                                               Paragraph(score(g), strong=True)), level=2)


def document(g: Grade) -> Document:
    """The questions as asked, one table row per answer (a group per question), the score, the conventions."""
    if g.key:
        return key_document(g)
    asks = Facts(tuple(Fact(q.id, f"{q.ask} ({q.setting})" if q.ask else q.setting) for q in g.questions))
    rows: list[tuple[Cell, ...]] = []
    starts = []
    for q in g.questions:
        starts.append(len(rows))
        rows += [(Cell(q.id if i == 0 else ""), Cell(asked(v)), Cell(answer(v)), _mark_cell(v), Cell(v.expected),
                  Cell("\n".join(working(v)))) for i, v in enumerate(q.verdicts)]
    data_rows = tuple((Cell(q.id), Cell(v.target), Cell(v.quantity), Cell(v.answer),
                       cell(v.right if v.answered else None), Cell(v.expected), _exact(v), Cell(v.why))
                      for q in g.questions for v in q.verdicts)
    return Document(g.title, (asks, Table(COLUMNS, tuple(rows), groups=tuple(starts), audience="display"),
                              Table(DATA_COLUMNS, data_rows, audience="data"),
                              Paragraph(score(g), "good" if g.ok else "bad", strong=True),
                              *([Paragraph(missing_note(g), "hint")] if missing_note(g) else []),
                              Bullets(tuple(g.conventions))), level=2)


def _mark_cell(v: Verdict) -> Cell:
    return verdict(v.right) if v.answered else Cell("?", None, "warning")


def verdict_dict(v: Verdict) -> dict[str, Any]:
    """One answer; an unanswered one (a worksheet's, every one of a key) has `answered: false`, `right: null`,
    and `shown`, the value as the slides write it (35K, 55x55x96)."""
    out = {"target": v.target, "quantity": v.quantity, "answer": v.answer if v.answered else None,
           "right": v.right if v.answered else None, "expected": v.expected, "exact": v.exact, "why": v.why,
           "line": v.line, "answered": v.answered,
           "solution": [{"label": s.label, "formula": s.formula, "value": step_value_json(s.value),
                         "text": step_text(s), "note": s.note} for s in v.solution]}
    if not v.answered:
        out["shown"] = v.shown
    return out


def data(g: Grade) -> dict[str, Any]:
    return {"title": g.title, "file": g.file, "key": g.key, "right": g.right, "total": g.total,
            "missing": g.missing, "ok": g.ok, "conventions": list(g.conventions),
            "questions": [{"id": q.id, "ask": q.ask, "setting": q.setting,
                           "answers": [verdict_dict(v) for v in q.verdicts]} for q in g.questions]}


def json_text(g: Grade) -> str:
    return dumps(data(g))
