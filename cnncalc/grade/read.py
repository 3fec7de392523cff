"""Answers as people write them: 55x55x96, [96, 55, 55], 34,944, 35K, 93MB, 24M * 4 bytes ≈ 93MB, 2.33, doesn't fit.

The first of grade's three jobs (reading; then judging, cnncalc.grade.judge; then answers files,
cnncalc.grade.files). A written figure keeps the precision it was written at (Count.step), so that a rounded
answer can be judged at its own precision. This module reads text only: it sits below the spec parser, which
checks a spec's `expect:` answers with parse_expect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cnncalc.errors import SpecError, shown
from cnncalc.figures import answer_text, parse_bytes, parse_figure, parse_shape, parse_yes_no
from cnncalc.spec.options import suggest, type_name
from cnncalc.spec.source import line_of

LAYER_QUANTITIES = ("output", "fits", "params", "weights", "biases", "memory", "macs", "flops")  # askable of a layer
TOTAL_QUANTITIES = ("params", "weights", "biases", "memory", "macs", "flops")  # askable of a block or the totals

CONVENTIONS = (  # how answers are read, printed with every grade
    ("K, M, G, T = 10^3, 10^6, 10^9, 10^12, as in the papers' tables; a rounded answer is right when the exact "
     "value rounds to it at the answer's own precision (34,944 → 35K ✓, 34K ✗; 138,357,544 → 138M ✓)"),
    ("memory: a count of values (3.2M), or bytes when the answer names its unit: KB, MB, GB = 10^3, 10^6, 10^9 "
     "bytes; KiB, MiB, GiB = 2^10, 2^20, 2^30 bytes; both are accepted, each read as its unit says"),
    "volumes: 55x55x96 is H×W×C, as the slides write it; a list is read as [C, H, W] (PyTorch) or [H, W, C]",
    ("a filter that does not tile its input, (N − F + 2P)/S + 1 not whole, doesn't fit: the answer is "
     "'doesn't fit' or the exact quotient (2.33), not PyTorch's floor"),
)


@dataclass(frozen=True)
class Count:
    """A number as written (34944, 34,944, 35K, 2.33): the exact values it stands for are value ± step/2."""

    value: Fraction
    step: Fraction
    text: str

    def agrees(self, exact: int | Fraction) -> bool:
        return abs(Fraction(exact) - self.value) <= self.step / 2

    @property
    def rounded(self) -> bool:
        return self.step > 1

    @property
    def whole(self) -> bool:
        return self.step >= 1


@dataclass(frozen=True)
class ByteSize:
    """Bytes as written (93MB, 58.1 MiB, 1,161,600 bytes)."""

    value: Fraction
    step: Fraction
    unit: str
    text: str

    def agrees(self, exact: int) -> bool:
        return abs(exact - self.value) <= self.step / 2


@dataclass(frozen=True)
class Volume:
    """A written volume: dims as written and the notation ('hwc', 'hw' or 'list')."""

    dims: tuple[int, ...]
    notation: str
    text: str


@dataclass(frozen=True)
class YesNo:
    value: bool
    text: str


@dataclass(frozen=True)
class MemoryProduct:
    """The slides' "24M * 4 bytes ≈ 93MB": values × bytes per value (≈ total)."""

    count: Count
    bytes_per_value: int
    total: ByteSize | None
    text: str


Answer = Count | ByteSize | Volume | YesNo | MemoryProduct

_SEPARATOR = r"(?:~\s*=|≈|=|~)"
_PRODUCT = re.compile(r"\s*(.+?)\s*[*x×]\s*(\d+)\s*bytes?\s*(?:" + _SEPARATOR + r"\s*(.+?))?\s*(?:/\s*image)?\s*",
                      re.IGNORECASE)


def _result_part(text: str) -> str:
    """'(11*11*3)*96 = 35K' → '35K': an answer written with its working is graded by its result."""
    parts = re.split(_SEPARATOR, text)
    return parts[-1].strip() if len(parts) > 1 else text.strip()


_MANTISSA = re.compile(r"\s*([0-9][0-9,]*)\s*(?:[KMGTB]|[KMGT]i?B|bytes?)\s*", re.IGNORECASE)


def loose_step(text: str, step: Fraction) -> Fraction:
    """The precision of a figure with a unit: trailing zeros of a whole mantissa are not significant.

    The slides write memory to two significant figures — 150K, 3.2M, 800K (802,816), 100K (100,352) — so '800K'
    stands for 750K to 850K, as '8×10^5' would. A plain integer (34,944 or 35,000) is a count, read exactly; a
    mantissa with a decimal point (3.20M) keeps every digit it shows.
    """
    m = _MANTISSA.fullmatch(text)
    if not m:
        return step
    digits = m[1].replace(",", "")
    zeros = len(digits) - len(digits.rstrip("0"))
    return step * 10 ** min(zeros, len(digits) - 1)


def _count(text: str) -> Count:
    value, step = parse_figure(text)
    return Count(value, loose_step(text, step), text)


def parse_answer(quantity: str, raw: Any) -> Answer:
    """Read one answer for one quantity; ValueError says what was expected."""
    text = answer_text(raw)
    if isinstance(raw, (dict, type(None))) or (isinstance(raw, list) and quantity != "output"):
        raise ValueError(f"an answer is a value such as 55x55x96, 35K or no, got {type_name(raw)}")
    if quantity == "fits":
        yes = parse_yes_no(raw)
        if yes is None:
            raise ValueError(f"cannot read {shown(text)}: write yes or no (or fits / doesn't fit)")
        return YesNo(yes, text)
    if quantity == "output":
        if parse_yes_no(raw) is not None:
            return YesNo(bool(parse_yes_no(raw)), text)
        shape = parse_shape(raw) or parse_shape(_result_part(text))
        if shape:
            return Volume(shape[0], shape[1], text)
        try:
            return _count(_result_part(text))
        except ValueError:
            raise ValueError(f"cannot read {shown(text)} as an output: write a volume (55x55x96 or [96, 55, 55]), a size "
                             "(55, 2.33) or doesn't fit") from None
    if quantity == "memory":
        if m := _PRODUCT.fullmatch(text):
            total = parse_bytes(m[3]) if m[3] else None
            if m[3] and total is None:
                raise ValueError(f"cannot read {shown(m[3])} as bytes (write e.g. 93MB or 58 MiB)")
            try:
                count = _count(m[1])
            except ValueError:
                raise ValueError(f"cannot read {shown(m[1])} as a count of values") from None
            size = ByteSize(total[0], loose_step(m[3], total[1]), total[2], m[3]) if total and m[3] else None
            return MemoryProduct(count, int(m[2]), size, text)
        part = _result_part(text)
        written = parse_bytes(part)
        if written is not None:
            return ByteSize(written[0], loose_step(part, written[1]), written[2], part)
    part = _result_part(text)
    if parse_bytes(part) is not None and quantity != "memory":
        raise ValueError(f"{shown(text)} is a size in bytes; {quantity} is a count")
    try:
        return _count(part)
    except ValueError:
        raise ValueError(f"cannot read {shown(text)} as a number (examples: 34944, 34,944, 35K, 138M)") from None


def parse_expect(value: Any, line: int | None, field: str, *, totals: bool = False) -> tuple[tuple[str, str], ...]:
    """`expect:` of a spec item (or of the whole spec): checked here, kept as text like `paper:`."""
    allowed = TOTAL_QUANTITIES if totals else LAYER_QUANTITIES
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping like {{output: 55x55x96, params: 35K}}, got {type_name(value)}",
                        line=line, field=field)
    for key, raw in value.items():
        if key not in allowed:
            raise SpecError(f"unknown quantity{suggest(key, allowed)} (known: {', '.join(allowed)})",
                            line=line_of(value, key), field=f"{field}.{key}")
        try:
            parse_answer(key, raw)
        except ValueError as exc:
            raise SpecError(str(exc), line=line_of(value, key), field=f"{field}.{key}") from None
    return tuple((key, answer_text(raw)) for key, raw in value.items())
