"""Training and inference memory from a report: what autograd keeps, what an optimizer holds, and the peak of
an inference pass in which each tensor is freed after its last use.

Saved tensors are what autograd keeps on the CPU (torch.autograd.graph.saved_tensors_hooks, train mode), each
layer type's own list in its class (Facts.saves, a tuple of layers.base.Saved; the table is in
docs/conventions.md): a convolution or a linear layer keeps its input, a ReLU its result, a max pool its input
and its int64 indices, batch norm its input and two fp32 statistics per channel, dropout its mask, LRN four
tensors, a gate's product each factor for the other's gradient. A tensor kept by several layers (a ReLU's result
is also the next convolution's input) is counted once: rows carry tensor ids, and in-place layers and views pass
the id on; a kept view (a channel chunk of a split, a crop) keeps its whole storage, as autograd does. A layer with no parameters whose input needs no
gradient (everything before the first layer with weights) keeps nothing. Where another device keeps a
different amount (CUDA's one-byte dropout mask), the report states the exact difference per layer type
(MemoryReport.bounds).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.dtypes import DTYPE_BYTES
from cnncalc.errors import SpecError
from cnncalc.layers import numel, show_shape
from cnncalc.results import LayerResult, Report

OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}  # values kept per parameter (momentum; Adam's two moments)
SAVED_DEVICE = "cpu"  # the device whose autograd the saved figures are exact for


@dataclass(frozen=True)
class Bound:
    """How many bytes more (negative: fewer) another device keeps for one layer type, exactly."""

    kind: str
    device: str
    bytes: int
    why: str


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
    device: str = SAVED_DEVICE  # saved_bytes is exact for this device's autograd
    bounds: tuple[Bound, ...] = ()  # per layer type, the exact difference on another device

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
    graded: set[int] = set()  # tensors that require grad: those computed from a parameter
    storage = {0: numel(report.input)}  # tensor id → the elements of its memory (a view, a chunk or a crop,
    # has its input's id: autograd keeping the view keeps the whole storage)
    other: dict[tuple[str, str, int], int] = {}  # (layer type, tensor, CUDA's item size) → CUDA's bytes − the CPU's
    rows = []
    for r in report.layers:
        kept: list[str] = []
        total = 0
        storage.setdefault(r.tensor_out, numel(r.output))
        if any(t in graded for t in r.tensor_in) or r.weights or r.biases:
            graded.add(r.tensor_out)
            for s in r.saves:  # autograd records a node, and what it keeps, only for a tensor that needs a gradient
                if s.tensor:
                    tensor = _saved_tensor(r, s.tensor, graded)
                    if tensor is None or tensor in saved:
                        continue
                    saved.add(tensor)
                    kept.append(f"{s.what} {show_shape(r.output if s.tensor == 'output' else r.input)}"
                                if s.tensor in ("input", "output") else s.what)
                    total += storage.get(tensor, numel(r.input)) * nbytes * batch
                    continue
                count = s.numel * (batch if s.per_sample else 1)
                size = s.itemsize or nbytes
                cuda = s.cuda_itemsize if s.cuda_itemsize is None or not s.cuda_at_least else max(size, s.cuda_itemsize)
                kept.append(s.what if cuda in (None, size) else f"{s.what} ({report.dtype} on the CPU)")
                total += count * size
                if cuda is not None and cuda != size:
                    key = (r.kind, s.what, cuda)
                    other[key] = other.get(key, 0) + count * (cuda - size)
        rows.append(SavedRow(r.name, r.kind, tuple(kept), total))
    bounds = tuple(Bound(kind, "cuda", delta, f"CUDA keeps {kind}'s {what} as {item}-byte elements where the CPU "
                                              f"keeps {report.dtype}")
                   for (kind, what, item), delta in other.items())
    params = report.totals.params * nbytes
    return MemoryReport(model=report.model, dtype=report.dtype, batch=batch, optimizer=optimizer, rows=tuple(rows),
                        params_bytes=params, gradients_bytes=params,
                        optimizer_bytes=OPTIMIZER_STATE[optimizer] * params,
                        saved_bytes=sum(row.bytes for row in rows),
                        inference_peak_bytes=inference_peak(report) * nbytes * batch, bounds=bounds)


def _saved_tensor(r: LayerResult, which: str, graded: set[int]) -> int | None:
    """The id of the tensor a Saved names: the row's input or result; or operand i of a product (a gate's
    x · g), which torch's mul keeps only for the other operand's gradient (None when that needs none)."""
    if which == "input":
        return r.tensor_in[0]
    if which == "output":
        return r.tensor_out
    i = int(which.removeprefix("operand"))
    others = [t for j, t in enumerate(r.tensor_in) if j != i]
    return r.tensor_in[i] if any(t in graded for t in others) else None


def inference_peak(report: Report) -> int:
    """Values alive at the worst moment of a forward pass: each new tensor is allocated while the tensors it is
    computed from are still alive, and a tensor is freed after the last row that reads or overwrites it.
    A row that writes no new tensor at inference (dropout, which has a tensor id of its own for training) is
    its input."""
    sizes = {0: numel(report.input)}
    last_use: dict[int, int] = {0: -1}
    same: dict[int, int] = {}  # a training-only tensor id → the inference tensor it is
    outs: list[int] = []
    for i, r in enumerate(report.layers):
        ins = tuple(same.get(t, t) for t in r.tensor_in)
        out = same.get(r.tensor_out, r.tensor_out)
        if not r.new_tensor and ins and out != ins[0] and out not in sizes:
            out = same[r.tensor_out] = ins[0]
        outs.append(out)
        for t in (*ins, out):
            last_use[t] = i
        if out not in sizes:
            sizes[out] = numel(r.output)
    final = outs[-1] if outs else 0
    live = {0}
    current = peak = sizes[0]
    frees: dict[int, list[int]] = {}
    for t, i in last_use.items():
        if t != final:
            frees.setdefault(i, []).append(t)
    for i, out in enumerate(outs):
        if out not in live:
            live.add(out)
            current += sizes[out]
            peak = max(peak, current)
        for t in frees.get(i, ()):
            if t in live:
                live.discard(t)
                current -= sizes[t]
    return peak
