"""The terminal: rich tables with the title above, totals under a rule, labelled facts in bold, warnings in
yellow, verdicts in green or red.

Every string from a document is printed as text, never as rich markup, so a model named
"ResNet-50 [torchvision]" keeps its brackets.

Width (issue 15): a number, a shape, a name or a formula is never broken across lines; only prose (a `text` or
`note` column, and headers) wraps, and only between words. When a table is wider than the terminal, columns
give way in an order that keeps the answer, from the highest priority down: at each priority its descriptions
wrap, its columns go (share bars are 3, descriptions 2) and its formula columns show only their value
("224*224*64 = 3.2M" → "3.2M"); priority 0 columns stay as they are (explain's worked solutions keep their
formulas). `wide` prints the table as wide as it is; piped output gets 160 columns, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from cnncalc.document import Bullets, Cell, Column, Document, Facts, Paragraph, Row, Table, Tone, printable

RICH_ROW_LIMIT = 1_000  # rich measures every cell; past this many rows a plain aligned table is much faster
LABEL_WIDTH = 20  # facts' labels are padded to at least this, so that the totals line up as in the README
STYLE: dict[Tone, str] = {"": "", "good": "green", "bad": "bold red", "warning": "yellow", "hint": "green"}


class _Console(Console):
    """rich's Console, except that a broken pipe is left to the command line (cli.Cli: a quiet exit 141) instead
    of rich's own exit 1."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def console() -> Console:
    """A console for stdout; piped output gets 160 columns (it is read in files and editors, not a tty)."""
    out = _Console()
    return out if out.is_terminal else _Console(width=160)


PROSE = ("text", "note")  # the roles whose cells may wrap between words; every other cell stays on one line
LAST_RESORT = (*PROSE, "name")  # a label of several words ("MACs (×10⁹, FLOPs in the papers)") wraps last


def show(doc: Document, out: Console, wide: bool = False) -> None:
    """The first table carries the document's title; a document of prose only prints its title first.
    wide: every column at its full width, however wide the terminal (the user scrolls)."""
    titled = not doc.tables("display")
    if titled:
        out.print(Text(_title(doc.title, doc.subtitle), style="bold"), soft_wrap=True)
    previous = None
    for block in doc.blocks:
        if isinstance(block, Table):
            if block.audience == "data":
                continue
            _table(block, "" if titled else _title(doc.title, doc.subtitle), out, wide)
            titled = True
        elif isinstance(block, Facts):
            if isinstance(previous, Table):
                out.print()
            _facts(block, out)
        elif isinstance(block, Paragraph):
            # a terminal wraps prose between words; piped output keeps each paragraph on one line
            out.print(Text(printable(block.text), style=STYLE[block.tone] + (" bold" if block.strong else "")),
                      soft_wrap=not out.is_terminal)
        elif isinstance(block, Bullets):
            for item in block.items:
                out.print(Text(f"  - {printable(item)}"), soft_wrap=not out.is_terminal)
        previous = block


def _title(title: str, subtitle: str) -> str:
    return printable(title + (f" ({subtitle})" if subtitle else ""))


def _cells(row: Row, sums: list[int] | None = None, widths: list[int] | None = None) -> list[Text]:
    texts = [printable(c.text, newlines=True) for c in row]
    for i in sums or ():
        texts[i] = _break_terms(texts[i], widths[i])  # type: ignore[index]
    return [Text(text, style=STYLE[c.tone]) for text, c in zip(texts, row)]


def _table(t: Table, title: str, out: Console, wide: bool = False) -> None:
    if len(t.rows) > RICH_ROW_LIMIT:
        _plain(t, title, out)
        return
    t, widths = fit(t, None if wide else out.width)
    table = RichTable(title=Text(title) if title else None, title_justify="left")
    for c, width in zip(t.columns, widths):
        header = Text(c.header, no_wrap=False, overflow="fold")  # a header wraps between words, whatever its cells
        table.add_column(header, justify=c.align, no_wrap=not c.wrap or c.role not in LAST_RESORT, overflow="fold", width=width)
    sums = [i for i, c in enumerate(t.columns) if c.role == "formula"]
    for row in t.rows:
        table.add_row(*_cells(row, sums, widths))
    if t.footer and t.rows:
        table.add_section()
    for row in t.footer:
        table.add_row(*_cells(row, sums, widths))
    needed = table_width(widths)
    if needed > out.width:  # --wide, or nothing left to give way: print it whole rather than break a number
        saved = out.width
        out.width = needed
        try:
            out.print(table)
        finally:
            out.width = saved
    else:
        out.print(table)


# --- fitting a table to the terminal ---------------------------------------------------------------------------

def table_width(widths: list[int]) -> int:
    """rich's default box: one space of padding each side of a cell, a rule between columns and at both edges."""
    return sum(widths) + 3 * len(widths) + 1


def _longest_word(text: str) -> int:
    return max((cell_len(w) for w in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


SUM_LIMIT = 48  # a formula longer than this is a long sum (explain's totals): it breaks between its terms


def _terms(text: str) -> list[str]:
    """A long formula's pieces (formula_terms); a short one stays whole."""
    return [text] if cell_len(text) <= SUM_LIMIT else formula_terms(text)


def formula_terms(text: str) -> list[str]:
    """A formula's pieces, each ending before a ' + ', ' = ' or ' ≈ ' outside any parentheses: where it may break
    ('(55*55*96)*(11*11*3)' / '= 105,415,200' / '≈ 105M'); a number, a product or a bracket never does
    ('(floor((H − 11)/4) + 1) × ...' stays whole). The LaTeX writer breaks its formulas at the same places."""
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if depth == 0 and ch == " " and text[i + 1:i + 3] in ("+ ", "= ", "≈ ") and i > start:
            pieces.append(text[start:i])
            start = i + 1
    return [*pieces, text[start:]]


def _break_terms(text: str, width: int) -> str:
    """A long sum on as many lines as it needs, broken only between terms."""
    if cell_len(text) <= width or cell_len(text) <= SUM_LIMIT:
        return text
    lines = [""]
    for piece in _terms(text):
        joined = f"{lines[-1]} {piece}" if lines[-1] else piece
        if lines[-1] and cell_len(joined) > width:
            lines.append(piece)
        else:
            lines[-1] = joined
    return "\n".join(lines)


def _narrowest(c: Column, text: str) -> int:
    """How narrow a cell of this column can be without breaking a number, a shape or a formula."""
    if c.role == "formula":
        return max(cell_len(p) for p in _terms(text)) if text else 0
    return _longest_line(text)


def _measure(t: Table) -> list[tuple[int, int, int]]:
    """Per column: its narrowest width as prose (between words), its narrowest otherwise (only the header wraps,
    between words; a long sum between its terms), and its natural width (nothing wraps)."""
    rows = (*t.rows, *t.footer)
    out = []
    for i, c in enumerate(t.columns):
        header = _longest_word(c.header)
        lines = max([0, *(_longest_line(r[i].text) for r in rows)])
        fixed = max([0, *(_narrowest(c, r[i].text) for r in rows)])
        words = max([0, *(_longest_word(r[i].text) for r in rows)])
        out.append((max(header, words), max(header, fixed), max(lines, _longest_line(c.header))))
    return out


Wrap = Callable[[Column], bool]  # which columns may wrap between words at a stage


def _widths(t: Table, available: int | None, wrap: Wrap) -> list[int] | None:
    """Column widths that fit `available` (None: no limit) with the `wrap` columns wrapping, or None. Spare room
    goes back to the narrowed columns, the smallest need first, so that short notes end up on one line."""
    measured = _measure(t)
    natural = [n for _, _, n in measured]
    if available is None or table_width(natural) <= available:
        return natural
    # a column marked wrap=False (a size with its unit, "81.9 MB (78.1 MiB)") stays on one line in a terminal
    widths = [prose if wrap(c) and c.wrap else fixed for c, (prose, fixed, _) in zip(t.columns, measured)]
    if table_width(widths) > available:
        return None
    spare = available - table_width(widths)
    for i in sorted(range(len(widths)), key=lambda i: natural[i] - widths[i]):
        grow = min(spare, natural[i] - widths[i])
        widths[i] += grow
        spare -= grow
    return widths


def _value_only(c: Cell) -> Cell:
    """A formula cell reduced to its answer, the text after its last ' = ' (a cell without one is kept)."""
    return c._replace(text=c.text.rsplit(" = ", 1)[-1])


def _values(t: Table, priority: int) -> Table:
    shorten = [i for i, c in enumerate(t.columns) if c.role == "formula" and c.priority == priority]
    if not shorten:
        return t

    def row(r: Row) -> Row:
        return tuple(_value_only(c) if i in shorten else c for i, c in enumerate(r))

    return replace(t, rows=tuple(row(r) for r in t.rows), footer=tuple(row(r) for r in t.footer))


def _drop(t: Table, priority: int) -> Table:
    """Without the columns of this priority, except formulas (they give way to their values) and the last one."""
    keep = [i for i, c in enumerate(t.columns) if c.priority != priority or c.role == "formula"]
    if len(keep) == len(t.columns) or not keep:
        return t
    return replace(t, columns=tuple(t.columns[i] for i in keep),
                   rows=tuple(tuple(r[i] for i in keep) for r in t.rows),
                   footer=tuple(tuple(r[i] for i in keep) for r in t.footer))


def _notes(c: Column) -> bool:
    """Notes, and the descriptions that never give way (explain's labels, compare's block configurations)."""
    return c.role == "note" or (c.role == "text" and c.priority == 0)


def _prose(c: Column) -> bool:
    return c.role in PROSE


def _labels(c: Column) -> bool:
    return c.role in LAST_RESORT


def stages(t: Table) -> list[tuple[Table, Wrap]]:
    """The table as it gives way, step by step, each with the columns allowed to wrap at that step: notes and
    fixed descriptions wrap first; then, from the highest priority down, a description of that priority wraps,
    its columns go (bars are 3, descriptions 2) and its formulas show their values only; a label of several
    words wraps last. Priority 0 columns stay, formulas whole."""
    out: list[tuple[Table, Wrap]] = [(t, lambda c: False), (t, _notes)]
    current = t
    for priority in range(max((c.priority for c in t.columns), default=0), 0, -1):
        if any(c.priority == priority and c.role == "text" for c in current.columns):
            out.append((current, lambda c, p=priority: _notes(c) or (c.role == "text" and c.priority >= p)))
        current = _drop(current, priority)
        out.append((current, _notes))
        current = _values(current, priority)
        out.append((current, _notes))
    out += [(current, _prose), (current, _labels)]
    return out


def fit(t: Table, available: int | None) -> tuple[Table, list[int]]:
    """The first stage of `stages` that fits `available` columns, with its column widths; when none fits, the
    last stage at its narrowest (wider than the terminal: better than a number broken in two)."""
    if available is not None:
        for stage, wrap in stages(t):
            widths = _widths(stage, available, wrap)
            if widths is not None:
                return stage, widths
        last, wrap = stages(t)[-1]
        return last, [prose if wrap(c) and c.wrap else fixed
                      for c, (prose, fixed, _) in zip(last.columns, _measure(last))]
    return t, _widths(t, None, _notes) or []


def _plain(t: Table, title: str, out: Console) -> None:
    """Aligned columns without rich's measuring: a 100,000-layer network prints in a second, not a minute."""
    rows = [[c.header for c in t.columns], *([c.text for c in row] for row in (*t.rows, *t.footer))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(t.columns))]
    right = [c.align == "right" for c in t.columns]
    lines = ["  ".join(text.rjust(w) if r else text.ljust(w) for text, w, r in zip(row, widths, right)).rstrip()
             for row in rows]
    out.file.write((f"{title}\n" if title else "") + "\n".join(lines) + "\n")


def _facts(block: Facts, out: Console) -> None:
    """Labelled lines; one longer than a terminal wraps between words under its text, not under its label
    (piped output, 160 columns, keeps each fact on one line as before)."""
    width = max([LABEL_WIDTH - 1, *(len(f.label) for f in block.items if f.label and not f.tone)]) + 1
    for f in block.items:
        if f.tone:  # warning: ..., hint: ...
            label = Text(f"{f.label.lower()}:", STYLE[f.tone])
        elif f.label:
            label = Text(f"{f.label + ':':<{width}}", "bold")
        else:
            label = Text("")
        line = Text.assemble(label, " " if label else "", f.text)
        if not out.is_terminal or cell_len(line.plain) <= out.width or cell_len(label.plain) > out.width // 3:
            out.print(line, soft_wrap=True)
            continue
        grid = RichTable.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row(label, Text(printable(f.text)))
        out.print(grid)
