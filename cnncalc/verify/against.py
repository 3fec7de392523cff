"""`cnncalc verify SPEC --against torchvision:NAME | torch:MODULE:FACTORY`: the spec against the REAL model.

Where plain `verify` builds the spec in torch and checks cnncalc's arithmetic, `--against` checks the spec itself:
is it the network that the model's own code builds? The real model is built on the meta device (no weights are
allocated, nothing is computed) and run once on a batch of one at the spec's input under forward hooks and
`torch.utils.flop_counter.FlopCounterMode` (which works on meta tensors: it counts from shapes). Compared:

- every convolution and fully connected layer, in forward order: the spec's rows with MACs (conv, deconv,
  local, fc) paired one to one with the model's nn.Conv*d / nn.ConvTranspose*d / nn.Linear calls, on output
  shape (a channels-last Linear, as ConvNeXt's, gives [H, W, C], compared as C×H×W), params and MACs (2 × MACs
  == the FLOPs FlopCounterMode counts in that module). A row that has no partner on the other side is a
  mismatch.
- the totals: params and buffers over model.parameters() / model.buffers(), and MACs over the whole forward.

A `torch:` ref runs the module's Python code (see cnncalc/importers/torch_graph.py); `torchvision:NAME` is
`torchvision.models.get_model(NAME, weights=None)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from cnncalc.analysis import analyze
from cnncalc.errors import CnnCalcError, clipped, shown
from cnncalc.layers.base import Shape
from cnncalc.spec.model import Spec
from cnncalc.verify.compare import Counts, Row, Verification

TORCHVISION = "torchvision:"
TORCHVISION_HINT = "pip install torchvision"
WEIGHT_TYPES = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Linear")
NOTE = "not measured: --against runs the real model on the meta device, which allocates nothing"


class AgainstError(CnnCalcError, ValueError):
    """The model to compare with cannot be had: torchvision missing, an unknown name, a bad torch: ref (exit 1)."""


@dataclass(frozen=True)
class AgainstRow(Row):
    module: str = ""  # the real model's module (its dotted path) paired with this row; "" when none


@dataclass(frozen=True)
class AgainstVerification(Verification):
    against: str = ""  # the ref compared with: 'torchvision:resnet50', 'torch:./mynet.py:Net'


def load_reference(ref: str) -> Any:
    """The real model a ref names, on the meta device, in eval mode."""
    if ref.startswith(TORCHVISION):
        import torch

        name = ref[len(TORCHVISION):]
        try:
            import torchvision.models
        except (ImportError, OSError) as exc:
            raise AgainstError(f"--against {clipped(ref)} needs torchvision, which cannot be imported ({exc}); install it "
                               f"with {TORCHVISION_HINT}, or give the model as torch:MODULE:FACTORY") from None
        try:
            with torch.device("meta"):
                model = torchvision.models.get_model(name, weights=None)
        except (ValueError, KeyError) as exc:
            raise AgainstError(f"--against {clipped(ref)}: torchvision has no model {shown(name)} ({exc})") from None
        return model.eval()
    if ref.startswith("torch:"):
        from cnncalc.importers.torch_graph import TorchImportError, load_model

        try:
            return load_model(ref)
        except TorchImportError as exc:
            raise AgainstError(f"--against {exc}") from None
    raise AgainstError(f"--against {clipped(ref)}: expected torchvision:NAME or torch:MODULE:FACTORY")


@dataclass(frozen=True)
class _Call:
    module: str
    output: Shape
    params: int
    flops: int


def measure_reference(model: Any, input_shape: Shape) -> tuple[list[_Call], Counts, int, str]:
    """One meta forward at batch 1: each conv / linear call in order, the totals, the total FLOPs, torch's version."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    calls: list[tuple[str, Any, Shape]] = []
    handles = []
    names = {id(m): n for n, m in model.named_modules()}
    for module in model.modules():
        if type(module).__name__ in WEIGHT_TYPES and type(module).__module__.startswith("torch.nn"):
            handles.append(module.register_forward_hook(partial(_record, calls, names[id(module)])))
    x = torch.empty((1, *input_shape), device="meta")
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            out = model(x)
    except Exception as exc:  # noqa: BLE001 - the model's own code at the spec's input
        first = str(exc).strip().splitlines()
        raise AgainstError(f"the real model refuses the spec's input {'x'.join(map(str, input_shape))}: "
                           f"{type(exc).__name__}: {first[0] if first else ''}") from None
    finally:
        for handle in handles:
            handle.remove()
    flops = counter.get_flop_counts()
    root = type(model).__name__
    found = [_Call(name, shape, sum(p.numel() for p in module.parameters()),
                   sum(flops.get(f"{root}.{name}", {}).values())) for name, module, shape in calls]
    while isinstance(out, (tuple, list)) and out:
        out = out[0]
    out_shape = tuple(int(d) for d in out.shape[1:]) if hasattr(out, "shape") else ()
    total = counter.get_total_flops()
    totals = Counts(out_shape, sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()),
                    total // 2)
    return found, totals, total, torch.__version__


def _record(calls: list, name: str, module: Any, args: Any, output: Any) -> None:
    shape = tuple(int(d) for d in output.shape[1:])
    if type(module).__name__ == "Linear" and len(shape) > 1:
        shape = (shape[-1], *shape[:-1])  # channels-last [H, W, C] → the spec's C×H×W
    calls.append((name, module, shape))


def verify_against(spec: Spec, ref: str, *, input_shape: Shape | None = None) -> AgainstVerification:
    """Compare `spec` (at `input_shape`, else its own input) with the real model `ref`."""
    from cnncalc.verify import require_torch

    require_torch()
    report = analyze(spec, input_shape=input_shape)
    model = load_reference(ref)
    calls, measured, total_flops, version = measure_reference(model, report.input)
    weighted = [r for r in report.layers if r.macs > 0]
    rows: list[Row] = []
    for k in range(max(len(weighted), len(calls))):
        r = weighted[k] if k < len(weighted) else None
        c = calls[k] if k < len(calls) else None
        calc = Counts(r.output, r.params, r.buffers, r.macs) if r else Counts((), 0, 0, 0)
        theirs = Counts(c.output, c.params, 0, c.flops // 2) if c else None
        if r is None or c is None:
            mismatches: tuple[str, ...] = ("output", "params", "macs")
        else:
            mismatches = tuple(f for f, ok in (("output", r.output == c.output), ("params", r.params == c.params),
                                               ("macs", 2 * r.macs == c.flops)) if not ok)
        rows.append(AgainstRow(r.name if r else f"({c.module})", r.kind if r else "—", calc, theirs, mismatches,
                               module=c.module if c else ""))
    t = report.totals
    out = report.layers[-1].output if report.layers else report.input
    totals_mismatches = tuple(f for f, ok in (("params", t.params == measured.params),
                                              ("buffers", t.buffers == measured.buffers),
                                              ("macs", 2 * t.macs == total_flops)) if not ok)
    return AgainstVerification(model=report.model, input=report.input, device="meta", batch=1, seed=0,
                               torch_version=version, rows=tuple(rows), calculated=Counts(out, t.params, t.buffers,
                                                                                          t.macs),
                               measured=measured, totals_mismatches=totals_mismatches, memory=None, memory_note=NOTE,
                               against=ref)
