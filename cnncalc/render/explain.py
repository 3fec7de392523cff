"""`cnncalc explain` output: each layer's worked solution, as the slides write it ("Hint: (227−11)/4+1 = 55",
"Parameters: (11*11*3)*96 = 35K") — text to paste into an answer key, Markdown, LaTeX (booktabs), JSON or CSV."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from cnncalc.explain import Explanation, Solution, Step, Value, describe_value
from cnncalc.layers import show_shape
from cnncalc.render.exports import csv_text, md_table
from cnncalc.render.numbers import approx, nbytes


def value_text(value: Value, unit: str = "") -> str:
    """55; 2.33; 55x55x96; 34,944 ≈ 35K (the slides' rounding, two significant figures); bytes in MB and MiB."""
    text = describe_value(value)
    if unit == "bytes" and isinstance(value, int):
        return f"{text} bytes = {nbytes(value)}"
    if isinstance(value, int) and value >= 10_000:
        text += f" ≈ {approx(value)}"
    return text


def working(step: Step) -> str:
    """'(227 − 11 + 2·0)/4 + 1 = 55', or the value alone when there is nothing to work out."""
    value = value_text(step.value, step.unit)
    return f"{step.formula} = {value}" if step.formula and step.formula != describe_value(step.value) else value


def step_text(step: Step) -> str:
    """'Parameters: (11*11*3)*96 + 96 = 34,944 ≈ 35K (weights 34,848 + biases 96)'."""
    return f"{step.label}: {working(step)}" + (f" ({step.note})" if step.note else "")


def step_value_json(value: Value) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    return value


def heading(s: Solution) -> str:
    what = f"{s.kind} {s.description}".strip()
    return f"{s.name}: {what}, input {show_shape(s.input)}"


def _setting(e: Explanation) -> str:
    biases = "" if e.count_biases else ", not counting biases"
    return f"{e.dtype} ({e.bytes_per_value} bytes per value), batch {e.batch}{biases}"


def render_text(e: Explanation) -> str:
    lines = [f"{e.model}: worked solutions ({_setting(e)})", ""]
    for s in e.layers:
        lines.append(heading(s))
        width = max(len(step.label) for step in s.steps) + 1
        for step in s.steps:
            note = f"  ({step.note})" if step.note else ""
            lines.append(f"  {step.label + ':':<{width}} {working(step)}{note}")
        lines.append("")
    if e.totals:
        lines.append("Totals")
        width = max(len(step.label) for step in e.totals) + 1
        lines += [f"  {step.label + ':':<{width}} {working(step)}" + (f"  ({step.note})" if step.note else "")
                  for step in e.totals]
        lines.append("")
    return "\n".join(lines)


def _table_rows(e: Explanation) -> tuple[list[tuple[str, ...]], list[int]]:
    rows: list[tuple[str, ...]] = []
    groups = []
    for s in e.layers:
        groups.append(len(rows))
        for i, step in enumerate(s.steps):
            rows.append((s.name if i == 0 else "", step.label, working(step), step.note))
    if e.totals:
        groups.append(len(rows))
        rows += [("total" if i == 0 else "", step.label, working(step), step.note) for i, step in enumerate(e.totals)]
    return rows, groups


HEADERS = ("layer", "", "worked solution", "note")


def render_markdown(e: Explanation) -> str:
    rows, _ = _table_rows(e)
    return f"### {e.model}: worked solutions\n\n{_setting(e)}\n\n" + md_table(HEADERS, "llll", rows)


def render_latex(e: Explanation) -> str:
    from cnncalc.render.latex import tabular

    rows, groups = _table_rows(e)
    return tabular(HEADERS, "lllp{0.35\\linewidth}", rows, groups=groups,
                   caption=f"{e.model}: worked solutions ({_setting(e)})")


def _steps(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [{"topic": st.topic, "label": st.label, "formula": st.formula, "value": step_value_json(st.value),
             "text": working(st), "note": st.note} for st in steps]


def explanation_dict(e: Explanation) -> dict[str, Any]:
    return {
        "model": e.model, "file": e.file, "dtype": e.dtype, "bytes_per_value": e.bytes_per_value, "batch": e.batch,
        "count_biases": e.count_biases,
        "layers": [{"name": s.name, "type": s.kind, "description": s.description, "input": list(s.input),
                    "output": list(s.output), "steps": _steps(s.steps)} for s in e.layers],
        "totals": _steps(e.totals),
    }


def render_json(e: Explanation) -> str:
    return json.dumps(explanation_dict(e), indent=2, ensure_ascii=False) + "\n"


def render_csv(e: Explanation) -> str:
    rows: list[tuple[Any, ...]] = [("layer", "topic", "label", "formula", "value", "note")]
    for s in e.layers:
        rows += [(s.name, st.topic, st.label, st.formula, _csv_value(st.value), st.note) for st in s.steps]
    rows += [("total", st.topic, st.label, st.formula, _csv_value(st.value), st.note) for st in e.totals]
    return csv_text(rows)


def _csv_value(value: Value) -> Any:
    if isinstance(value, tuple):
        return show_shape(value)
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else str(value)
    return value


RENDERERS = {"text": render_text, "markdown": render_markdown, "latex": render_latex, "json": render_json,
             "csv": render_csv}
