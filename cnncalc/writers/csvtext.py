"""CSV: the document's data tables with exact values (34944, not "34,944" or a formula), header row first.

A command whose data differ from its display table gives a "data" table (cnncalc/document.py); otherwise the
display tables are written, each cell's exact value where it has one. Several tables are separated by a blank
line. Facts and paragraphs are prose, and share bars pictures of numbers already there: CSV leaves them out.
"""

from __future__ import annotations

import csv
import io

from cnncalc.document import Document


def write(doc: Document) -> str:
    tables = doc.tables("data") or doc.tables("display")
    chunks = []
    for t in tables:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        t = t.without("bar")  # a bar draws a number the table already holds
        writer.writerow([c.header for c in t.columns])
        writer.writerows([c.data for c in row] for row in (*t.rows, *t.footer))
        chunks.append(out.getvalue())
    return "\n".join(chunks)
