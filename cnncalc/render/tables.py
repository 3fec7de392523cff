"""Rendering of `cnncalc table` (the GoogLeNet paper's layout) and `cnncalc compare` (specs side by side)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cnncalc.render.numbers import grouped, si
from cnncalc.tables import INCEPTION_COLUMNS, Comparison, PaperCheck, TableRow, checks


def size(shape: tuple[int, ...]) -> str:
    if len(shape) == 3:
        c, h, w = shape
        return f"{h}×{w}×{c}"
    return f"1×1×{shape[0]}"


def check_cell(check: PaperCheck | None) -> str:
    if check is None:
        return ""
    mark = "✓" if check.agrees else "✗"
    return f"{check.written} {mark}"


def render_paper_table(rows: list[TableRow], model: str, total: tuple[PaperCheck, ...], console: Console) -> None:
    extra = [c for c in ("#3x3 reduce", "#3x3") if any(c in r.columns for r in rows)]
    columns = list(INCEPTION_COLUMNS) if any("#1x1" in r.columns for r in rows) else extra
    table = Table(title=f"{model}: computed in the layout of the GoogLeNet paper's Table 1 (ReLU and LRN rows "
                        "omitted, as there)", title_justify="left")
    for header in ("type", "patch size/stride", "output size", "depth", *columns, "params", "ops (MACs)",
                   "paper params", "paper ops"):
        table.add_column(header, justify="left" if header in ("type", "patch size/stride", "output size") else "right")
    flagged = 0
    for r in rows:
        paper = {c.what: c for c in r.checks}
        flagged += sum(not c.agrees for c in r.checks)
        table.add_row(r.type, r.patch.replace("x", "×"), size(r.output), str(r.depth),
                      *(str(r.columns.get(c, "")) for c in columns),
                      _value(r.params, paper.get("params")), _value(r.ops, paper.get("ops")),
                      check_cell(paper.get("params")), check_cell(paper.get("ops")))
    console.print(table)
    for c in total:
        mark = "agrees" if c.agrees else "differs"
        console.print(f"Total {c.what}: computed {grouped(c.computed)} ({si(c.computed)}); paper {c.written}: {mark}",
                      highlight=False)
    if flagged:
        console.print(f"{flagged} figure(s) of the paper differ from the computed value by more than rounding (✗); "
                      "docs/conventions.md explains each.", highlight=False)


def _value(value: int, check: PaperCheck | None) -> str:
    if not value:
        return ""
    if check is None:
        return si(value)
    return _in_paper_units(value, check.written)


def _in_paper_units(value: int, written: str) -> str:
    text = written.strip()
    unit = text[-1].upper() if text[-1].isalpha() else ""
    div = {"K": 10**3, "M": 10**6, "G": 10**9}.get(unit, 1)
    decimals = len(text[:-1].split(".")[1]) if unit and "." in text else 0
    return f"{value / div:.{decimals}f}{unit}"


def render_comparison(comp: Comparison, console: Console, totals_only: bool = False) -> None:
    table = Table(title="Side by side", title_justify="left")
    table.add_column("layer name")
    table.add_column("output size")
    for model in comp.models:
        table.add_column(model)
    if not totals_only:
        for name in comp.names:
            table.add_row(name, "" if name in comp.mixed else size(comp.outputs[name]).rsplit("×", 1)[0],
                          *(comp.cells.get((name, m), "") for m in comp.models))
        table.add_section()
    table.add_row("params", "", *(grouped(r.totals.params) for r in comp.reports))
    table.add_row("params (M)", "", *(f"{r.totals.params / 1e6:.0f}" for r in comp.reports))
    table.add_row("MACs (FLOPs in the papers)", "", *(f"{r.totals.macs / 1e9:.2f}×10⁹" for r in comp.reports))
    table.add_row("paper", "", *(", ".join(f"{c.what} {c.written} {'✓' if c.agrees else '✗'}"
                                           for c in checks(r.paper, r.totals.params, r.totals.macs))
                                 for r in comp.reports))
    console.print(table)
