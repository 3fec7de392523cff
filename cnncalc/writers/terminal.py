"""The terminal: rich tables with the title above, totals under a rule, labelled facts in bold, warnings in
yellow, verdicts in green or red.

Every string from a document is printed as text, never as rich markup, so a model named
"ResNet-50 [torchvision]" keeps its brackets. Width adaptation (which columns give way on a narrow terminal,
by their priority) belongs here.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from cnncalc.document import Bullets, Document, Facts, Paragraph, Row, Table, Tone

RICH_ROW_LIMIT = 1_000  # rich measures every cell; past this many rows a plain aligned table is much faster
LABEL_WIDTH = 20  # facts' labels are padded to at least this, so that the totals line up as in the README
STYLE: dict[Tone, str] = {"": "", "good": "green", "bad": "bold red", "warning": "yellow", "hint": "green"}


def console() -> Console:
    """A console for stdout; piped output gets 160 columns (it is read in files and editors, not a tty)."""
    out = Console()
    return out if out.is_terminal else Console(width=160)


def show(doc: Document, out: Console) -> None:
    """The first table carries the document's title; a document of prose only prints its title first."""
    titled = not doc.tables("display")
    if titled:
        out.print(Text(_title(doc.title, doc.subtitle), style="bold"), soft_wrap=True)
    previous = None
    for block in doc.blocks:
        if isinstance(block, Table):
            if block.audience == "data":
                continue
            _table(block, "" if titled else _title(doc.title, doc.subtitle), out)
            titled = True
        elif isinstance(block, Facts):
            if isinstance(previous, Table):
                out.print()
            _facts(block, out)
        elif isinstance(block, Paragraph):
            out.print(Text(block.text, style=STYLE[block.tone] + (" bold" if block.strong else "")), soft_wrap=True)
        elif isinstance(block, Bullets):
            for item in block.items:
                out.print(Text(f"  - {item}"), soft_wrap=True)
        previous = block


def _title(title: str, subtitle: str) -> str:
    return title + (f" ({subtitle})" if subtitle else "")


def _cells(row: Row) -> list[Text]:
    return [Text(c.text, style=STYLE[c.tone]) for c in row]


def _table(t: Table, title: str, out: Console) -> None:
    if len(t.rows) > RICH_ROW_LIMIT:
        _plain(t, title, out)
        return
    table = RichTable(title=Text(title) if title else None, title_justify="left")
    for c in t.columns:
        table.add_column(c.header, justify=c.align, no_wrap=not c.wrap, overflow="fold")
    for row in t.rows:
        table.add_row(*_cells(row))
    if t.footer and t.rows:
        table.add_section()
    for row in t.footer:
        table.add_row(*_cells(row))
    out.print(table)


def _plain(t: Table, title: str, out: Console) -> None:
    """Aligned columns without rich's measuring: a 100,000-layer network prints in a second, not a minute."""
    rows = [[c.header for c in t.columns], *([c.text for c in row] for row in (*t.rows, *t.footer))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(t.columns))]
    right = [c.align == "right" for c in t.columns]
    lines = ["  ".join(text.rjust(w) if r else text.ljust(w) for text, w, r in zip(row, widths, right)).rstrip()
             for row in rows]
    out.file.write((f"{title}\n" if title else "") + "\n".join(lines) + "\n")


def _facts(block: Facts, out: Console) -> None:
    width = max([LABEL_WIDTH - 1, *(len(f.label) for f in block.items if f.label and not f.tone)]) + 1
    for f in block.items:
        if f.tone:  # warning: ..., hint: ...
            line = Text.assemble((f"{f.label.lower()}:", STYLE[f.tone]), " ", f.text)
        elif f.label:
            line = Text.assemble((f"{f.label + ':':<{width}}", "bold"), " ", f.text)
        else:
            line = Text(f.text)
        out.print(line, soft_wrap=True)
