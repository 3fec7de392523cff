"""`cnncalc verify`: calculated beside measured, a ✓/✗ per row, a one-line verdict, and CUDA memory.

Numbers are printed in full (grouped digits): a MAC count that is off by one must show it.
"""

from __future__ import annotations

from typing import Any

from cnncalc.document import Block, Cell, Column, Document, Paragraph, Table, prose, verdict
from cnncalc.layers.base import show_shape
from cnncalc.numbers import grouped, nbytes
from cnncalc.verify.compare import Counts, MemoryMeasurement, Row, Verification
from cnncalc.writers.jsontext import dumps_by_line

NAMED_IN_VERDICT = 4  # failing layers named in the verdict before "and N more"
MISSING = Cell("—", None, "bad")


def _against(v: Verification) -> str:
    return str(getattr(v, "against", ""))  # set by `verify --against` (cnncalc.verify.against)


def verdict_text(v: Verification) -> str:
    where = f"PyTorch {v.torch_version} on {v.device}, batch {v.batch}"
    n = len(v.rows)
    if _against(v):
        where = f"{_against(v)} (PyTorch {v.torch_version}, {v.device})"
        if v.ok:
            return (f"✓ all {n} conv/linear layers match {where}: output shapes, params and MACs, and the totals "
                    "(params, buffers, MACs)")
    if v.ok:
        return f"✓ all {n} layers match {where}: output shapes, params, buffers and MACs"
    failed = v.failed
    named = ", ".join(f"{r.name} ({', '.join(r.mismatches)})" for r in failed[:NAMED_IN_VERDICT])
    if len(failed) > NAMED_IN_VERDICT:
        named += f" and {len(failed) - NAMED_IN_VERDICT} more"
    if not failed:
        return f"✗ every layer matches, but the totals disagree with {where}: {', '.join(v.totals_mismatches)}"
    return f"✗ {len(failed)} of {n} layers disagree with {where}: {named}"


COLUMNS = (Column("layer", "name"), Column("type", "text", priority=2), Column("output", "shape", wrap=False),
           Column("torch output", "shape", wrap=False), Column("params", "integer", "right"),
           Column("torch params", "integer", "right"), Column("MACs", "integer", "right"),
           Column("torch MACs", "integer", "right"), Column("", "verdict", wrap=False))


def _params(c: Counts) -> str:
    return grouped(c.params) + (f" +{grouped(c.buffers)} buf" if c.buffers else "")


def _cells(name: str, kind: str, calc: Counts, measured: Counts | None, mismatches: tuple[str, ...], ok: bool,
           *, shapes: bool = True) -> tuple[Cell, ...]:
    """Ours beside torch's, torch's in red where they differ."""
    def theirs(text: str, value: Any, bad: bool) -> Cell:
        return MISSING if measured is None else Cell(text, value, "bad" if bad else "")

    cells = [Cell(name), Cell(kind)]
    if shapes:
        cells += [Cell(show_shape(calc.output)),
                  theirs(show_shape(measured.output) if measured else "", None,
                         "output" in mismatches)]
    else:
        cells += [Cell(""), Cell("")]
    cells += [Cell(_params(calc), calc.params),
              theirs(_params(measured) if measured else "", measured and measured.params,
                     "params" in mismatches or "buffers" in mismatches),
              Cell(grouped(calc.macs), calc.macs),
              theirs(grouped(measured.macs) if measured else "", measured and measured.macs, "macs" in mismatches),
              verdict(ok)]
    return tuple(cells)


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


def document(v: Verification) -> Document:
    rows = tuple(_cells(r.name, r.kind, r.calculated, r.measured, r.mismatches, r.match) for r in v.rows)
    total = _cells("TOTAL", "", v.calculated, v.measured, v.totals_mismatches, not v.totals_mismatches,
                   shapes=False)
    if _against(v):
        return _against_document(v, rows, total)
    blocks: list[Block] = [Table(COLUMNS, rows, footer=(total,))]
    blocks += prose(memory_lines(v))
    blocks.append(Paragraph(verdict_text(v), "good" if v.ok else "bad", strong=True))
    return Document(f"{v.model}: cnncalc vs PyTorch {v.torch_version} ({v.device}, batch {v.batch}, "
                    f"input {show_shape(v.input)}, seed {v.seed})", tuple(blocks))


AGAINST_COLUMNS = (*COLUMNS[:-1], Column("torch module", "name", priority=3), COLUMNS[-1])


def _against_document(v: Verification, rows: tuple[tuple[Cell, ...], ...], total: tuple[Cell, ...]) -> Document:
    """The spec's conv/linear rows beside the real model's modules, in forward order; the totals below."""
    modules = [getattr(r, "module", "") for r in v.rows]
    rows = tuple((*cells[:-1], Cell(m) if m else MISSING, cells[-1]) for cells, m in zip(rows, modules))
    total = (*total[:-1], Cell(""), total[-1])
    blocks: list[Block] = [Table(AGAINST_COLUMNS, rows, footer=(total,)),
                           Paragraph(verdict_text(v), "good" if v.ok else "bad", strong=True)]
    return Document(f"{v.model} vs {_against(v)} (PyTorch {v.torch_version}, {v.device}, input "
                    f"{show_shape(v.input)})", tuple(blocks))


def data(v: Verification) -> dict[str, Any]:
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
        "verdict": verdict_text(v),
        "ok": v.ok,
        **({"against": _against(v)} if _against(v) else {}),
    }


def json_text(v: Verification) -> str:
    return dumps_by_line(data(v))


def _row_dict(r: Row) -> dict[str, Any]:
    out = {"name": r.name, "type": r.kind, "calculated": _counts_dict(r.calculated),
           "measured": _counts_dict(r.measured) if r.measured else None, "match": r.match,
           "mismatches": list(r.mismatches)}
    if hasattr(r, "module"):  # --against: the real model's module paired with the row
        out["module"] = r.module or None
    return out


def _counts_dict(c: Counts, *, shape: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"output": list(c.output)} if shape else {}
    return {**out, "params": c.params, "buffers": c.buffers, "macs": c.macs}


def _memory_dict(m: MemoryMeasurement) -> dict[str, Any]:
    return {
        "dtype": "fp32",
        "inference": {"measured_peak_bytes": m.inference_peak, "calculated_bytes": m.inference_estimate,
                      "ratio": m.inference_ratio},
        "training": {"measured_peak_bytes": m.training_peak, "calculated_bytes": m.training_estimate,
                     "ratio": m.training_ratio, "note": m.training_note},
        "baseline_bytes": m.baseline,
    }
