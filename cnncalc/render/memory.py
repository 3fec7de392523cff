"""Rendering of `cnncalc memory`: what is kept for backward, layer by layer, and the totals."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

from cnncalc.memory import MemoryReport
from cnncalc.render.numbers import bar, grouped, nbytes, percent


def totals(m: MemoryReport) -> list[tuple[str, int, str]]:
    state = {"sgd": "none", "momentum": "1 value per parameter", "adam": "2 values per parameter"}[m.optimizer]
    return [
        ("parameters", m.params_bytes, m.dtype),
        ("gradients", m.gradients_bytes, "one per parameter"),
        (f"optimizer state ({m.optimizer})", m.optimizer_bytes, state),
        ("activations kept for backward", m.saved_bytes, f"batch {m.batch}; each tensor counted once"),
        ("training step", m.training_bytes, "the four above"),
        ("inference peak activations", m.inference_peak_bytes, "live tensors only, freed after last use"),
        ("inference", m.inference_bytes, "parameters + the peak"),
    ]


def render_table(m: MemoryReport, console: Console) -> None:
    table = Table(title=f"{m.model}: memory for one training step ({m.dtype}, batch {m.batch}, {m.optimizer})",
                  title_justify="left")
    for header in ("layer", "type", "kept for backward", "bytes", "share"):
        table.add_column(header, justify="right" if header == "bytes" else "left")
    for row in m.rows:
        if row.bytes:
            table.add_row(row.name, row.kind, ", ".join(row.kept), grouped(row.bytes),
                          f"{bar(row.bytes, m.saved_bytes, 6)} {percent(row.bytes, m.saved_bytes)}")
    console.print(table)
    console.print()
    for label, value, why in totals(m):
        console.print(f"[bold]{label + ':':<32}[/bold] {grouped(value):>16} bytes = {nbytes(value):<22} {why}",
                      highlight=False)


def render_json(m: MemoryReport) -> str:
    return json.dumps({
        "model": m.model, "dtype": m.dtype, "batch": m.batch, "optimizer": m.optimizer,
        "layers": [{"name": r.name, "type": r.kind, "kept": list(r.kept), "bytes": r.bytes} for r in m.rows],
        "totals": {"params_bytes": m.params_bytes, "gradients_bytes": m.gradients_bytes,
                   "optimizer_bytes": m.optimizer_bytes, "saved_activation_bytes": m.saved_bytes,
                   "training_bytes": m.training_bytes, "inference_peak_activation_bytes": m.inference_peak_bytes,
                   "inference_bytes": m.inference_bytes},
    }, indent=2)
