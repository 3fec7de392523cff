"""Rendering of `cnncalc sweep`: one row per input size (and batch), with bars, then what tiles and what breaks."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from cnncalc.render.numbers import bar, grouped, nbytes, si
from cnncalc.sweep import SweepPoint


def render_table(model: str, points: list[SweepPoint], console: Console) -> None:
    valid = [p for p in points if p.valid]
    top_macs = max((p.macs for p in valid), default=0)
    top_mem = max((p.training_bytes for p in valid), default=0)
    table = Table(title=f"{model}: input-size sweep", title_justify="left")
    for header in ("input", "batch", "params", "MACs", "", "activations", "training memory", "", "tiles"):
        table.add_column(header, justify="left" if header in ("", "tiles") else "right")
    for p in points:
        if not p.valid:
            table.add_row(f"{p.size}x{p.size}", str(p.batch), "", "", "", "", "", "", f"invalid: {p.error}")
            continue
        tiles = "✓ every layer" if p.tiles else f"✗ {', '.join(p.untiled[:3])}" + (" ..." if len(p.untiled) > 3 else "")
        table.add_row(f"{p.size}x{p.size}", str(p.batch), grouped(p.params), si(p.macs), bar(p.macs, top_macs, 8),
                      nbytes(p.activation_bytes), nbytes(p.training_bytes), bar(p.training_bytes, top_mem, 8), tiles)
    console.print(table)
    tiling = sorted({p.size for p in points if p.tiles})
    console.print(f"Sizes at which every layer tiles exactly: {', '.join(map(str, tiling)) or 'none in this range'}",
                  highlight=False)
    invalid = [p for p in points if not p.valid]
    if invalid and valid:
        smallest_valid = min(p.size for p in valid)
        console.print(f"Valid from {smallest_valid}x{smallest_valid} in this range; below it: {invalid[0].error}",
                      highlight=False)


def render_json(model: str, points: list[SweepPoint]) -> str:
    return json.dumps({"model": model, "points": [
        {"input": p.size, "batch": p.batch, "valid": p.valid, "error": p.error, "params": p.params, "macs": p.macs,
         "activation_bytes": p.activation_bytes, "training_bytes": p.training_bytes, "tiles": p.tiles,
         "untiled_layers": list(p.untiled)} for p in points],
        "tiling_sizes": sorted({p.size for p in points if p.tiles})}, indent=2)
