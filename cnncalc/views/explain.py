"""`cnncalc explain`: each layer's worked solution, as the slides write it ("Hint: (227−11)/4+1 = 55",
"Parameters: (11*11*3)*96 = 35K") — prose to paste into an answer key (`text`), the same steps as a table for
every other format, and the JSON contract."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from cnncalc.document import Cell, Column, Document, Table
from cnncalc.explain import Explanation, Solution, Step, Value, describe_value
from cnncalc.layers import show_shape
from cnncalc.numbers import about, nbytes
from cnncalc.writers.jsontext import dumps_by_line


def value_text(value: Value, unit: str = "") -> str:
    """55; 2.33; 55x55x96; 34,944 ≈ 35K and 105,415,200 ≈ 105M (the digits that tell the truth); bytes in MB and
    MiB."""
    text = describe_value(value)
    if unit == "bytes" and isinstance(value, int):
        return f"{text} bytes = {nbytes(value)}"
    if isinstance(value, int) and value >= 10_000:
        text += f" ≈ {about(value)}"
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


def setting(e: Explanation) -> str:
    biases = "" if e.count_biases else ", not counting biases"
    return f"{e.dtype} ({e.bytes_per_value} bytes per value), batch {e.batch}{biases}"


def text(e: Explanation) -> str:
    """The worked solutions as prose: a heading per layer, then 'label: working  (note)' aligned under it."""
    lines = [f"{e.model}: worked solutions ({setting(e)})", ""]
    for heading_text, steps in [(heading(s), s.steps) for s in e.layers] + ([("Totals", e.totals)] if e.totals else []):
        lines.append(heading_text)
        width = max(len(step.label) for step in steps) + 1
        for step in steps:
            note = f"  ({step.note})" if step.note else ""
            lines.append(f"  {step.label + ':':<{width}} {working(step)}{note}")
        lines.append("")
    return "\n".join(lines)


def _value_data(value: Value) -> Any:
    """As the JSON gives it, but a shape in the slides' HxWxC (a CSV cell holds one value)."""
    return show_shape(value) if isinstance(value, tuple) else step_value_json(value)


def document(e: Explanation) -> Document:
    """One group of rows per layer (its name on the first), the totals last; the CSV gets each step's topic,
    formula and exact value in columns of their own."""
    groups = [(s.name, s.steps) for s in e.layers] + ([("total", e.totals)] if e.totals else [])
    rows: list[tuple[Cell, ...]] = []
    starts = []
    for name, steps in groups:
        starts.append(len(rows))
        rows += [(Cell(name if i == 0 else ""), Cell(st.label), Cell(working(st), _value_data(st.value)),
                  Cell(st.note)) for i, st in enumerate(steps)]
    shown = Table((Column("layer", "name"), Column("", "text"), Column("worked solution", "formula"),
                   Column("note", "note", priority=1, latex="p{0.35\\linewidth}")),
                  tuple(rows), groups=tuple(starts), audience="display")
    data_rows = tuple((Cell(name), Cell(st.topic), Cell(st.label), Cell(st.formula), Cell("", _value_data(st.value)),
                       Cell(st.note)) for name, steps in groups for st in steps)
    data_table = Table(tuple(Column(h) for h in ("layer", "topic", "label", "formula", "value", "note")), data_rows,
                       audience="data")
    return Document(f"{e.model}: worked solutions", (shown, data_table), subtitle=setting(e))


def _steps(steps: tuple[Step, ...]) -> list[dict[str, Any]]:
    return [{"topic": st.topic, "label": st.label, "formula": st.formula, "value": step_value_json(st.value),
             "text": working(st), "note": st.note} for st in steps]


def data(e: Explanation) -> dict[str, Any]:
    return {
        "model": e.model, "file": e.file, "dtype": e.dtype, "bytes_per_value": e.bytes_per_value, "batch": e.batch,
        "count_biases": e.count_biases,
        "layers": [{"name": s.name, "type": s.kind, "description": s.description, "input": list(s.input),
                    "output": list(s.output), "steps": _steps(s.steps)} for s in e.layers],
        "totals": _steps(e.totals),
    }


def json_text(e: Explanation) -> str:
    """One layer per line, as summarize's JSON: json's C encoder does the work (the indented layout went through
    the pure-Python encoder, 5 s of 8 for a 10,000-row network). The data are the same."""
    return dumps_by_line(data(e)) + "\n"
