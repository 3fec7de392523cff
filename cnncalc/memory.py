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
(MemoryReport.bounds). With `amp`, automatic mixed precision: each tensor in the dtype torch.autocast gives
it, fp32 parameters, gradients and optimizer state (AMP_* below; docs/conventions.md, "Mixed precision").
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
    amp: str | None = None  # the device whose torch.autocast the dtypes follow; None: every tensor in `dtype`

    @property
    def training_bytes(self) -> int:
        return self.params_bytes + self.gradients_bytes + self.optimizer_bytes + self.saved_bytes

    @property
    def inference_bytes(self) -> int:
        return self.params_bytes + self.inference_peak_bytes


AMP_DEVICES = ("cuda", "cpu")
# torch.autocast's op lists (PyTorch's "Autocast Op Reference"; aten/src/ATen/autocast_mode.h), for the layer
# types the spec language has: these run in the 16-bit dtype, casting their input and weight to it (a copy that
# the layer keeps for backward unless its input already is 16-bit) ...
AMP_LOWER = frozenset({"conv", "deconv", "fc", "local", "prelu"})
# ... and these in fp32, casting a 16-bit input up: CUDA's list has layer_norm, group_norm, softmax and softplus;
# the CPU's (as run by torch 2.13, tests/test_memory_autograd.py) has none of them. Every other layer runs in its
# input's dtype (fp32 when inputs of both kinds meet: a sum, a concatenation, a product).
AMP_FP32 = {"cuda": frozenset({"layernorm", "groupnorm", "softmax", "softplus"}), "cpu": frozenset()}
# These give an fp32 result from a 16-bit input that they keep uncast: LRN's squares and sums go through pow (on
# fp32's list on both devices), and layer scale's x · γ with an fp32 γ is promoted to fp32.
AMP_WIDENS = frozenset({"lrn", "scale"})
AMP_FP32_STATS = frozenset({"batchnorm", "layernorm", "groupnorm"})  # statistics in the weights' dtype, fp32
# A matrix product keeps the 16-bit weights only for its input's gradient; a convolution keeps them always.
AMP_WEIGHTS_FOR_INPUT = frozenset({"fc", "local"})


def memory(report: Report, optimizer: str = "sgd", amp: str | None = None) -> MemoryReport:
    """What one training step keeps; with `amp` (a device), PyTorch's automatic mixed precision at the report's
    16-bit dtype: torch.autocast(amp, report.dtype) over fp32 parameters, fp32 gradients and fp32 optimizer state
    (GradScaler's scale is one value), so each tensor has the dtype autocast gives it, and each layer in
    AMP_LOWER keeps a 16-bit copy of its weights."""
    if optimizer not in OPTIMIZER_STATE:
        raise SpecError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZER_STATE)}",
                        field="--optimizer")
    nbytes = DTYPE_BYTES[report.dtype]
    if amp is not None:
        if amp not in AMP_DEVICES:
            raise SpecError(f"--amp: unknown device {amp!r}; choose cuda or cpu", field="--amp")
        if report.dtype not in ("fp16", "bf16"):
            raise SpecError(f"--amp runs layers in a 16-bit dtype: give --dtype fp16 or bf16, not {report.dtype}",
                            field="--dtype")
    batch = report.batch
    saved: set[int] = set()
    graded: set[int] = set()  # tensors that require grad: those computed from a parameter
    storage = {0: numel(report.input)}  # tensor id → the elements of its memory (a view, a chunk or a crop,
    # has its input's id: autograd keeping the view keeps the whole storage)
    itemsize = {0: 4 if amp else nbytes}  # tensor id → its bytes per element (the image stays fp32 under autocast)
    other: dict[tuple[str, str, int], int] = {}  # (layer type, tensor, CUDA's item size) → CUDA's bytes − the CPU's
    rows = []
    for r in report.layers:
        kept: list[str] = []
        total = 0
        storage.setdefault(r.tensor_out, numel(r.output))
        inputs = [itemsize.get(t, nbytes) for t in r.tensor_in]
        rule = _amp_rule(r, amp) if amp else "same"
        compute = {"lower": nbytes, "fp32": 4, "widens": 4}.get(rule, max(inputs, default=nbytes))
        cast = rule in ("lower", "fp32") and bool(inputs) and inputs[0] != compute  # autocast casts the input
        # a locally connected layer's bias is added in fp32 after its 16-bit einsum
        itemsize.setdefault(r.tensor_out, 4 if rule == "lower" and r.kind == "local" and r.biases else compute)
        input_graded = any(t in graded for t in r.tensor_in)
        if input_graded or r.weights or r.biases:
            graded.add(r.tensor_out)
            if rule == "lower" and r.weights and (input_graded or r.kind not in AMP_WEIGHTS_FOR_INPUT):
                kept.append(f"{report.dtype} copy of the weights")
                total += r.weights * nbytes
            for s in r.saves:  # autograd records a node, and what it keeps, only for a tensor that needs a gradient
                if s.tensor:
                    tensor = _saved_tensor(r, s.tensor, graded)
                    if tensor is None:
                        continue
                    shape = show_shape(r.output if s.tensor == "output" else r.input)
                    if s.tensor == "input" and cast:  # the cast copy is this layer's own tensor
                        kept.append(f"{s.what} {shape} cast to {_DTYPE_NAME[compute]}")
                        total += numel(r.input) * compute * batch
                        continue
                    if tensor in saved:
                        continue
                    saved.add(tensor)
                    kept.append(f"{s.what} {shape}" if s.tensor in ("input", "output") else s.what)
                    total += storage.get(tensor, numel(r.input)) * itemsize.get(tensor, nbytes) * batch
                    continue
                count = (s.cast_numel if cast and s.cast_numel else s.numel) * (batch if s.per_sample else 1)
                size = s.itemsize or (_amp_part(r.kind, rule, compute, inputs) if amp else nbytes)
                cuda = s.cuda_itemsize if s.cuda_itemsize is None or not s.cuda_at_least else max(size, s.cuda_itemsize)
                kept.append(s.what if cuda in (None, size) else
                            f"{s.what} ({report.dtype if size == nbytes else _DTYPE_NAME[size]} on the CPU)")
                total += count * size
                if cuda is not None and cuda != size:
                    key = (r.kind, s.what, cuda)
                    other[key] = other.get(key, 0) + count * (cuda - size)
        rows.append(SavedRow(r.name, r.kind, tuple(kept), total))
    bounds = tuple(Bound(kind, "cuda", delta, f"CUDA keeps {kind}'s {what} as {item}-byte elements where the CPU "
                                              f"keeps {'fp32' if amp and kind in AMP_FP32_STATS else report.dtype}")
                   for (kind, what, item), delta in other.items())
    params = report.totals.params * (4 if amp else nbytes)
    return MemoryReport(model=report.model, dtype=report.dtype, batch=batch, optimizer=optimizer, rows=tuple(rows),
                        params_bytes=params, gradients_bytes=params,
                        optimizer_bytes=OPTIMIZER_STATE[optimizer] * params,
                        saved_bytes=sum(row.bytes for row in rows),
                        inference_peak_bytes=inference_peak(report, itemsize if amp else None, nbytes) * batch,
                        bounds=bounds, amp=amp)


_DTYPE_NAME = {8: "fp64", 4: "fp32", 2: "16-bit", 1: "int8"}


def _amp_rule(r: LayerResult, device: str) -> str:
    """How torch.autocast(device) runs a layer: "lower" (in the 16-bit dtype, input and weights cast), "fp32"
    (input cast up), "widens" (an fp32 result from an uncast input) or "same" (in its inputs' dtype)."""
    if r.kind == "local" and r.weights == numel(r.output):
        return "widens"  # one value per window: the einsum is a product, not a matmul, and autocast skips it
    if r.kind in AMP_LOWER:
        return "lower"
    if r.kind in AMP_FP32[device]:
        return "fp32"
    return "widens" if r.kind in AMP_WIDENS else "same"


def _amp_part(kind: str, rule: str, compute: int, inputs: list[int]) -> int:
    """The element size of a tensor a layer keeps of its own (statistics, intermediates) under autocast."""
    if kind in AMP_FP32_STATS or kind == "lrn":
        return 4
    return max(inputs, default=compute) if rule == "widens" else compute


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


def inference_peak(report: Report, itemsize: dict[int, int] | None = None, nbytes: int = 1) -> int:
    """Bytes per sample (values, with the defaults) alive at the worst moment of a forward pass: each new tensor is allocated while the tensors it is
    computed from are still alive, and a tensor is freed after the last row that reads or overwrites it.
    A row that writes no new tensor at inference (dropout, which has a tensor id of its own for training) is
    its input. itemsize: bytes per element of each tensor id (under autocast), else `nbytes` for all; the
    transient 16-bit copies autocast makes of an fp32 input are not in it."""
    def size(t: int, shape: tuple[int, ...]) -> int:
        return numel(shape) * (itemsize.get(t, nbytes) if itemsize else nbytes)

    sizes = {0: size(0, report.input)}
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
            sizes[out] = size(out, r.output)
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
