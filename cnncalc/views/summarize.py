"""`cnncalc summarize`: the slides' per-layer table (output volume, memory, params, MACs, share bars), the
totals under it, and its JSON contract (model, input, layers[], totals{}: issue 2's schema, extend only)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from cnncalc import grouping
from cnncalc.document import Cell, Column, Document, Fact, Facts, Table, cell
from cnncalc.grade.judge import Verdict, expectations, has_expectations
from cnncalc.grouping import Row
from cnncalc.layers import numel, show_shape
from cnncalc.numbers import approx, bar, grouped, nbytes, percent, product, si
from cnncalc.receptive import ReceptiveField
from cnncalc.results import Report
from cnncalc.writers.jsontext import dumps_by_line

# On a narrow terminal (writers/terminal.py) the share bars go first, then memory and params show their values
# without their formulas (priority 3 too), then the type text (2): layer, output, memory, params, MACs stay.
COLUMNS = (Column("layer", "name"), Column("type", "text", priority=2), Column("output", "shape"),
           Column("memory (activations)", "formula", priority=3), Column("params", "formula", "right", priority=3),
           Column("MACs", "integer", "right"))
RF_COLUMNS = tuple(Column(h, "integer", "right", priority=1) for h in ("RF", "jump", "eff. pad", "centre"))
SHARE_COLUMNS = (Column("memory share", "bar", priority=3, wrap=False),
                 Column("params share", "bar", priority=3, wrap=False))
DATA_COLUMNS = tuple(Column(h) for h in ("name", "type", "description", "output", "params", "weights", "biases",
                                          "buffers", "activations", "macs", "flops"))


def document(report: Report, depth: int | None = None, receptive_field: bool = False,
             all_warnings: bool = False) -> Document:
    """The per-layer table (the receptive field replaces the share bars, to keep it readable), the exact data
    table for CSV, and the totals, warnings, hint and `expect:` verdicts under them."""
    rows = grouping.rows(report, depth)
    checks = _expectation_cells(report, rows)
    columns = list(COLUMNS) + ([Column("expected", "verdict")] if checks is not None else [])
    columns += RF_COLUMNS if receptive_field else SHARE_COLUMNS
    t = report.totals
    body = []
    for i, row in enumerate([None, *rows]):
        cells = _input_cells(report) if row is None else _cells(row)
        if checks is not None:
            cells += (Cell("" if row is None else checks[i - 1]),)
        if receptive_field:
            cells += tuple(Cell(text) for text in _rf_cells(row))
        else:
            mem, par = (numel(report.input), 0) if row is None else (row.activations, row.params)
            cells += (Cell(f"{bar(mem, t.activations, 6)} {percent(mem, t.activations)}".strip(), mem),
                      Cell(f"{bar(par, t.params, 6)} {percent(par, t.params)}".strip() if par else "", par))
        body.append(cells)
    facts = [Fact("Warning", note, "warning") for note in (report.misaligned if receptive_field else ())]
    facts += _notes(report, rows, all_warnings)
    return Document(report.model, (Table(tuple(columns), tuple(body), audience="display"),
                                   _data_table(report, rows, checks), Facts(tuple(facts))))


def _data_table(report: Report, rows: list[Row], checks: list[str] | None) -> Table:
    """CSV: one row per layer with exact integers, then a TOTAL row; output in the slides' HxWxC notation."""
    columns = DATA_COLUMNS + ((Column("expect"),) if checks is not None else ())
    body = []
    for i, r in enumerate(rows):
        buffers = sum(layer.buffers for layer in r.layers)
        values = (r.name, r.kind, r.description, show_shape(r.output), r.params, r.weights, r.biases, buffers,
                  r.activations, r.macs, r.flops) + (() if checks is None else (checks[i],))
        body.append(tuple(Cell(str(v), v) for v in values))  # not cell(): 10 × 100,000 cells, text never shown
    t = report.totals
    total_check = () if checks is None else ("; ".join(n for n in _expectation_notes(report) if " total " in n),)
    total = ("TOTAL", "", "activations include the input", "", t.params, t.weights, t.biases, t.buffers,
             t.activations, t.macs, t.flops) + total_check
    return Table(columns, tuple(body), footer=(tuple(cell(v) for v in total),), audience="data")


# --- cells ---------------------------------------------------------------------------------------------------------

def _num(x: object) -> str:
    return str(int(x)) if getattr(x, "denominator", 1) == 1 else f"{float(x):g}"  # type: ignore[call-overload]


def _axes(pair: tuple[object, object]) -> str:
    a, b = (_num(x) for x in pair)
    return a if a == b else f"{a}x{b}"


def _rf_cells(row: Row | None) -> tuple[str, ...]:
    """Receptive field of the row's output (a block: of its last row): size, jump, effective padding, centre.
    None stands for the network input itself."""
    if row is None:
        return ("1", "1", "0", "0")
    rf = row.layers[-1].receptive_field
    if rf is None:
        return ("—",) * 4
    return tuple(_axes(pair) for pair in (rf.size, rf.jump, rf.padding, rf.center))  # type: ignore[arg-type]


def _memory_cell(row: Row) -> Cell:
    leaf = row.leaf
    if leaf is None:
        return Cell(f"Σ {approx(row.activations)}", row.activations)
    if not leaf.new_tensor:
        return Cell(f"0 ({leaf.note.split(':')[0]})", 0)
    return Cell(f"{product(leaf.output)} = {approx(leaf.activations)}", leaf.activations)


def _params_cell(row: Row) -> Cell:
    leaf = row.leaf
    if leaf is None:
        return Cell(grouped(row.params), row.params)
    if leaf.params == 0 and leaf.params_formula == "0":
        return Cell("0", 0)
    return Cell(f"{leaf.params_formula} = {grouped(leaf.params)}", leaf.params)


def _type_text(row: Row) -> str:
    text = f"{row.kind} {row.description}".strip()
    leaf = row.leaf
    if leaf is not None and leaf.note and leaf.new_tensor:
        text += f" ({leaf.note})"
    return text


def _input_cells(report: Report) -> tuple[Cell, ...]:
    n = numel(report.input)
    return (Cell("input"), Cell(""), Cell(show_shape(report.input)),
            Cell(f"{product(report.input)} = {approx(n)}", n), Cell("0", 0), Cell("0", 0))


def _cells(row: Row) -> tuple[Cell, ...]:
    return (Cell(row.name), Cell(_type_text(row)), Cell(show_shape(row.output)), _memory_cell(row),
            _params_cell(row), Cell(si(row.macs), row.macs))


# --- the lines under the table ---------------------------------------------------------------------------------

def _footer(report: Report) -> list[Fact]:
    t = report.totals
    biases = f"weights {grouped(t.weights)} + biases {grouped(t.biases)}" if report.count_biases \
        else "not counting biases (--no-bias)"
    setting = f"{report.dtype}, batch {report.batch}"
    facts = [
        Fact("Total params", f"{grouped(t.params)} ({si(t.params)}; {biases})"),
        Fact("Total activations", f"{grouped(t.activations)} values per sample (input included{_softmax_note(report)})"),
        Fact("Forward memory", f"{grouped(t.forward_bytes)} bytes = {nbytes(t.forward_bytes)} ({setting})"),
        Fact("Forward + backward", f"{grouped(t.forward_backward_bytes)} bytes = {nbytes(t.forward_backward_bytes)} "
                                   "(the slides' rule, x2: a gradient per activation; what training keeps: "
                                   "cnncalc memory)"),
        Fact("Parameter memory", f"{grouped(t.params_bytes)} bytes = {nbytes(t.params_bytes)} ({report.dtype})"),
        Fact("Total MACs", f"{grouped(t.macs)} ({si(t.macs)}) per sample"),
        Fact("Total FLOPs", f"{grouped(t.flops)} ({si(t.flops)}) = 2 x MACs + bias adds + element-wise"),
    ]
    if t.buffers:
        facts.insert(1, Fact("Buffers", f"{grouped(t.buffers)} (batch-norm running statistics; not params)"))
    return facts


def _softmax_note(report: Report) -> str:
    """The slides' tables leave the soft-max's outputs out of their sums; say that ours has them."""
    softmax = report.softmax_outputs
    return f"; so is the soft-max's output, {grouped(softmax)}, which the slides' sums leave out" if softmax else ""


def where_it_sits(report: Report, rows: list[Row]) -> str:
    """The slides' point in one line: which rows hold most of the memory and most of the parameters."""
    t = report.totals
    by_memory = sorted(rows, key=lambda r: r.activations, reverse=True)[:2]
    by_params = sorted(rows, key=lambda r: r.params, reverse=True)[:1]
    parts = []
    if t.activations:
        parts.append("most memory: " + ", ".join(f"{r.name} {percent(r.activations, t.activations)}"
                                                 for r in by_memory if r.activations))
    if t.params:
        parts.append("most params: " + ", ".join(f"{r.name} {percent(r.params, t.params)}"
                                                 for r in by_params if r.params))
    return "; ".join(parts)


def tiling_hint(report: Report) -> str | None:
    """The one input size that would make every layer tile (the slides' 227 for AlexNet), said once."""
    if not report.warnings or len(report.input) != 3:
        return None
    c, h, w = report.input
    for warning in report.warnings:
        if warning.suggested_input is None:
            continue
        if warning.axis.startswith("height"):
            h = warning.suggested_input
        if warning.axis.endswith("width"):
            w = warning.suggested_input
    return None if (h, w) == report.input[1:] else f"an input of {h}x{w}x{c} would tile every layer exactly"


def _expectation_text(v: Verdict) -> str:
    return f"{v.quantity} {v.answer} ✓" if v.right else f"{v.quantity} {v.answer} ✗ ({v.expected})"


def _expectation_cells(report: Report, rows: list[Row]) -> list[str] | None:
    """Per row, the spec's `expect:` checked — 'output 55x55x96 ✓, params 34K ✗ (34,944)'; None without any."""
    if not has_expectations(report):
        return None
    by_target: dict[str, list[str]] = {}
    for v in expectations(report):
        by_target.setdefault(v.target, []).append(_expectation_text(v))
    return [", ".join(by_target.get(r.name, [])) for r in rows]


def _expectation_notes(report: Report) -> list[str]:
    """The verdict on `expect:`: how many hold, the expected totals, and every mismatch with its reason."""
    if not has_expectations(report):
        return []
    verdicts = expectations(report)
    right = sum(v.right for v in verdicts)
    wrong = len(verdicts) - right
    notes = [f"Expectations (expect:): {right} of {len(verdicts)} hold"
             + (f", {wrong} {'does' if wrong == 1 else 'do'} not" if wrong else "")]
    for v in verdicts:
        if v.target == "total" or not v.right:
            mark = "✓" if v.right else "✗"
            why = f": {v.why}" if v.why and not v.right else ""
            notes.append(f"{mark} {v.target} {v.quantity} {v.answer} (computed {v.expected}){why}")
    return notes


def warnings_line(report: Report, named: int = 6) -> str:
    """All the tiling warnings in one line that counts and names the layers (issue 15): 'a standard ResNet at
    224 floors a half pixel in 8 layers' is one fact, not eight."""
    warnings = report.warnings
    layers = list(dict.fromkeys(w.layer for w in warnings))
    half = all(Fraction(w.exact).denominator == 2 for w in warnings)
    what = "floor a half pixel" if half else "do not tile their input (PyTorch floors)"
    if len(layers) == 1:
        what = "floors a half pixel" if half else "does not tile its input (PyTorch floors)"
    names = ", ".join(layers[:named]) + (f" and {len(layers) - named} more" if len(layers) > named else "")
    return f"{len(layers)} layer{'s' if len(layers) != 1 else ''} {what}: {names} (--warnings: each in full)"


def _notes(report: Report, rows: list[Row], all_warnings: bool = False) -> list[Fact]:
    """Totals, where it sits, warnings (one line, or each in full), the tiling hint and the expectations."""
    out = _footer(report)
    where = where_it_sits(report, rows)
    if where:
        out.append(Fact("Where it sits", where))
    if all_warnings:
        out += [Fact("Warning", w.message(with_hint=False), "warning") for w in report.warnings]
    elif report.warnings:
        out.append(Fact("Warning", warnings_line(report), "warning"))
    hint = tiling_hint(report)
    if hint:
        out.append(Fact("Hint", hint, "hint"))
    out += [Fact("", note) for note in _expectation_notes(report)]
    return out


# --- JSON ----------------------------------------------------------------------------------------------------------

def rf_dict(rf: ReceptiveField | None) -> dict[str, list[int | float]] | None:
    """Araujo et al.'s four numbers per axis [h, w]; the centre may be a half pixel."""
    if rf is None:
        return None

    def num(x: Fraction) -> int | float:
        return int(x) if x.denominator == 1 else float(x)

    return {"size": list(rf.size), "jump": list(rf.jump), "padding": list(rf.padding),
            "center": [num(c) for c in rf.center]}


def data(report: Report, receptive_field: bool = False) -> dict[str, Any]:
    t = report.totals
    out = {
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
    _add_expectations(report, out)
    if receptive_field:
        for row, r in zip(out["layers"], report.layers):
            row["receptive_field"] = rf_dict(r.receptive_field)
        out["receptive_field_warnings"] = list(report.misaligned)
    return out


def _add_expectations(report: Report, out: dict[str, Any]) -> None:
    """The spec's `expect:` checked: "expect" on the layers that have it, "expectations" for all (new fields only
    when the spec has expectations, so the schema of other reports is unchanged)."""
    if not has_expectations(report):
        return
    checks = [{"target": v.target, "quantity": v.quantity, "expected": v.answer, "right": v.right,
               "computed": v.exact, "text": v.expected, "why": v.why} for v in expectations(report)]
    by_layer: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        by_layer.setdefault(check["target"], []).append(check)
    for row in out["layers"]:
        if row["name"] in by_layer:
            row["expect"] = by_layer[row["name"]]
    out["expectations"] = {"right": sum(c["right"] for c in checks), "total": len(checks), "checks": checks}


def json_text(report: Report, receptive_field: bool = False) -> str:
    """Indented at the top level, one line per layer: readable, and fast (json's C encoder) for 100k layers."""
    return dumps_by_line(data(report, receptive_field))
