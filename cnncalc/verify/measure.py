"""Run the built network and record what torch itself reports: output shapes (forward hooks), parameter and
buffer elements (module.parameters() / module.buffers()), FLOPs (torch.utils.flop_counter.FlopCounterMode) and,
on CUDA, peak memory (torch.cuda.max_memory_allocated). On the meta device the pass runs under MetaKernelCache,
which answers a meta kernel's repeated questions once (cnncalc/verify/metacache.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnncalc.layers.base import Shape
from cnncalc.memory import memory as memory_model
from cnncalc.results import Report
from cnncalc.verify.compare import LayerMeasurement, Measurement, MemoryMeasurement
from cnncalc.verify.errors import DeviceUnavailable, TorchRefused
from cnncalc.verify.metacache import MetaKernelCache

DEVICES = ("auto", "cuda", "cpu", "meta")

CPU_NOTE = ("not measured on the CPU: PyTorch keeps peak-allocation statistics only for CUDA "
            "(run with --device cuda on a machine with a GPU)")
META_NOTE = "not measured on the meta device, which allocates no tensors (shapes, params and MACs only)"


def resolve_device(choice: str) -> torch.device:
    """auto: CUDA when a GPU is present, else the CPU; asking for CUDA without one is an error, not a fallback."""
    if choice not in DEVICES:
        raise DeviceUnavailable(f"unknown device {choice!r}; choose one of {', '.join(DEVICES)}")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("--device cuda: no CUDA device is available to this PyTorch "
                                f"({torch.__version__}); use --device cpu or meta")
    return torch.device(choice)


def measure(net: nn.Module, report: Report, *, device: torch.device, seed: int) -> Measurement:
    """Materialise `net` on `device` (fresh default initialisation, seeded), run one batch in eval mode under
    no_grad with hooks and FlopCounterMode, and on CUDA measure an inference pass and a training step."""
    batch = report.batch
    names = [r.name for r in report.layers]
    torch.manual_seed(seed)
    if device.type != "meta":
        net.to_empty(device=device)
        for module in net.modules():
            reset = getattr(module, "reset_parameters", None)
            if callable(reset):
                reset()  # nn.Conv2d, nn.Linear, nn.BatchNorm*d (running stats too), LocallyConnected2d...
        x = torch.randn((batch, *report.input), device=device)
    else:
        x = torch.empty((batch, *report.input), device=device)
    net.eval()

    shapes: dict[str, Shape] = {}
    found: dict[str, nn.Module] = {}  # each row's module, looked up once (a dotted path walks the tree)
    handles = []
    for name in names:
        hooked = _find(net, name)
        if hooked is not None:
            found[name] = hooked
            handles.append(hooked.register_forward_hook(partial(_record, shapes, name)))
    # on meta, repeated shape questions are answered once (metacache.py); entered first, so that FlopCounterMode,
    # on top of the mode stack, still sees and counts every op
    kernels = MetaKernelCache() if device.type == "meta" else nullcontext()
    try:
        with torch.no_grad(), kernels, FlopCounterMode(display=False) as counter:
            net(x)
    except (RuntimeError, ValueError, IndexError) as exc:
        raise TorchRefused("the forward pass", str(exc).strip().splitlines()[0]) from None
    finally:
        for handle in handles:
            handle.remove()
    flops = counter.get_flop_counts()
    root = type(net).__name__  # FlopCounterMode keys modules as <root class>.<dotted path>

    layers = {}
    for name, hooked in found.items():
        if name not in shapes:
            continue  # compare() reports the missing row as a mismatch
        # parameters() recurses on purpose: a row's module may be a small chain (pad + conv, flatten + linear)
        layers[name] = LayerMeasurement(
            output=shapes[name], params=_numel(hooked.parameters()), buffers=_numel(hooked.buffers()),
            flops=sum(flops.get(f"{root}.{name}", {}).values()), batch=batch)

    memory, note = None, META_NOTE if device.type == "meta" else CPU_NOTE
    if device.type == "cuda":
        memory, note = cuda_memory(net, x, report), ""
    return Measurement(layers=layers, params=_numel(net.parameters()), buffers=_numel(net.buffers()),
                       flops=counter.get_total_flops(), batch=batch, device=str(device),
                       torch_version=torch.__version__, memory=memory, memory_note=note)


def _find(net: nn.Module, name: str) -> nn.Module | None:
    try:
        return net.get_submodule(name)
    except AttributeError:
        return None


def _record(shapes: dict[str, Shape], name: str, module: nn.Module, args: Any, output: Any) -> None:
    shapes[name] = tuple(int(d) for d in output.shape[1:])  # per sample: drop the batch dimension


def _numel(tensors: Iterable[torch.Tensor]) -> int:
    return sum(t.numel() for t in tensors)


def cuda_memory(net: nn.Module, x: torch.Tensor, report: Report) -> MemoryMeasurement:
    """Peak allocated bytes of one inference pass and of one training step (forward, backward, SGD step).

    Both peaks include what was already allocated (parameters, buffers, the input), as the estimates do:
    `cnncalc memory`'s model, parameters + the inference peak of live activations, and parameters + gradients +
    the activations autograd saves for the training step.
    """
    device = x.device
    torch.cuda.synchronize(device)
    torch.cuda.empty_cache()
    baseline = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    with torch.no_grad():
        net(x)  # an in-place first layer may change x's values, never its shape or what is allocated
    torch.cuda.synchronize(device)
    inference_peak = torch.cuda.max_memory_allocated(device)
    training_peak, training_note = _training_peak(net, x)
    estimate = memory_model(report, "sgd")  # what `cnncalc memory` says for this batch, fp32, plain SGD
    return MemoryMeasurement(inference_peak=inference_peak, inference_estimate=estimate.inference_bytes,
                             training_peak=training_peak, training_estimate=estimate.training_bytes,
                             baseline=baseline, training_note=training_note)


def _training_peak(net: nn.Module, x: torch.Tensor) -> tuple[int | None, str]:
    """Forward in training mode, backward from the sum of the outputs, one plain SGD step (no optimizer state,
    as the calculator counts none)."""
    params = [p for p in net.parameters() if p.requires_grad]
    if not params:
        return None, "no parameters: there is no training step to measure"
    device = x.device
    optimizer = torch.optim.SGD(params, lr=1e-3)
    net.train()
    try:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        out = net(x)
        out.sum().backward()
        optimizer.step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device), ""
    except RuntimeError as exc:  # batch norm on one sample, an in-place op autograd needs...
        return None, "training step failed in torch: " + str(exc).strip().splitlines()[0]
    finally:
        optimizer.zero_grad(set_to_none=True)
        net.eval()
