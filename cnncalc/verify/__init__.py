"""`cnncalc verify`: build the spec as a torch.nn.Module, run it, and compare torch's numbers with ours.

torch is optional and imported only inside this package, and only when `verify` runs: importing
cnncalc.verify stays cheap, and a missing torch is a TorchMissing error with the install command (exit 1).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from cnncalc.analysis import analyze
from cnncalc.layers.base import Shape, show_shape
from cnncalc.limits import MAX_VERIFY_BYTES
from cnncalc.numbers import nbytes
from cnncalc.results import Report
from cnncalc.spec.model import Spec
from cnncalc.verify.compare import Counts, MemoryMeasurement, Row, Verification
from cnncalc.verify.errors import INSTALL_HINT, DeviceUnavailable, NotBuildable, TooLarge, TorchMissing, TorchRefused

__all__ = ["INSTALL_HINT", "Counts", "DeviceUnavailable", "MemoryMeasurement", "NotBuildable", "Row",
           "TooLarge", "TorchMissing", "TorchRefused", "Verification", "require_torch", "verify"]
INT64 = 2**63 - 1  # torch's sizes and element counts are int64


def require_torch() -> ModuleType:
    """Import torch now (not at cnncalc's start-up), or say how to install it."""
    try:
        import torch
    except (ImportError, OSError) as exc:  # not installed, or installed without its shared libraries
        raise TorchMissing(str(exc)) from None
    return torch


def verify(spec: Spec, *, input_shape: Shape | None = None, device: str = "auto", batch: int = 1,
           seed: int = 0, allow_large: bool = False) -> Verification:
    """Analyse `spec`, build it in torch, run a batch of `batch` random inputs on `device`
    (auto | cuda | cpu | meta) and compare every row: output shape, params, buffers, MACs."""
    require_torch()
    from cnncalc.verify import build, compare, measure

    with collector_paused():
        report = analyze(spec, input_shape=input_shape, batch=batch)
        target = measure.resolve_device(device)
        check_size(report, target, allow_large)
        net = build.build_network(spec.layers, report.input)
    with heap_frozen():
        measured = measure.measure(net, report, device=target, seed=seed)
    return compare.compare(report, measured, seed=seed)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the report and the network are built. Why: they are a few hundred
    thousand long-lived objects (rows, modules and their dicts) with no garbage cycles among them, and each full
    collection rescans all of them: 3.3 s of 27 on a 40,000-row network (benchmarks/bench_verify.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def heap_frozen() -> Iterator[None]:
    """Everything already allocated (the network above all) left out of the cycle collector's scans (gc.freeze)
    during the forward pass. Why: the pass does leave garbage cycles behind (torch's per-call bookkeeping; pausing
    the collector here grew the peak by 60 MB at 40,000 rows), so the collector runs, but it need not rescan the
    network each time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def check_size(report: Report, device: object, allow_large: bool) -> None:
    """Refuse before torch allocates: a size or an element count past int64 (torch cannot index it), and on a
    real device an estimate above MAX_VERIFY_BYTES (parameters + activations and their gradients) unless
    `allow_large` — a 100,000 x 100,000 input would otherwise ask for 120 GB."""
    for r in report.layers:
        for shape in (r.input, r.output):
            count = report.batch
            for d in shape:
                count *= d
            if count > INT64 or any(d > INT64 for d in shape):
                raise TooLarge(f"{r.name}: a tensor of {report.batch:,} x {show_shape(shape)} values is "
                               "past torch's int64 sizes; verify cannot build it (summarize computes it exactly)")
    estimate = report.totals.params_bytes + report.totals.forward_backward_bytes
    if str(device) != "meta" and estimate > MAX_VERIFY_BYTES and not allow_large:
        raise TooLarge(f"running this network on {device} needs about {nbytes(estimate)} (parameters, activations "
                       f"and their gradients), more than the {nbytes(MAX_VERIFY_BYTES)} verify allows by default; "
                       "use --device meta (shapes, params and MACs without allocating) or --allow-large")
