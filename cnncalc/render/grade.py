"""`cnncalc grade` output: one row per answer with ✓/✗ and the expected value, the reason and the worked solution
under every wrong answer, and a score line — as text, Markdown, LaTeX (booktabs), JSON or CSV."""

from __future__ import annotations

import json
from typing import Any

from cnncalc.grade import Grade, Verdict
from cnncalc.render.explain import step_text, step_value_json
from cnncalc.render.exports import csv_text, md_table


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


def render_text(g: Grade) -> str:
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


def _rows(g: Grade) -> list[tuple[str, ...]]:
    return [(q.id, asked(v), v.answer, mark(v), v.expected, "\n".join(working(v)))
            for q in g.questions for v in q.verdicts]


HEADERS = ("question", "asked", "answer", "", "expected", "why, and the worked solution")


def render_markdown(g: Grade) -> str:
    parts = [f"## {g.title}", ""]
    asks = [f"- **{q.id}**: {q.ask} ({q.setting})" if q.ask else f"- **{q.id}**: {q.setting}" for q in g.questions]
    parts += asks + [""]
    parts.append(md_table(HEADERS, "l" * len(HEADERS), _rows(g)))
    parts.append(f"**{score(g)}**")
    parts.append("")
    parts += [f"- {c}" for c in g.conventions]
    return "\n".join(parts) + "\n"


def render_latex(g: Grade) -> str:
    from cnncalc.render.latex import escape, itemize, tabular

    rows: list[tuple[str, ...]] = []
    groups = []
    for q in g.questions:
        groups.append(len(rows))
        for v in q.verdicts:
            rows.append((q.id, asked(v), v.answer, mark(v), v.expected))
    table = tabular(HEADERS[:5], "lllcl", rows, groups=groups, caption=g.title)
    wrong = [f"{q.id}, {asked(v)} ({v.answer}): " + "; ".join(working(v))
             for q in g.questions for v in q.verdicts if not v.right]
    return (table + f"\n\\noindent\\textbf{{{escape(score(g))}}}\n\n" + itemize(wrong)
            + "% conventions:\n" + "".join(f"%   {c}\n" for c in g.conventions))


def verdict_dict(v: Verdict) -> dict[str, Any]:
    return {"target": v.target, "quantity": v.quantity, "answer": v.answer, "right": v.right,
            "expected": v.expected, "exact": v.exact, "why": v.why, "line": v.line,
            "solution": [{"label": s.label, "formula": s.formula, "value": step_value_json(s.value),
                          "text": step_text(s), "note": s.note} for s in v.solution]}


def grade_dict(g: Grade) -> dict[str, Any]:
    return {"title": g.title, "file": g.file, "right": g.right, "total": g.total, "ok": g.ok,
            "conventions": list(g.conventions),
            "questions": [{"id": q.id, "ask": q.ask, "setting": q.setting,
                           "answers": [verdict_dict(v) for v in q.verdicts]} for q in g.questions]}


def render_json(g: Grade) -> str:
    return json.dumps(grade_dict(g), indent=2, ensure_ascii=False) + "\n"


def render_csv(g: Grade) -> str:
    rows: list[tuple[Any, ...]] = [("question", "target", "quantity", "answer", "right", "expected", "exact", "why")]
    rows += [(q.id, v.target, v.quantity, v.answer, v.right, v.expected,
              json.dumps(v.exact) if isinstance(v.exact, list) else v.exact, v.why)
             for q in g.questions for v in q.verdicts]
    return csv_text(rows)


RENDERERS = {"text": render_text, "markdown": render_markdown, "latex": render_latex, "json": render_json,
             "csv": render_csv}
