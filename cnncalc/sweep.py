"""Input-size (and batch) sweeps: how params, MACs and memory grow, which sizes tile every layer exactly, and
where the network stops being valid."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cnncalc.analysis import analyze
from cnncalc.errors import SpecError, shown
from cnncalc.limits import MAX_ROWS
from cnncalc.memory import memory
from cnncalc.spec.model import Spec
from cnncalc.spec.row_count import rows

MAX_POINTS = 2_000  # each point is a full analysis; a sweep is meant to be read, not to run for minutes
_RANGE = re.compile(r"\s*(\d{1,4000})\s*(?::\s*(\d{1,4000})\s*(?::\s*(\d{1,4000})\s*)?)?")  # int(): 4,300 digits


def parse_range(text: str, field: str) -> list[int]:
    """'32:512:32' (start:stop:step, stop included), '224', or a list '224,227'."""
    values: list[int] = []
    for part in text.split(","):
        m = _RANGE.fullmatch(part)
        if not m:
            raise SpecError(f"cannot read {shown(part.strip())}: write N, START:STOP or START:STOP:STEP", field=field)
        start = int(m[1])
        stop = int(m[2]) if m[2] else start
        step = int(m[3]) if m[3] else 1
        if start < 1 or step < 1 or stop < start:
            raise SpecError(f"{shown(part.strip())}: sizes and steps must be positive and STOP ≥ START", field=field)
        if (stop - start) // step + 1 + len(values) > MAX_POINTS:
            raise SpecError(f"more than {MAX_POINTS:,} values; use a larger step", field=field)
        values.extend(range(start, stop + 1, step))
    return values


@dataclass(frozen=True)
class SweepPoint:
    size: int
    batch: int
    error: str | None  # why the network is not valid at this size
    params: int = 0
    macs: int = 0
    activation_bytes: int = 0  # forward activations, the input included
    training_bytes: int = 0  # parameters, gradients, optimizer state and saved activations
    untiled: tuple[str, ...] = ()  # layers that do not tile the input exactly

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def tiles(self) -> bool:
        return self.valid and not self.untiled


def sweep(spec: Spec, sizes: list[int], batches: list[int], *, dtype: str = "fp32",
          optimizer: str = "sgd") -> list[SweepPoint]:
    if len(sizes) * len(batches) > MAX_POINTS:
        raise SpecError(f"{len(sizes)} sizes x {len(batches)} batches is more than {MAX_POINTS:,} points",
                        field="--input")
    count, per_point = len(sizes) * len(batches), sum(rows(layer) for layer in spec.layers)
    if count * per_point > MAX_ROWS:  # each point analyses every row: bound the product (docs/robustness.md)
        raise SpecError(f"{count:,} points of {per_point:,} rows each is more than {MAX_ROWS:,} rows to analyse; "
                        "use a larger step", field="--input")
    if len(spec.input) != 3:  # an input of 784 is a vector: there is no image size to sweep
        raise SpecError(f"the input of this spec is a vector of {spec.input[0]:,} values, not an image: sweep "
                        "varies the height and width of an HxWxC input", field="--input")
    points = []
    channels = spec.input[0]
    for batch in batches:
        for size in sizes:
            try:
                report = analyze(spec, input_shape=(channels, size, size), dtype=dtype, batch=batch, suggest=False)
            except SpecError as exc:
                points.append(SweepPoint(size, batch, error=f"{exc.field}: {exc.message}" if exc.field else exc.message))
                continue
            points.append(SweepPoint(
                size, batch, None, params=report.totals.params, macs=report.totals.macs,
                activation_bytes=report.totals.forward_bytes, training_bytes=memory(report, optimizer).training_bytes,
                untiled=tuple(dict.fromkeys(w.layer for w in report.warnings))))
    return points
