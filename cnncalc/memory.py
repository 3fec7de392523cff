"""Training and inference memory from a report: what autograd keeps, what an optimizer holds, and the peak of
an inference pass in which each tensor is freed after its last use.

Saved tensors follow PyTorch's derivative formulas (each layer's Facts.saves): a convolution or a linear layer
keeps its input, a ReLU its result, a max pool its input and its int64 indices, batch norm its input and two
fp32 statistics per channel, dropout a one-byte mask. A tensor kept by several layers (a ReLU's result is also
the next convolution's input) is counted once: rows carry tensor ids, and in-place layers pass the id on.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.errors import SpecError
from cnncalc.layers import numel, show_shape
from cnncalc.results import DTYPE_BYTES, Report

OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}  # values kept per parameter (momentum; Adam's two moments)
INDEX_BYTES = 8  # max pooling's indices are int64
MASK_BYTES = 1  # dropout's mask is bool
STAT_BYTES = 4  # batch norm's save_mean and save_invstd stay fp32


@dataclass(frozen=True)
class SavedRow:
    name: str
    kind: str
    kept: tuple[str, ...]  # what this row adds to the saved set, e.g. ("input 224x224x64", "indices")
    bytes: int


@dataclass(frozen=True)
class MemoryReport:
    model: str
    dtype: str
    batch: int
    optimizer: str
    rows: tuple[SavedRow, ...]
    params_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    saved_bytes: int  # activations kept for the backward pass
    inference_peak_bytes: int  # the largest set of live activation tensors during one forward pass

    @property
    def training_bytes(self) -> int:
        return self.params_bytes + self.gradients_bytes + self.optimizer_bytes + self.saved_bytes

    @property
    def inference_bytes(self) -> int:
        return self.params_bytes + self.inference_peak_bytes


def memory(report: Report, optimizer: str = "sgd") -> MemoryReport:
    if optimizer not in OPTIMIZER_STATE:
        raise SpecError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZER_STATE)}",
                        field="--optimizer")
    nbytes = DTYPE_BYTES[report.dtype]
    batch = report.batch
    saved: set[int] = set()
    rows = []
    for r in report.layers:
        kept: list[str] = []
        total = 0
        for token in r.saves:
            if token in ("input", "output"):
                tensor, shape = (r.tensor_in[0], r.input) if token == "input" else (r.tensor_out, r.output)
                if tensor in saved:
                    continue
                saved.add(tensor)
                kept.append(f"{token} {show_shape(shape)}")
                total += numel(shape) * nbytes * batch
            elif token == "indices":
                kept.append("int64 indices")
                total += numel(r.output) * INDEX_BYTES * batch
            elif token == "mask":
                kept.append("bool mask")
                total += numel(r.output) * MASK_BYTES * batch
            elif token == "stats":
                kept.append("mean and 1/std")
                total += 2 * r.output[0] * STAT_BYTES
        rows.append(SavedRow(r.name, r.kind, tuple(kept), total))
    params = report.totals.params * nbytes
    return MemoryReport(model=report.model, dtype=report.dtype, batch=batch, optimizer=optimizer, rows=tuple(rows),
                        params_bytes=params, gradients_bytes=params,
                        optimizer_bytes=OPTIMIZER_STATE[optimizer] * params,
                        saved_bytes=sum(row.bytes for row in rows),
                        inference_peak_bytes=inference_peak(report) * nbytes * batch)


def inference_peak(report: Report) -> int:
    """Values alive at the worst moment of a forward pass: each new tensor is allocated while the tensors it is
    computed from are still alive, and a tensor is freed after the last row that reads or overwrites it."""
    sizes = {0: numel(report.input)}
    last_use: dict[int, int] = {0: -1}
    for i, r in enumerate(report.layers):
        for t in (*r.tensor_in, r.tensor_out):
            last_use[t] = i
        if r.tensor_out not in sizes:
            sizes[r.tensor_out] = numel(r.output)
    final = report.layers[-1].tensor_out if report.layers else 0
    live = {0}
    current = peak = sizes[0]
    frees: dict[int, list[int]] = {}
    for t, i in last_use.items():
        if t != final:
            frees.setdefault(i, []).append(t)
    for i, r in enumerate(report.layers):
        if r.tensor_out not in live:
            live.add(r.tensor_out)
            current += sizes[r.tensor_out]
            peak = max(peak, current)
        for t in frees.get(i, ()):
            if t in live:
                live.discard(t)
                current -= sizes[t]
    return peak
