"""Symbolic results (`summarize --input HxWx3`, `check --input N`): formulas as a person writes them in the
documents, as Python in the JSON, and the input sizes that tile every layer."""

from __future__ import annotations

import json
from typing import Any

from cnncalc.document import Cell, Column, Document, Table, prose
from cnncalc.layers.base import show_shape
from cnncalc.symbolic import Solution, SymbolicCheck, SymbolicReport, human, python


def shape_text(shape: tuple[Any, ...], show: Any = human) -> str:
    """H × W × C as a person reads it (layers.base.show_shape: a formula in parentheses, axes joined by " × "),
    or, with show=python, as Python expressions joined by " x " (the JSON's cells)."""
    if show is human:
        return show_shape(shape)
    if len(shape) == 3:
        c, h, w = shape
        return f"({show(h)}) x ({show(w)}) x {show(c)}"
    return show(shape[0])  # type: ignore[no-any-return]


def solution_lines(solutions: tuple[Solution, ...], near: int | None, never: tuple[str, ...] = ()) -> list[str]:
    lines = [f"No input size tiles every layer: the numeric axis of {never[0]} does not tile"
             + (f" (and {len(never) - 1} more layers)" if len(never) > 1 else "")] if never else []
    for s in solutions:
        if s.unsolved:
            lines.append(f"{s.symbol}: not solved for {', '.join(s.unsolved[:3])} (no single floor formula)")
        if s.residue is None:
            lines.append(f"{s.symbol}: no input size makes every layer tile exactly (the conditions contradict)")
        else:
            sizes = s.sizes(near) if near else []
            tail = f"; near {near}: {', '.join(map(str, sorted(sizes)))}" if sizes else ""
            what = "every size" if s.modulus == 1 else f"{s.symbol} ≡ {s.residue} (mod {s.modulus})"
            lines.append(f"Every layer tiles exactly when {what}{tail}" if not never else
                         f"The {s.symbol} axis tiles every layer exactly when {what}{tail}")
        if s.smallest_valid is not None:
            lines.append(f"The network is valid (every output at least 1) when {s.symbol} ≥ {s.smallest_valid}")
    return lines


def why_lines(report: SymbolicReport, size: int) -> list[str]:
    small = [s for s in report.solutions if s.smallest_valid is not None and size < s.smallest_valid]
    if small:
        return [f"{size} is too small: the network needs {small[0].symbol} ≥ {small[0].smallest_valid}"]
    if report.never:
        return [f"{size} does not tile: {report.never[0]} (a numeric axis, whatever {size} is)"]
    values = {s.symbol: size for s in report.solutions}
    failure = report.first_failure(values)
    if failure is None:
        return [f"{size} tiles every layer exactly"]
    assert failure.residue is not None and failure.modulus is not None
    return [f"{size} does not tile: {failure.layer} ({failure.axis}) needs {failure.text}, i.e. "
            f"{failure.symbol} ≡ {failure.residue} (mod {failure.modulus}), and {size} ≡ {size % failure.modulus}"]


def document(report: SymbolicReport, near: int | None, why: int | None) -> Document:
    columns = tuple(Column(h, "formula") for h in ("layer", "type", "output", "activations", "params", "MACs"))
    rows = tuple((Cell(r.name), Cell(f"{r.kind} {r.description}".strip()),
                  Cell(shape_text(r.output), shape_text(r.output, python)),
                  Cell(human(r.activations), python(r.activations)),
                  Cell(human(r.weights + r.biases), python(r.weights + r.biases)),
                  Cell(human(r.macs), python(r.macs))) for r in report.layers)
    lines = solution_lines(report.solutions, near, report.never) + (why_lines(report, why) if why else [])
    return Document(f"{report.model} for an input of {shape_text(report.input)}",
                    (Table(columns, rows), *prose(lines)))


def json_text(report: SymbolicReport, near: int | None) -> str:
    return json.dumps({
        "model": report.model,
        "input": [python(d) for d in report.input],
        "layers": [{"name": r.name, "type": r.kind, "output": [python(d) for d in r.output],
                    "params": python(r.weights + r.biases), "weights": python(r.weights), "biases": python(r.biases),
                    "activations": python(r.activations), "macs": python(r.macs), "flops": python(r.flops)}
                   for r in report.layers],
        "conditions": [{"layer": c.layer, "axis": c.axis, "condition": c.text,
                        "congruence": f"{c.symbol} % {c.modulus} == {c.residue}" if c.residue is not None else None}
                       for c in report.conditions],
        "solutions": {s.symbol: {"residue": s.residue, "modulus": s.modulus, "smallest_valid": s.smallest_valid,
                                 "near": s.sizes(near) if near else [], "unsolved": list(s.unsolved)}
                      for s in report.solutions},
        "never_tiles": list(report.never),
    }, indent=2)


def check_lines(result: SymbolicCheck) -> list[str]:
    h, w = result.size
    lines = [f"Output size = (N − F + 2P)/S + 1 = {' and '.join(sorted({human(e) for e in result.exact}))}, "
             "rounded down as PyTorch does:"]
    lines.append(f"  {human(h)}" if h == w else f"  height {human(h)}, width {human(w)}")
    if result.never:
        return lines + ["Never fits: " + "; ".join(result.never)]
    for s in result.solutions:
        when = "every size" if s.modulus == 1 else f"{s.symbol} ≡ {s.residue} (mod {s.modulus})"
        lines.append(f"Fits when {when}, {s.symbol} ≥ {s.smallest_valid}")
    return lines


def check_text(result: SymbolicCheck) -> str:
    return "\n".join(check_lines(result))


def check_document(result: SymbolicCheck, title: str) -> Document:
    return Document(title, prose(check_lines(result)))


def check_json(result: SymbolicCheck) -> str:
    return json.dumps({
        "output_size": [python(d) for d in result.size],
        "exact": [python(d) for d in result.exact],
        "fits_when": sorted({f"{c.symbol} % {c.modulus} == {c.residue}" for c in result.conditions
                             if c.residue is not None}),
        "smallest_valid": {s.symbol: s.smallest_valid for s in result.solutions},
        "never_fits": list(result.never),
    }, indent=2)
