"""What a command shows, independent of the format it is written in.

A command builds one `Document` from the library's result objects: a title, then blocks — tables of typed
cells, labelled facts (totals, warnings, hints), paragraphs and bullet lists. One writer per format
(cnncalc/writers/) turns any document into text, so every command gets every text format, and a new format is
one new writer. JSON is not a document: it is each command's data contract (cnncalc/views/).

Cells keep their exact value beside their display form, so a data writer (CSV) writes 34944 where a display
writer writes "(11*11*3)*96 + 96 = 34,944". Columns say what they hold (their role) and how readily they give way
on a narrow terminal (their priority), so a writer can drop the least important ones first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

Tone = Literal["", "good", "bad", "warning", "hint"]
Role = Literal["name", "text", "integer", "shape", "formula", "bar", "verdict", "note"]
Audience = Literal["all", "display", "data"]


class Cell(NamedTuple):
    """One table cell: the text people read, the exact value data formats write (None: the text), a tone.
    A named tuple, not a frozen dataclass: a 100,000-layer table makes a million of them."""

    text: str
    value: Any = None  # an int, a bool, a str (a shape is given in its HxWxC text): what CSV writes
    tone: Tone = ""

    @property
    def data(self) -> Any:
        return self.text if self.value is None else self.value


_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text: str, *, newlines: bool = False) -> str:
    """Text from a file as a reader should see it: control characters (an ANSI escape, a NUL) written as their
    escapes (\\x1b), and line breaks too unless `newlines` (a multi-line cell). Every writer passes what it prints
    through this, so that a name can never become markup, a terminal command, or live LaTeX after a % comment."""
    if text.isprintable():
        return text
    out = _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)
    return out if newlines else out.replace("\n", "\\n")


def cell(value: Any) -> Cell:
    """A cell from a plain value: a string as it is, an int with its digits grouped (the exact int kept)."""
    if isinstance(value, Cell):
        return value
    if isinstance(value, bool) or value is None:
        return Cell("" if value is None else str(value), value)
    if isinstance(value, int):
        return Cell(f"{value:,}", value)
    return Cell(str(value))


def verdict(ok: bool) -> Cell:
    """✓ or ✗, coloured by writers that can."""
    return Cell("✓" if ok else "✗", ok, "good" if ok else "bad")


@dataclass(frozen=True, slots=True)
class Column:
    """A column's header and how to lay it out.

    priority: 0 is never dropped; a narrow terminal drops the highest priority first (share bars, then
    formulas, then descriptions). latex: a LaTeX column type when l/r/c is not enough (p{0.35\\linewidth}).
    """

    header: str
    role: Role = "text"
    align: Literal["left", "right", "center"] = "left"
    priority: int = 0
    wrap: bool = True
    latex: str = ""


Row = tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    """Rows of cells under columns; `footer` rows (totals) follow a rule; `groups` are the row indices where a
    new group starts (a layer's steps, a question's answers).

    audience: "display" tables are for people (terminal, Markdown, LaTeX); "data" tables carry the exact values
    for CSV; "all" serves both. A command whose people's table and data table differ gives both.
    """

    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    footer: tuple[Row, ...] = ()
    groups: tuple[int, ...] = ()
    audience: Audience = "all"

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in (*self.rows, *self.footer):
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} cells in a table of {width} columns: {row!r}")

    def without(self, role: Role) -> Table:
        """The table without its columns of this role (bars, where a format cannot draw them)."""
        keep = [i for i, c in enumerate(self.columns) if c.role != role]
        if len(keep) == len(self.columns):
            return self
        return replace(self, columns=tuple(self.columns[i] for i in keep),
                       rows=tuple(tuple(r[i] for i in keep) for r in self.rows),
                       footer=tuple(tuple(r[i] for i in keep) for r in self.footer))


@dataclass(frozen=True, slots=True)
class Fact:
    """'Total params: 62,378,344 (...)': a label (empty for a plain note), its text, and a tone."""

    label: str
    text: str
    tone: Tone = ""


@dataclass(frozen=True)
class Facts:
    items: tuple[Fact, ...]


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: Tone = ""
    strong: bool = False


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


Block = Table | Facts | Paragraph | Bullets


def prose(lines: list[str], tone: Tone = "") -> tuple[Block, ...]:
    """Lines as a command writes them for a person: each line a paragraph, and the lines indented under one a
    bullet list under it ("✗ Doesn't fit:" then its reasons)."""
    blocks: list[Block] = []
    indented: list[str] = []
    for line in [*lines, ""]:
        if line.startswith(" "):
            indented.append(line.strip())
            continue
        if indented:
            blocks.append(Bullets(tuple(indented)))
            indented = []
        if line:
            blocks.append(Paragraph(line, tone))
    return tuple(blocks)


@dataclass(frozen=True)
class Document:
    """A title (a Markdown heading, a LaTeX caption, the terminal table's title), a subtitle that qualifies it
    (the setting: dtype, batch), and the blocks in reading order."""

    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    subtitle: str = ""
    level: int = 3  # the Markdown heading level of the title

    def tables(self, audience: Audience) -> list[Table]:
        """The tables a writer for this audience writes: its own and those for all."""
        return [b for b in self.blocks if isinstance(b, Table) and b.audience in (audience, "all")]
