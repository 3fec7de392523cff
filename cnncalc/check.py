"""`cnncalc check`: one convolution or pooling window on one input, the slides' homework question.

"Does a 3×3 filter with stride 3 fit a 7×7 input?" — (N − F + 2P)/S + 1 must be a whole number.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cnncalc import arithmetic
from cnncalc.errors import SpecError
from cnncalc.layers.base import size_formula
from cnncalc.limits import MAX_SIZE, MAX_SIZE_TEXT

CANDIDATES = 1_000  # strides and pads tried for "fits instead"


@dataclass(frozen=True)
class AxisCheck:
    n: int
    kernel: int
    stride: int
    pad: int
    dilation: int
    formula: str
    exact: Fraction | None  # None when the window is larger than the padded input
    pytorch: int | None  # floor, or PyTorch's ceil mode with --ceil
    caffe_ceil: int | None  # Caffe's pooling rounding
    leftover: int

    @property
    def fits(self) -> bool:
        return self.exact is not None and self.exact.denominator == 1


@dataclass(frozen=True)
class CheckResult:
    height: AxisCheck
    width: AxisCheck
    channels: int | None
    filters: int | None
    pool: bool
    ceil: bool
    bias: bool
    fitting_strides: tuple[int, ...]
    fitting_pads: tuple[int, ...]
    fitting_inputs: tuple[int, ...]

    @property
    def fits(self) -> bool:
        return self.height.fits and self.width.fits

    @property
    def output_size(self) -> tuple[int, int] | None:
        if self.height.pytorch is None or self.width.pytorch is None:
            return None
        return self.height.pytorch, self.width.pytorch

    @property
    def output_channels(self) -> int | None:
        return self.channels if self.pool else self.filters

    @property
    def params(self) -> int | None:
        if self.pool:
            return 0
        if self.filters is None or self.channels is None:
            return None
        return self.height.kernel * self.width.kernel * self.channels * self.filters + (self.filters if self.bias else 0)

    @property
    def params_formula(self) -> str | None:
        if self.params is None or self.pool:
            return None
        text = f"({self.height.kernel}*{self.width.kernel}*{self.channels})*{self.filters}"
        return text + (f" + {self.filters}" if self.bias else "")


def check_axis(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> AxisCheck:
    span = arithmetic.effective_kernel(k, d)
    formula = size_formula(n, k, s, 2 * p, d)
    if span > n + 2 * p:
        return AxisCheck(n, k, s, p, d, formula, None, None, None, 0)
    return AxisCheck(
        n, k, s, p, d, formula, arithmetic.exact_output(n, k, s, 2 * p, d),
        arithmetic.pool_output(n, k, s, p, d, ceil_mode=ceil),
        arithmetic.caffe_pool_output(n, span, s, p),
        arithmetic.leftover(n, k, s, 2 * p, d),
    )


def check_options(**values: int) -> None:
    """Each value positive (pad: zero or more) and at most MAX_SIZE; the field is the option's name."""
    for label, value in values.items():
        low = 0 if label == "pad" else 1
        if value < low:
            raise SpecError(f"must be {'positive' if low else 'zero or more'}, got {value}", field=label)
        if value > MAX_SIZE:
            raise SpecError(f"must be at most {MAX_SIZE_TEXT}, got {value}", field=label)


def check(height: int, width: int, *, channels: int | None = None, kernel: int = 3, stride: int = 1, pad: int = 0,
          dilation: int = 1, filters: int | None = None, pool: bool = False, ceil: bool = False,
          bias: bool = True) -> CheckResult:
    check_options(input=min(height, width), filter=kernel, stride=stride, pad=pad, dilation=dilation,
                  channels=1 if channels is None else channels, filters=1 if filters is None else filters)
    check_options(input=max(height, width))
    if pool and filters is not None:
        raise SpecError("a pooling window has no filters; drop --filters or --pool", field="filters")

    def fits(n: int, s: int, p: int) -> bool:
        span = arithmetic.effective_kernel(kernel, dilation)
        return span <= n + 2 * p and arithmetic.leftover(n, kernel, s, 2 * p, dilation) == 0

    # The alternatives scan at most CANDIDATES strides and pads (all of them for any kernel or stride below it);
    # the nearest fitting inputs are found in closed form, so no loop runs in proportion to a size typed.
    sides = {height, width}
    strides = tuple(s for s in range(1, min(max(kernel, stride) + 2, CANDIDATES + 1))
                    if all(fits(n, s, pad) for n in sides))
    pads = tuple(p for p in range(min(kernel + 1, CANDIDATES + 1)) if all(fits(n, stride, p) for n in sides))
    residue = arithmetic.effective_kernel(kernel, dilation) - 2 * pad  # n fits when n ≥ it and n ≡ it (mod stride)
    top = min(sides) - 1  # below: the largest such n ≤ top
    nearest = top - (top - residue) % stride
    below = nearest if nearest >= max(1, residue) else None
    start = max(max(sides) + 1, residue, 1)  # above: the smallest such n ≥ start
    above = start + (residue - start) % stride
    return CheckResult(
        height=check_axis(height, kernel, stride, pad, dilation, ceil),
        width=check_axis(width, kernel, stride, pad, dilation, ceil),
        channels=channels, filters=filters, pool=pool, ceil=ceil, bias=bias,
        fitting_strides=strides, fitting_pads=pads,
        fitting_inputs=tuple(n for n in (below, above) if n is not None),
    )
