"""Calculated against measured, row by row: frozen results with no torch in them (renderers and tests use them).

A row matches when the output shape, params, buffers and MACs all agree exactly. Torch's FlopCounterMode counts
a batch and 2 FLOPs per multiply-accumulate, so measured MACs are its count / (2 × batch); the comparison is
made on the exact integers (calculated MACs × 2 × batch == counted FLOPs), never on a rounded quotient.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.layers.base import Shape
from cnncalc.results import Report

FIELDS = ("output", "params", "buffers", "macs")


@dataclass(frozen=True)
class Counts:
    """What one layer is (or the whole network sums to): per-sample output shape, params, buffers, MACs."""

    output: Shape
    params: int
    buffers: int
    macs: int


@dataclass(frozen=True)
class LayerMeasurement:
    """What torch reports for one layer's module: per-sample output, parameter and buffer elements, and the
    FLOPs FlopCounterMode counted for the whole batch."""

    output: Shape
    params: int
    buffers: int
    flops: int
    batch: int

    @property
    def macs(self) -> int:
        return self.flops // (2 * self.batch)

    def counts(self) -> Counts:
        return Counts(self.output, self.params, self.buffers, self.macs)


@dataclass(frozen=True)
class MemoryMeasurement:
    """Peak CUDA memory (torch.cuda.max_memory_allocated) beside the calculator's estimate, in bytes.

    The estimates are `cnncalc memory`'s, for this batch at fp32: parameters + the peak of live activations for
    inference; parameters + gradients + the activations autograd saves (plain SGD: no state) for training.
    """

    inference_peak: int
    inference_estimate: int
    training_peak: int | None
    training_estimate: int
    baseline: int  # allocated before the pass: parameters, buffers and the input batch
    training_note: str = ""

    @property
    def inference_ratio(self) -> float:
        return self.inference_peak / self.inference_estimate

    @property
    def training_ratio(self) -> float | None:
        return None if self.training_peak is None else self.training_peak / self.training_estimate


@dataclass(frozen=True)
class Measurement:
    """Everything one run of the torch model reports, keyed by the report's layer names."""

    layers: dict[str, LayerMeasurement]
    params: int  # over model.parameters(): catches a parameter that no layer's module owns
    buffers: int
    flops: int
    batch: int
    device: str
    torch_version: str
    memory: MemoryMeasurement | None
    memory_note: str


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    calculated: Counts
    measured: Counts | None  # None: torch ran no module by this name
    mismatches: tuple[str, ...]  # the FIELDS that disagree

    @property
    def match(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class Verification:
    model: str
    input: Shape
    device: str
    batch: int
    seed: int
    torch_version: str
    rows: tuple[Row, ...]
    calculated: Counts  # totals; output = the network's output
    measured: Counts
    totals_mismatches: tuple[str, ...]
    memory: MemoryMeasurement | None
    memory_note: str

    @property
    def failed(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if not r.match)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.totals_mismatches


def compare(report: Report, measured: Measurement, *, seed: int) -> Verification:
    """One row per LayerResult; a layer torch did not report is a mismatch in every field, not a skip."""
    rows = []
    batch = measured.batch
    for r in report.layers:
        calc = Counts(r.output, r.params, r.buffers, r.macs)
        m = measured.layers.get(r.name)
        if m is None:
            rows.append(Row(r.name, r.kind, calc, None, FIELDS))
            continue
        mismatches = tuple(f for f in FIELDS if not _agrees(f, calc, m))
        rows.append(Row(r.name, r.kind, calc, m.counts(), mismatches))
    t = report.totals
    out = report.layers[-1].output if report.layers else report.input
    last = rows[-1].measured if rows else Counts(report.input, 0, 0, 0)
    measured_out = last.output if last else ()
    calc_totals = Counts(out, t.params, t.buffers, t.macs)
    measured_totals = Counts(measured_out, measured.params, measured.buffers, measured.flops // (2 * batch))
    totals_mismatches = tuple(
        f for f, ok in (("params", t.params == measured.params), ("buffers", t.buffers == measured.buffers),
                        ("macs", 2 * batch * t.macs == measured.flops))
        if not ok)
    return Verification(model=report.model, input=report.input, device=measured.device, batch=batch, seed=seed,
                        torch_version=measured.torch_version, rows=tuple(rows), calculated=calc_totals,
                        measured=measured_totals, totals_mismatches=totals_mismatches, memory=measured.memory,
                        memory_note=measured.memory_note)


def _agrees(field: str, calc: Counts, m: LayerMeasurement) -> bool:
    if field == "macs":
        return 2 * m.batch * calc.macs == m.flops  # exact: no rounding of torch's count
    return bool(getattr(calc, field) == getattr(m, field))
