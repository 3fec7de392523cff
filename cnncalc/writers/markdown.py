"""Markdown (GitHub-flavoured): the title as a heading, tables with aligned columns, facts as a bullet list with
bold labels — ready for a README or an answer key. Blocks are separated by a blank line. Share bars are drawn
only in the terminal; their columns are left out here (the JSON and CSV carry the numbers they stand for)."""

from __future__ import annotations

from cnncalc.document import Bullets, Document, Facts, Paragraph, Table, printable

_RULE = {"left": "---", "right": "---:", "center": ":---:"}


def escape(text: str) -> str:
    """Cell text that Markdown would read as markup: pipes and asterisks escaped, line breaks as <br>."""
    return printable(text, newlines=True).replace("|", "\\|").replace("*", "\\*").replace("\n", "<br>")


def table(t: Table) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    lines = [line([escape(c.header) for c in t.columns]),
             "|" + "|".join(_RULE[c.align] for c in t.columns) + "|"]
    lines += [line([escape(c.text) for c in row]) for row in t.rows]
    # totals: the first cell bold, as the papers set their total rows apart
    lines += [line([f"**{escape(row[0].text)}**", *(escape(c.text) for c in row[1:])]) for row in t.footer]
    return "\n".join(lines)


def write(doc: Document) -> str:
    parts = [f"{'#' * doc.level} {escape(printable(doc.title))}"]
    if doc.subtitle:
        parts.append(doc.subtitle)
    for block in doc.blocks:
        if isinstance(block, Table):
            if block.audience != "data":
                parts.append(table(block.without("bar")))
        elif isinstance(block, Facts):
            parts.append("\n".join(f"- **{escape(f.label)}:** {escape(f.text)}" if f.label else f"- {escape(f.text)}"
                                   for f in block.items))
        elif isinstance(block, Paragraph):
            parts.append(f"**{escape(block.text)}**" if block.strong else escape(block.text))
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {escape(item)}" for item in block.items))
    return "\n\n".join(p for p in parts if p) + "\n"

