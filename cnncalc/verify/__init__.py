"""`cnncalc verify`: build the spec as a torch.nn.Module, run it, and compare torch's numbers with ours.

torch is optional and imported only inside this package, and only when `verify` runs: importing
cnncalc.verify stays cheap, and a missing torch is a TorchMissing error with the install command (exit 1).
"""

from __future__ import annotations

from types import ModuleType

from cnncalc.analysis import analyze
from cnncalc.layers.base import Shape
from cnncalc.spec.model import Spec
from cnncalc.verify.compare import Counts, MemoryMeasurement, Row, Verification
from cnncalc.verify.errors import INSTALL_HINT, DeviceUnavailable, NotBuildable, TorchMissing, TorchRefused

__all__ = ["INSTALL_HINT", "Counts", "DeviceUnavailable", "MemoryMeasurement", "NotBuildable", "Row",
           "TorchMissing", "TorchRefused", "Verification", "require_torch", "verify"]


def require_torch() -> ModuleType:
    """Import torch now (not at cnncalc's start-up), or say how to install it."""
    try:
        import torch
    except (ImportError, OSError) as exc:  # not installed, or installed without its shared libraries
        raise TorchMissing(str(exc)) from None
    return torch


def verify(spec: Spec, *, input_shape: Shape | None = None, device: str = "auto", batch: int = 1,
           seed: int = 0) -> Verification:
    """Analyse `spec`, build it in torch, run a batch of `batch` random inputs on `device`
    (auto | cuda | cpu | meta) and compare every row: output shape, params, buffers, MACs."""
    require_torch()
    from cnncalc.verify import build, compare, measure

    report = analyze(spec, input_shape=input_shape, batch=batch)
    target = measure.resolve_device(device)
    net = build.build_network(spec.layers, report.input)
    return compare.compare(report, measure.measure(net, report, device=target, seed=seed), seed=seed)
