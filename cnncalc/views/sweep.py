"""`cnncalc sweep`: one row per input size (and batch) with bars, then which sizes tile and where the network
stops being valid."""

from __future__ import annotations

import json

from cnncalc.document import Block, Cell, Column, Document, Paragraph, Table, cell
from cnncalc.numbers import bar, nbytes, si
from cnncalc.sweep import SweepPoint


def _tiles(p: SweepPoint) -> Cell:
    if not p.valid:
        return Cell(f"invalid: {p.error}", False, "bad")
    if p.tiles:
        return Cell("✓ every layer", True, "good")
    return Cell(f"✗ {', '.join(p.untiled[:3])}" + (" ..." if len(p.untiled) > 3 else ""), False)


def document(model: str, points: list[SweepPoint]) -> Document:
    valid = [p for p in points if p.valid]
    top_macs = max((p.macs for p in valid), default=0)
    top_mem = max((p.training_bytes for p in valid), default=0)
    columns = (Column("input", "shape"), Column("batch", "integer", "right"), Column("params", "integer", "right"),
               Column("MACs", "integer", "right"), Column("", "bar", priority=3, wrap=False),
               Column("activations", "integer", "right"), Column("training memory", "integer", "right"),
               Column("", "bar", priority=3, wrap=False), Column("tiles", "verdict"))
    rows = []
    for p in points:
        size = Cell(f"{p.size}x{p.size}", p.size)
        if not p.valid:
            rows.append((size, cell(p.batch), *(Cell("") for _ in range(6)), _tiles(p)))
            continue
        rows.append((size, cell(p.batch), cell(p.params), Cell(si(p.macs), p.macs), Cell(bar(p.macs, top_macs, 8)),
                     Cell(nbytes(p.activation_bytes), p.activation_bytes),
                     Cell(nbytes(p.training_bytes), p.training_bytes), Cell(bar(p.training_bytes, top_mem, 8)),
                     _tiles(p)))
    tiling = sorted({p.size for p in points if p.tiles})
    blocks: list[Block] = [Table(columns, tuple(rows)),
                           Paragraph("Sizes at which every layer tiles exactly: "
                                     f"{', '.join(map(str, tiling)) or 'none in this range'}")]
    invalid = [p for p in points if not p.valid]
    if invalid and valid:
        smallest = min(p.size for p in valid)
        blocks.append(Paragraph(f"Valid from {smallest}x{smallest} in this range; below it: {invalid[0].error}"))
    return Document(f"{model}: input-size sweep", tuple(blocks))


def json_text(model: str, points: list[SweepPoint]) -> str:
    return json.dumps({"model": model, "points": [
        {"input": p.size, "batch": p.batch, "valid": p.valid, "error": p.error, "params": p.params, "macs": p.macs,
         "activation_bytes": p.activation_bytes, "training_bytes": p.training_bytes, "tiles": p.tiles,
         "untiled_layers": list(p.untiled)} for p in points],
        "tiling_sizes": sorted({p.size for p in points if p.tiles})}, indent=2)
