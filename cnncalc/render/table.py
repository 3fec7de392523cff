"""The rich table of `summarize`, laid out like the slides' VGG16 breakdown, with share bars."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cnncalc import grouping
from cnncalc.layers import numel
from cnncalc.render import summary
from cnncalc.render.numbers import bar, percent
from cnncalc.results import Report


RICH_ROW_LIMIT = 1_000  # rich measures every cell; past this many rows a plain aligned table is much faster


def render(report: Report, console: Console, depth: int | None = None, receptive_field: bool = False) -> None:
    t = report.totals
    rows = grouping.rows(report, depth)
    if len(rows) > RICH_ROW_LIMIT:
        _render_plain(report, rows, console)
        return
    table = Table(title=f"{report.model}", title_justify="left", show_lines=False, pad_edge=False)
    for header in summary.HEADERS:
        table.add_column(header, justify="right" if header in ("params", "MACs") else "left",
                         overflow="fold")
    checks = summary.expectation_cells(report, rows)
    if checks is not None:  # the spec's `expect:`, checked
        table.add_column("expected")
    if receptive_field:  # the receptive field replaces the share bars, to keep the table readable
        for header in summary.RF_HEADERS:
            table.add_column(header, justify="right")
        for cells, row in zip([summary.input_cells(report)] + [summary.cells(r) for r in rows], [None, *rows]):
            table.add_row(*cells, *(() if checks is None else (_check(checks, row, rows),)), *summary.rf_cells(row))
    else:
        table.add_column("memory share", no_wrap=True)
        table.add_column("params share", no_wrap=True)
        shares = [(numel(report.input), 0)] + [(r.activations, r.params) for r in rows]
        for i, (cells, (mem, par)) in enumerate(zip([summary.input_cells(report)] + [summary.cells(r) for r in rows],
                                                    shares)):
            if checks is not None:
                cells = (*cells, ["", *checks][i])
            table.add_row(*cells, f"{bar(mem, t.activations, 6)} {percent(mem, t.activations)}".strip(),
                          f"{bar(par, t.params, 6)} {percent(par, t.params)}".strip() if par else "")
    console.print(table)
    for note in report.misaligned if receptive_field else ():
        console.print(f"[yellow]warning:[/yellow] {note}", highlight=False)
    _render_footer(report, rows, console)


def _check(checks: list[str], row: grouping.Row | None, rows: list[grouping.Row]) -> str:
    return "" if row is None else checks[rows.index(row)]


def _render_plain(report: Report, rows: list[grouping.Row], console: Console) -> None:
    cells = [summary.HEADERS, summary.input_cells(report), *(summary.cells(r) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(summary.HEADERS))]
    lines = ["  ".join(c.rjust(w) if i >= 4 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in cells]
    console.file.write(f"{report.model}\n" + "\n".join(lines) + "\n")
    _render_footer(report, rows, console)


def _render_footer(report: Report, rows: list[grouping.Row], console: Console) -> None:
    console.print()
    for label, text in summary.footer(report):
        console.print(f"[bold]{label + ':':<20}[/bold] {text}", highlight=False)
    where = summary.where_it_sits(report, rows)
    if where:
        console.print(f"[bold]{'Where it sits:':<20}[/bold] {where}", highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning.message(with_hint=False)}", highlight=False,
                      soft_wrap=True)
    hint = summary.tiling_hint(report)
    if hint:
        console.print(f"[green]hint:[/green] {hint}", highlight=False)
    for note in summary.expectation_notes(report):
        console.print(note, highlight=False, soft_wrap=True)
