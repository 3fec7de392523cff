"""`cnncalc specs`: the shipped specs (the zoo), one line per name a SPEC argument can use — each spec and each of
its named variants (resnet50_torchvision) — with its family, source, input size, params and MACs; and its JSON.

Text formats group digits and shorten MACs (4.09G); CSV and JSON carry exact integers and the file.
"""

from __future__ import annotations

from typing import Any

from cnncalc.document import Block, Cell, Column, Document, Fact, Facts, Table, cell
from cnncalc.writers.jsontext import dumps
from cnncalc.zoo_index import Listing

TITLE = "Shipped specs"
JSON_FIELDS = ("name", "family", "source", "variant", "input", "params", "macs", "file")


def _si(n: int) -> str:
    """4.089G: cnncalc.numbers.si's four significant figures, here without importing the layers (an instant
    listing imports no more than it shows)."""
    for div, unit in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "K")):
        if n >= div:
            return f"{n / div:.4g}{unit}"
    return str(n)


def _input(shape: list[int]) -> str:
    """HxWxC as the slides write it (C alone for a vector)."""
    return f"{shape[1]}x{shape[2]}x{shape[0]}" if len(shape) == 3 else "x".join(str(d) for d in shape)


def document(found: Listing, family: str | None = None) -> Document:
    columns = (Column("name", "name"), Column("family", "text"), Column("source", "text", priority=2),
               Column("input", "shape"), Column("params", "integer", "right"), Column("MACs", "integer", "right"))
    rows = tuple((Cell(e["name"]), Cell(e["family"]), Cell(e["source"]), Cell(_input(e["input"])),
                  cell(e["params"]), Cell(_si(e["macs"]), e["macs"])) for e in found.entries)
    data_columns = tuple(Column(f) for f in ("name", "family", "source", "variant", "input", "params", "MACs",
                                             "file"))
    data_rows = tuple((Cell(e["name"]), Cell(e["family"]), Cell(e["source"]), Cell(e["variant"] or ""),
                       Cell(_input(e["input"])), cell(e["params"]), cell(e["macs"]), Cell(e["file"]))
                      for e in found.entries)
    blocks: list[Block] = [Table(columns, rows, audience="display"), Table(data_columns, data_rows, audience="data")]
    facts = [Fact("Names", "any of these is a SPEC argument (cnncalc summarize resnet50_torchvision); a file of "
                           "that name in the current folder wins")]
    if found.computed:
        facts.append(Fact("Not in the index", f"{', '.join(found.computed)} (computed now; python -m "
                                              "cnncalc.zoo_index rewrites cnncalc/models/index.json)", "warning"))
    for name, error in found.failed:
        facts.append(Fact("Cannot read", f"{name}: {error}", "bad"))
    subtitle = f"family {family}, {len(found.entries)} names" if family else f"{len(found.entries)} names"
    return Document(TITLE, (*blocks, Facts(tuple(facts))), subtitle=subtitle)


def data(found: Listing, folder: str) -> dict[str, Any]:
    return {"specs": [{**{k: e[k] for k in JSON_FIELDS}, "file": f"{folder}/{e['file']}"} for e in found.entries],
            "computed": list(found.computed),
            "failed": [{"name": n, "error": err} for n, err in found.failed]}


def json_text(found: Listing, folder: str) -> str:
    return dumps(data(found, folder))
