"""The facts every text format shows: rows, footer lines and the 'where it sits' sentence, as plain strings.

Table, Markdown and CSV differ only in layout, so they share these helpers.
"""

from __future__ import annotations

from cnncalc.layers.base import show_shape
from cnncalc.layers import numel
from cnncalc.render.numbers import approx, grouped, nbytes, percent, product, si
from cnncalc.results import LayerResult, Report

HEADERS = ("layer", "type", "output", "memory (activations)", "params", "MACs")


def memory_cell(r: LayerResult) -> str:
    if not r.new_tensor:
        return f"0 ({r.note.split(':')[0]})"
    return f"{product(r.output)} = {approx(r.activations)}"


def params_cell(r: LayerResult) -> str:
    if r.params == 0 and r.params_formula == "0":
        return "0"
    return f"{r.params_formula} = {grouped(r.params)}"


def type_cell(r: LayerResult) -> str:
    text = f"{r.kind} {r.description}".strip()
    if r.note and r.new_tensor:
        text += f" ({r.note})"
    return text


def input_row(report: Report) -> tuple[str, ...]:
    n = numel(report.input)
    return ("input", "", show_shape(report.input), f"{product(report.input)} = {approx(n)}", "0", "0")


def rows(report: Report) -> list[tuple[str, ...]]:
    return [input_row(report)] + [
        (r.name, type_cell(r), show_shape(r.output), memory_cell(r), params_cell(r), si(r.macs))
        for r in report.layers
    ]


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


def where_it_sits(report: Report) -> str:
    """The slides' point in one line: which layers hold most of the memory and most of the parameters."""
    t = report.totals
    layers = report.layers
    by_memory = sorted(layers, key=lambda r: r.activations, reverse=True)[:2]
    by_params = sorted(layers, key=lambda r: r.params, reverse=True)[:1]
    parts = []
    if t.activations:
        parts.append("most memory: " + ", ".join(f"{r.name} {percent(r.activations, t.activations)}"
                                                 for r in by_memory if r.activations))
    if t.params:
        parts.append("most params: " + ", ".join(f"{r.name} {percent(r.params, t.params)}"
                                                 for r in by_params if r.params))
    return "; ".join(parts)
