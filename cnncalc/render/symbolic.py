"""Rendering of symbolic results: formulas as a person writes them (tables) or as Python (JSON)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from cnncalc.symbolic import Solution, SymbolicCheck, SymbolicReport, human, python


def shape_text(shape: tuple[Any, ...], show: Any = human) -> str:
    if len(shape) == 3:
        c, h, w = shape
        return f"({show(h)}) x ({show(w)}) x {show(c)}"
    return show(shape[0])


def solution_lines(solutions: tuple[Solution, ...], near: int | None) -> list[str]:
    lines = []
    for s in solutions:
        if s.unsolved:
            lines.append(f"{s.symbol}: not solved for {', '.join(s.unsolved[:3])} (no single floor formula)")
        if s.residue is None:
            lines.append(f"{s.symbol}: no input size makes every layer tile exactly (the conditions contradict)")
        else:
            sizes = s.sizes(near) if near else []
            tail = f"; near {near}: {', '.join(map(str, sorted(sizes)))}" if sizes else ""
            what = "every size" if s.modulus == 1 else f"{s.symbol} ≡ {s.residue} (mod {s.modulus})"
            lines.append(f"Every layer tiles exactly when {what}{tail}")
        if s.smallest_valid is not None:
            lines.append(f"The network is valid (every output at least 1) when {s.symbol} ≥ {s.smallest_valid}")
    return lines


def why_lines(report: SymbolicReport, size: int) -> list[str]:
    values = {s.symbol: size for s in report.solutions}
    failure = report.first_failure(values)
    if failure is None:
        return [f"{size} tiles every layer exactly"]
    assert failure.residue is not None and failure.modulus is not None
    return [f"{size} does not tile: {failure.layer} ({failure.axis}) needs {failure.text}, i.e. "
            f"{failure.symbol} ≡ {failure.residue} (mod {failure.modulus}), and {size} ≡ {size % failure.modulus}"]


def render_table(report: SymbolicReport, console: Console, near: int | None, why: int | None) -> None:
    table = Table(title=f"{report.model} for an input of {shape_text(report.input)}", title_justify="left")
    for header in ("layer", "type", "output", "activations", "params", "MACs"):
        table.add_column(header, overflow="fold")
    for r in report.layers:
        table.add_row(r.name, f"{r.kind} {r.description}".strip(), shape_text(r.output), human(r.activations),
                      human(r.weights + r.biases), human(r.macs))
    console.print(table)
    for line in solution_lines(report.solutions, near) + (why_lines(report, why) if why else []):
        console.print(line, highlight=False)


def render_json(report: SymbolicReport, near: int | None) -> str:
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
    }, indent=2)


def render_check(result: SymbolicCheck, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({
            "output_size": [python(d) for d in result.size],
            "exact": [python(d) for d in result.exact],
            "fits_when": sorted({f"{c.symbol} % {c.modulus} == {c.residue}" for c in result.conditions
                                 if c.residue is not None}),
            "smallest_valid": {s.symbol: s.smallest_valid for s in result.solutions},
            "never_fits": list(result.never),
        }, indent=2)
    h, w = result.size
    lines = [f"Output size = (N − F + 2P)/S + 1 = {' and '.join(sorted({human(e) for e in result.exact}))}, "
             "rounded down as PyTorch does:"]
    lines.append(f"  {human(h)}" if h == w else f"  height {human(h)}, width {human(w)}")
    if result.never:
        lines.append("Never fits: " + "; ".join(result.never))
        return "\n".join(lines)
    for s in result.solutions:
        when = "every size" if s.modulus == 1 else f"{s.symbol} ≡ {s.residue} (mod {s.modulus})"
        lines.append(f"Fits when {when}, {s.symbol} ≥ {s.smallest_valid}")
    return "\n".join(lines)
