"""The validated spec: what the YAML file says, with every value checked and every default made explicit."""

from __future__ import annotations

from dataclasses import dataclass

from cnncalc.layers.base import Layer, Shape


@dataclass(frozen=True)
class Spec:
    name: str
    input: Shape
    layers: tuple[Layer, ...]
    file: str | None = None
    description: str = ""
    variant: str = ""
    variants: tuple[str, ...] = ()
    paper: tuple[tuple[str, str], ...] = ()
    expect: tuple[tuple[str, str], ...] = ()  # expected totals (an answer key): summarize checks them
