"""Receptive fields (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural Networks",
Distill 2019), carried layer by layer on each axis.

For a layer with effective kernel k, stride s and padding p (before) on an axis:
size r ← r + (k − 1)·j, jump j ← j·s, start ← start − p·j; the first output unit sees input pixels
[start, start + r), centred at start + (r − 1)/2, and the effective padding is −start.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from cnncalc.layers.base import RFStep


class Axis(NamedTuple):  # a tuple, not a dataclass: one is made per layer and axis, 100,000s for big specs
    size: int = 1
    jump: int = 1
    start: int = 0

    def step(self, k: int, s: int, p: int) -> Axis:
        return Axis(self.size + (k - 1) * self.jump, self.jump * s, self.start - p * self.jump)

    @property
    def center(self) -> Fraction:
        half = Fraction(self.size - 1, 2) if isinstance(self.size, int) else (self.size - 1) / 2  # sympy: exact too
        return self.start + half


class ReceptiveField(NamedTuple):
    """Per axis (height, width): what the first output unit of a layer sees of the network input."""

    height: Axis = Axis()  # noqa: RUF009 - an immutable default
    width: Axis = Axis()  # noqa: RUF009

    def step(self, steps: tuple[RFStep, RFStep]) -> ReceptiveField:
        return ReceptiveField(self.height.step(*steps[0]), self.width.step(*steps[1]))

    @property
    def size(self) -> tuple[int, int]:
        return self.height.size, self.width.size

    @property
    def jump(self) -> tuple[int, int]:
        return self.height.jump, self.width.jump

    @property
    def padding(self) -> tuple[int, int]:
        return -self.height.start, -self.width.start

    @property
    def center(self) -> tuple[Fraction, Fraction]:
        return self.height.center, self.width.center


def merge(fields: list[ReceptiveField | None]) -> tuple[ReceptiveField | None, bool]:
    """Branches joined by concat or add: the largest field over all paths, and whether the paths are aligned
    (same jump and same centre, so that unit i of every branch looks at the same place)."""
    if any(f is None for f in fields):
        return None, True
    known = [f for f in fields if f is not None]
    aligned = all(f.jump == known[0].jump and f.center == known[0].center for f in known)
    largest = max(known, key=lambda f: f.size[0] * f.size[1])
    return largest, aligned
