"""The facts every text format shows: rows, footer lines and the 'where it sits' sentence, as plain strings.

Table, Markdown and CSV differ only in layout, so they share these helpers.
"""

from __future__ import annotations

from cnncalc.grouping import Row
from cnncalc.layers import numel, show_shape
from cnncalc.render.numbers import approx, grouped, nbytes, percent, product, si
from cnncalc.results import Report

HEADERS = ("layer", "type", "output", "memory (activations)", "params", "MACs")
RF_HEADERS = ("RF", "jump", "eff. pad", "centre")


def _num(x: object) -> str:
    return str(int(x)) if getattr(x, "denominator", 1) == 1 else f"{float(x):g}"  # type: ignore[call-overload]


def _axes(pair: tuple[object, object]) -> str:
    a, b = (_num(x) for x in pair)
    return a if a == b else f"{a}x{b}"


def rf_cells(row: Row | None) -> tuple[str, ...]:
    """Receptive field of the row's output (a block: of its last row): size, jump, effective padding, centre.
    None stands for the network input itself."""
    if row is None:
        return ("1", "1", "0", "0")
    rf = row.layers[-1].receptive_field
    if rf is None:
        return ("—",) * 4
    return tuple(_axes(pair) for pair in (rf.size, rf.jump, rf.padding, rf.center))  # type: ignore[arg-type]


def memory_cell(row: Row) -> str:
    leaf = row.leaf
    if leaf is None:
        return f"Σ {approx(row.activations)}"
    if not leaf.new_tensor:
        return f"0 ({leaf.note.split(':')[0]})"
    return f"{product(leaf.output)} = {approx(leaf.activations)}"


def params_cell(row: Row) -> str:
    leaf = row.leaf
    if leaf is None:
        return grouped(row.params)
    if leaf.params == 0 and leaf.params_formula == "0":
        return "0"
    return f"{leaf.params_formula} = {grouped(leaf.params)}"


def type_cell(row: Row) -> str:
    text = f"{row.kind} {row.description}".strip()
    leaf = row.leaf
    if leaf is not None and leaf.note and leaf.new_tensor:
        text += f" ({leaf.note})"
    return text


def input_cells(report: Report) -> tuple[str, ...]:
    return ("input", "", show_shape(report.input), f"{product(report.input)} = {approx(numel(report.input))}", "0",
            "0")


def cells(row: Row) -> tuple[str, ...]:
    return (row.name, type_cell(row), show_shape(row.output), memory_cell(row), params_cell(row), si(row.macs))


def footer(report: Report) -> list[tuple[str, str]]:
    t = report.totals
    biases = f"weights {grouped(t.weights)} + biases {grouped(t.biases)}" if report.count_biases \
        else "not counting biases (--no-bias)"
    setting = f"{report.dtype}, batch {report.batch}"
    lines = [
        ("Total params", f"{grouped(t.params)} ({si(t.params)}; {biases})"),
        ("Total activations", f"{grouped(t.activations)} values per sample (input included)"),
        ("Forward memory", f"{grouped(t.forward_bytes)} bytes = {nbytes(t.forward_bytes)} ({setting})"),
        ("Forward + backward", f"{grouped(t.forward_backward_bytes)} bytes = {nbytes(t.forward_backward_bytes)} "
                               "(x2: a gradient per activation)"),
        ("Parameter memory", f"{grouped(t.params_bytes)} bytes = {nbytes(t.params_bytes)} ({report.dtype})"),
        ("Total MACs", f"{grouped(t.macs)} ({si(t.macs)}) per sample"),
        ("Total FLOPs", f"{grouped(t.flops)} ({si(t.flops)}) = 2 x MACs + bias adds + element-wise"),
    ]
    if t.buffers:
        lines.insert(1, ("Buffers", f"{grouped(t.buffers)} (batch-norm running statistics; not params)"))
    return lines


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


def expectation_cells(report: Report, rows: list[Row]) -> list[str] | None:
    """Per row, the spec's `expect:` checked — 'output 55x55x96 ✓, params 34K ✗ (34,944)'; None without any."""
    from cnncalc.grade import expectations, has_expectations

    if not has_expectations(report):
        return None
    by_target: dict[str, list[str]] = {}
    for v in expectations(report):
        text = f"{v.quantity} {v.answer} ✓" if v.right else f"{v.quantity} {v.answer} ✗ ({v.expected})"
        by_target.setdefault(v.target, []).append(text)
    return [", ".join(by_target.get(r.name, [])) for r in rows]


def expectation_notes(report: Report) -> list[str]:
    """The footer's verdict on `expect:`: how many hold, the expected totals, and every mismatch with its reason."""
    from cnncalc.grade import expectations, has_expectations

    if not has_expectations(report):
        return []
    verdicts = expectations(report)
    right = sum(v.right for v in verdicts)
    wrong = len(verdicts) - right
    notes = [f"Expectations (expect:): {right} of {len(verdicts)} hold" + (f", {wrong} {'does' if wrong == 1 else 'do'} not" if wrong else "")]
    for v in verdicts:
        if v.target == "total" or not v.right:
            mark = "✓" if v.right else "✗"
            why = f": {v.why}" if v.why and not v.right else ""
            notes.append(f"{mark} {v.target} {v.quantity} {v.answer} (computed {v.expected}){why}")
    return notes


def notes(report: Report, rows: list[Row]) -> list[tuple[str, str]]:
    """The lines under the table in every text format: totals, where it sits, warnings, the tiling hint and the
    spec's expectations, as (label, text); an empty label is a plain note."""
    out = list(footer(report))
    where = where_it_sits(report, rows)
    if where:
        out.append(("Where it sits", where))
    out += [("Warning", w.message(with_hint=False)) for w in report.warnings]
    hint = tiling_hint(report)
    if hint:
        out.append(("Hint", hint))
    out += [("", note) for note in expectation_notes(report)]
    return out
