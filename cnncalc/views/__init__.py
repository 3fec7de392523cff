"""What each command shows: one module per command, each building its `Document` (cnncalc/document.py) from the
library's result objects, its JSON contract (extend, never rename a field) and, where a command has one, its
prose (`--format text`: worked solutions and verdicts as a student writes them)."""

from __future__ import annotations

from dataclasses import replace

from cnncalc.document import Document, Table


def _matches(header: str, wanted: str) -> bool:
    h, w = header.lower(), wanted.strip().lower()
    return bool(w) and (h == w or h.startswith(w))


def select_columns(doc: Document, columns: str) -> Document:
    """`--columns layer,params,MACs`: every display table keeps only the columns named (a header or its start,
    any case), in its own order; a table that has none of them is left whole. A name that no table has is a
    usage error (exit 2) that lists the headers there are."""
    import click  # the one usage error a view raises; the CLI turns it into exit 2

    from cnncalc.errors import shown

    wanted = [w for w in columns.split(",") if w.strip()]
    tables = [b for b in doc.blocks if isinstance(b, Table) and b.audience != "data"]
    headers = [c.header for t in tables for c in t.columns if c.header]
    unknown = [w for w in wanted if not any(_matches(h, w) for h in headers)]
    if unknown:
        raise click.UsageError(f"--columns: no column {shown(unknown[0].strip())}; the columns are: "
                               + ", ".join(dict.fromkeys(headers)))

    exact = {w.strip().lower() for w in wanted if any(h.lower() == w.strip().lower() for h in headers)}

    def chosen(header: str) -> bool:  # "params" is the params column, not also "params share"
        return any(header.lower() == w.strip().lower() if w.strip().lower() in exact else _matches(header, w)
                   for w in wanted)

    def keep(t: Table) -> Table:
        if t.audience == "data":
            return t
        idx = [i for i, c in enumerate(t.columns) if chosen(c.header)]
        if not idx:
            return t
        return replace(t, columns=tuple(t.columns[i] for i in idx),
                       rows=tuple(tuple(r[i] for i in idx) for r in t.rows),
                       footer=tuple(tuple(r[i] for i in idx) for r in t.footer))

    return replace(doc, blocks=tuple(keep(b) if isinstance(b, Table) else b for b in doc.blocks))
