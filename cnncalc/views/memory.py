"""`cnncalc memory`: what autograd keeps for backward, layer by layer, and the training and inference totals."""

from __future__ import annotations

import json

from cnncalc.document import Cell, Column, Document, Fact, Facts, Table, cell
from cnncalc.grouping import Row
from cnncalc.memory import AMP_FP32, MemoryReport
from cnncalc.numbers import bar, nbytes, percent

_STATE = {"sgd": "none", "momentum": "1 value per parameter", "adam": "2 values per parameter"}


def totals(m: MemoryReport) -> list[tuple[str, int, str]]:
    master = " (fp32 under AMP)" if m.amp else ""
    return [
        ("parameters", m.params_bytes, "fp32 master weights (AMP)" if m.amp else m.dtype),
        ("gradients", m.gradients_bytes, f"one per parameter{master}"),
        (f"optimizer state ({m.optimizer})", m.optimizer_bytes, _STATE[m.optimizer] + (master if m.optimizer != "sgd"
                                                                                       else "")),
        ("activations kept for backward", m.saved_bytes,
         f"batch {m.batch}; each tensor counted once" + ("; in autocast's dtypes" if m.amp else "")),
        ("training step", m.training_bytes, "the four above"),
        ("inference peak activations", m.inference_peak_bytes, "live tensors only, freed after last use"),
        ("inference", m.inference_bytes, "parameters + the peak"),
    ]


def document(m: MemoryReport, groups: list[Row] | None = None) -> Document:
    """The layers that keep something (with their share), then the totals as a table of their own.

    groups: summarize's rows at a depth (cnncalc.grouping.rows): a block's row sums what its layers keep."""
    layers = Table((Column("layer", "name"), Column("type", "text", priority=2),
                    Column("kept for backward", "text", priority=1), Column("bytes", "integer", "right"),
                    Column("share", "bar", priority=3, wrap=False)),
                   tuple((Cell(name), Cell(kind), Cell(kept), cell(size),
                          Cell(f"{bar(size, m.saved_bytes, 6)} {percent(size, m.saved_bytes)}", size))
                         for name, kind, kept, size in _rows(m, groups) if size))
    summary = Table((Column("total", "name"), Column("bytes", "integer", "right"), Column("size", "text", wrap=False),
                     Column("what", "note", priority=1)),
                    tuple((Cell(label), cell(value), Cell(nbytes(value)), Cell(why))
                          for label, value, why in totals(m)))
    return Document(f"{m.model}: memory for one training step ({setting(m)}, batch {m.batch}, {m.optimizer})",
                    (layers, summary, device_facts(m)))


def _rows(m: MemoryReport, groups: list[Row] | None) -> list[tuple[str, str, str, int]]:
    """(name, type, what is kept, bytes) per layer, or per block row of `groups`."""
    if groups is None:
        return [(r.name, r.kind, ", ".join(r.kept), r.bytes) for r in m.rows]
    by_name = {r.name: r for r in m.rows}
    out = []
    for g in groups:
        kept = [by_name[layer.name] for layer in g.layers if by_name[layer.name].bytes]
        if g.module is None:
            out.append((g.name, g.kind, ", ".join(kept[0].kept) if kept else "", kept[0].bytes if kept else 0))
            continue
        tensors = sum(len(r.kept) for r in kept)
        kind = f"{g.kind} {g.description}".strip()
        out.append((g.name, kind, f"{tensors} tensors of {len(kept)} layers", sum(r.bytes for r in kept)))
    return out


def setting(m: MemoryReport) -> str:
    """'fp32', or 'fp16 AMP (cuda)': the dtype the activations are priced in."""
    return f"{m.dtype} AMP ({m.amp})" if m.amp else m.dtype


def device_facts(m: MemoryReport) -> Facts:
    """For which device the saved bytes are exact, and by how much each layer type differs on another."""
    items = [Fact("Kept for backward", f"exact for {m.device.upper()} autograd (torch.autograd.graph."
                                       "saved_tensors_hooks, train mode)" +
                  (" under torch.autocast('cpu')" if m.amp else ""))]
    if m.amp:
        fp32 = ", ".join(sorted(AMP_FP32[m.amp])) or "none of its layers but LRN's powers"
        items.append(Fact("Mixed precision", f"torch.autocast('{m.amp}', {m.dtype}): convolutions and linear layers "
                                             f"in {m.dtype}, each keeping a {m.dtype} copy of its weights; in fp32: "
                                             f"{fp32}; the rest in its input's dtype. Parameters, gradients and "
                                             "optimizer state fp32 (the master copy GradScaler steps)" +
                          ("; CUDA's op lists are PyTorch's autocast op reference, not measured here"
                           if m.amp == "cuda" else "")))
    items += [Fact(f"On {b.device.upper()}", f"{b.kind}: {b.bytes:+,} bytes ({b.why})") for b in m.bounds]
    return Facts(tuple(items))


def json_text(m: MemoryReport) -> str:
    return json.dumps({
        "model": m.model, "dtype": m.dtype, "amp": m.amp, "batch": m.batch, "optimizer": m.optimizer,
        "layers": [{"name": r.name, "type": r.kind, "kept": list(r.kept), "bytes": r.bytes} for r in m.rows],
        "saved_device": m.device,
        "bounds": [{"type": b.kind, "device": b.device, "bytes": b.bytes, "why": b.why} for b in m.bounds],
        "totals": {"params_bytes": m.params_bytes, "gradients_bytes": m.gradients_bytes,
                   "optimizer_bytes": m.optimizer_bytes, "saved_activation_bytes": m.saved_bytes,
                   "training_bytes": m.training_bytes, "inference_peak_activation_bytes": m.inference_peak_bytes,
                   "inference_bytes": m.inference_bytes},
    }, indent=2)
