"""`verify` output: calculated beside measured, a ✓/✗ per row, a one-line verdict, and CUDA memory.

Numbers are printed in full (grouped digits): a MAC count that is off by one must show it.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cnncalc.layers.base import show_shape
from cnncalc.render.jsonout import dumps_by_line
from cnncalc.render.numbers import grouped, nbytes
from cnncalc.verify.compare import Counts, MemoryMeasurement, Row, Verification

NAMED_IN_VERDICT = 4  # failing layers named in the verdict before "and N more"


def verdict(v: Verification) -> str:
    where = f"PyTorch {v.torch_version} on {v.device}, batch {v.batch}"
    n = len(v.rows)
    if v.ok:
        return f"✓ all {n} layers match {where}: output shapes, params, buffers and MACs"
    failed = v.failed
    named = ", ".join(f"{r.name} ({', '.join(r.mismatches)})" for r in failed[:NAMED_IN_VERDICT])
    if len(failed) > NAMED_IN_VERDICT:
        named += f" and {len(failed) - NAMED_IN_VERDICT} more"
    if not failed:
        return f"✗ every layer matches, but the totals disagree with {where}: {', '.join(v.totals_mismatches)}"
    return f"✗ {len(failed)} of {n} layers disagree with {where}: {named}"


def render_table(v: Verification, console: Console) -> None:
    title = (f"{v.model}: cnncalc vs PyTorch {v.torch_version} ({v.device}, batch {v.batch}, "
             f"input {show_shape(v.input)}, seed {v.seed})")
    table = Table(title=title, title_justify="left", pad_edge=False)
    for header in ("layer", "type", "output", "torch output", "params", "torch params", "MACs", "torch MACs", ""):
        table.add_column(header, justify="right" if "params" in header or "MACs" in header else "left",
                         no_wrap=header in ("", "output", "torch output"))
    for row in v.rows:
        table.add_row(*_cells(row.name, row.kind, row.calculated, row.measured, row.mismatches), _mark(row.match))
    table.add_section()
    totals_ok = not v.totals_mismatches
    table.add_row(*_cells("TOTAL", "", v.calculated, v.measured, v.totals_mismatches, shapes=False),
                  _mark(totals_ok))
    console.print(table)
    console.print()
    for line in memory_lines(v):
        console.print(line, highlight=False, soft_wrap=True)
    console.print(Text(verdict(v), style="bold green" if v.ok else "bold red"), soft_wrap=True)


def _cells(name: str, kind: str, calc: Counts, measured: Counts | None, mismatches: tuple[str, ...],
           *, shapes: bool = True) -> list[str | Text]:
    def pair(field: str, show: Any) -> list[str | Text]:
        ours = show(getattr(calc, field))
        if measured is None:
            return [ours, Text("—", style="red")]
        theirs = show(getattr(measured, field))
        return [ours, Text(theirs, style="red") if field in mismatches else theirs]

    def params(value: int, buffers: int) -> str:
        return grouped(value) + (f" +{grouped(buffers)} buf" if buffers else "")

    cells: list[str | Text] = [name, kind]
    cells += pair("output", show_shape) if shapes else ["", ""]
    ours_params = params(calc.params, calc.buffers)
    if measured is None:
        cells += [ours_params, Text("—", style="red")]
    else:
        theirs = params(measured.params, measured.buffers)
        bad = "params" in mismatches or "buffers" in mismatches
        cells += [ours_params, Text(theirs, style="red") if bad else theirs]
    cells += pair("macs", grouped)
    return cells


def _mark(ok: bool) -> Text:
    return Text("✓", style="green") if ok else Text("✗", style="bold red")


def memory_lines(v: Verification) -> list[str]:
    m = v.memory
    if m is None:
        return [f"Memory: {v.memory_note}"]
    lines = [(f"Memory ({v.device}, fp32, batch {v.batch}): peak of torch.cuda.max_memory_allocated beside "
              "`cnncalc memory`'s estimate")]
    lines.append(f"  inference pass:  measured {nbytes(m.inference_peak)}, calculated {nbytes(m.inference_estimate)}"
                 f", ratio {m.inference_ratio:.2f} (params + live activations)")
    if m.training_peak is None:
        lines.append(f"  training step:   not measured: {m.training_note}")
    else:
        lines.append(f"  training step:   measured {nbytes(m.training_peak)}, calculated "
                     f"{nbytes(m.training_estimate)}, ratio {m.training_ratio:.2f} "
                     "(params + gradients + saved activations; forward, backward, SGD step)")
    lines.append(f"  before the pass: {nbytes(m.baseline)} allocated (parameters, buffers, input)")
    return lines


def verification_dict(v: Verification) -> dict[str, Any]:
    return {
        "model": v.model,
        "input": list(v.input),
        "device": v.device,
        "batch": v.batch,
        "seed": v.seed,
        "torch": v.torch_version,
        "rows": [_row_dict(r) for r in v.rows],
        "totals": {"calculated": _counts_dict(v.calculated, shape=False),
                   "measured": _counts_dict(v.measured, shape=False),
                   "match": not v.totals_mismatches, "mismatches": list(v.totals_mismatches)},
        "memory": _memory_dict(v.memory) if v.memory else None,
        "memory_note": v.memory_note,
        "verdict": verdict(v),
        "ok": v.ok,
    }


def render_json(v: Verification) -> str:
    return dumps_by_line(verification_dict(v))


def _row_dict(r: Row) -> dict[str, Any]:
    return {"name": r.name, "type": r.kind, "calculated": _counts_dict(r.calculated),
            "measured": _counts_dict(r.measured) if r.measured else None, "match": r.match,
            "mismatches": list(r.mismatches)}


def _counts_dict(c: Counts, *, shape: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {"output": list(c.output)} if shape else {}
    return {**data, "params": c.params, "buffers": c.buffers, "macs": c.macs}


def _memory_dict(m: MemoryMeasurement) -> dict[str, Any]:
    return {
        "dtype": "fp32",
        "inference": {"measured_peak_bytes": m.inference_peak, "calculated_bytes": m.inference_estimate,
                      "ratio": m.inference_ratio},
        "training": {"measured_peak_bytes": m.training_peak, "calculated_bytes": m.training_estimate,
                     "ratio": m.training_ratio, "note": m.training_note},
        "baseline_bytes": m.baseline,
    }
