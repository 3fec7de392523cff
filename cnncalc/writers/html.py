"""HTML from any `Document`: a fragment (title, tables, facts, paragraphs) for the report page.

Every text is escaped (names come from spec files). A cell's exact value goes into `data-v`, so the page sorts a
column by the number the library computed, never by re-reading the text it shows.
"""

from __future__ import annotations

from html import escape

from cnncalc.document import Bullets, Cell, Column, Document, Facts, Paragraph, Table


def write(document: Document) -> str:
    """The document as an HTML fragment: a heading, its subtitle, then its display blocks in reading order."""
    out = [f"<h3>{escape(document.title)}</h3>"]
    if document.subtitle:
        out.append(f'<p class="subtitle">{escape(document.subtitle)}</p>')
    for block in document.blocks:
        if isinstance(block, Table):
            if block.audience != "data":
                out.append(table(block))
        elif isinstance(block, Facts):
            out.append(facts(block))
        elif isinstance(block, Paragraph):
            out.append(f'<p class="{block.tone}">{escape(block.text)}</p>')
        elif isinstance(block, Bullets):
            out.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in block.items) + "</ul>")
    return "\n".join(out) + "\n"


def _sort_value(c: Cell) -> str:
    v = c.value
    if isinstance(v, bool) or v is None:
        return ""
    if isinstance(v, int):
        return f' data-v="{v}"'
    return ""


def _cell(tag: str, c: Cell, col: Column) -> str:
    cls = f"{col.role} {col.align} {c.tone}".strip()
    return f'<{tag} class="{cls}"{_sort_value(c)}>{escape(c.text)}</{tag}>'


def table(t: Table, css_class: str = "sortable") -> str:
    """A table whose headers sort it (the page's script), one <tbody> row per document row."""
    columns = [c for c in t.columns if c.role != "bar"]  # bars are the terminal's; the page draws its own charts
    keep = [i for i, c in enumerate(t.columns) if c.role != "bar"]
    head = "".join(f'<th class="{c.role} {c.align}" title="sort by {escape(c.header)}">{escape(c.header)}</th>'
                   for c in columns)
    rows = []
    for row in t.rows:
        name = escape(row[0].text) if row else ""
        cells = "".join(_cell("td", row[i], t.columns[i]) for i in keep if i < len(row))
        rows.append(f'<tr data-name="{name}">{cells}</tr>')
    foot = "".join("<tr>" + "".join(_cell("td", row[i], t.columns[i]) for i in keep if i < len(row)) + "</tr>"
                   for row in t.footer)
    return (f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
            + (f"<tfoot>{foot}</tfoot>" if foot else "") + "</table>")


def facts(f: Facts) -> str:
    items = "".join(f'<li class="{x.tone}">' + (f"<b>{escape(x.label)}:</b> " if x.label else "")
                    + f"{escape(x.text)}</li>" for x in f.items)
    return f'<ul class="facts">{items}</ul>'
