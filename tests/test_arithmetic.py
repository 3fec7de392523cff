"""The output-size formulas against the slides' worked examples, the frameworks' rules and brute force."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnncalc import arithmetic


def brute_force_windows(n: int, k: int, s: int, pad_total: int, d: int) -> int:
    """Count the window positions that lie wholly inside the padded input, one by one."""
    span = d * (k - 1) + 1
    return sum(1 for start in range(0, n + pad_total, s) if start + span <= n + pad_total)


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "expected"),
    [
        pytest.param(7, 3, 1, 0, Fraction(5), id="slides-7x7-3x3-stride1=5"),
        pytest.param(7, 3, 2, 0, Fraction(3), id="slides-7x7-3x3-stride2=3"),
        pytest.param(7, 3, 3, 0, Fraction(7, 3), id="slides-7x7-3x3-stride3=2.33-doesnt-fit"),
        pytest.param(7, 3, 1, 1, Fraction(7), id="slides-pad1-keeps-7x7"),
        pytest.param(32, 5, 1, 2, Fraction(32), id="slides-32x32-5x5-pad2=32"),
        pytest.param(227, 11, 4, 0, Fraction(55), id="slides-alexnet-conv1=(227-11)/4+1=55"),
        pytest.param(55, 3, 2, 0, Fraction(27), id="slides-alexnet-pool1=(55-3)/2+1=27"),
        pytest.param(224, 11, 4, 0, Fraction(217, 4), id="alexnet-on-224=54.25"),
    ],
)
def test_slides_output_size_examples(n: int, k: int, s: int, p: int, expected: Fraction) -> None:
    assert arithmetic.exact_output(n, k, s, 2 * p) == expected
    assert arithmetic.conv_output(n, k, s, 2 * p) == int(expected)  # PyTorch floors


@pytest.mark.parametrize(("k", "pad"), [(3, 1), (5, 2), (7, 3)], ids=["F3-pad1", "F5-pad2", "F7-pad3"])
def test_slides_pad_f_minus_1_over_2_preserves_size(k: int, pad: int) -> None:
    assert arithmetic.conv_output(32, k, 1, 2 * pad) == 32


@given(n=st.integers(1, 300), k=st.integers(1, 12), s=st.integers(1, 6), p=st.integers(0, 6), d=st.integers(1, 4))
def test_conv_output_matches_brute_force(n: int, k: int, s: int, p: int, d: int) -> None:
    if arithmetic.effective_kernel(k, d) > n + 2 * p:
        return
    assert arithmetic.conv_output(n, k, s, 2 * p, d) == brute_force_windows(n, k, s, 2 * p, d)
    assert (arithmetic.leftover(n, k, s, 2 * p, d) == 0) == (arithmetic.exact_output(n, k, s, 2 * p, d).denominator == 1)


@pytest.mark.parametrize(
    ("n", "expected"), [(112, 56), (56, 28), (28, 14), (14, 7)], ids=["112-56", "56-28", "28-14", "14-7"]
)
def test_googlenet_ceil_mode_pools(n: int, expected: int) -> None:
    # GoogLeNet Table 1: every 3x3/2 max pool halves the size, which needs ceil rounding (ARITHMETIC.md).
    assert arithmetic.pool_output(n, 3, 2, 0, ceil_mode=True) == expected
    assert arithmetic.caffe_pool_output(n, 3, 2, 0) == expected
    assert arithmetic.pool_output(n, 3, 2, 0) == expected - 1  # floor loses one


def test_pytorch_ceil_mode_drops_a_window_starting_in_the_padding() -> None:
    # in=5, k=2, s=2, p=1: ceil((5+2-2)/2)+1 = 4, but window 4 would start at 6 >= in + p = 6 -> 3 (aten Pool.h).
    assert arithmetic.pool_output(5, 2, 2, 1, ceil_mode=True) == 3


def test_transposed_conv_pytorch_docs_example() -> None:
    # PyTorch ConvTranspose2d docs: a 12x12 input, k3 s2 p1 with output_padding=1 restores 24x24 (12 -> 6 -> 12 style).
    assert arithmetic.transposed_output(12, 3, 2, 1, 1, 1) == 24
    assert arithmetic.transposed_output(6, 3, 2, 1, 1, 0) == 11


def test_same_padding_is_asymmetric_for_even_kernels() -> None:
    assert arithmetic.same_padding(3) == (1, 1)
    assert arithmetic.same_padding(4) == (1, 2)  # PyTorch puts the odd pixel on the right
    assert arithmetic.same_padding(3, 2) == (2, 2)


def test_adaptive_windows_match_pytorch() -> None:
    # AdaptiveAvgPool2d(6) on torchvision AlexNet's 6x6 map is the identity; on 13 it uses overlapping windows.
    assert arithmetic.adaptive_windows(6, 6) == [(i, i + 1) for i in range(6)]
    assert arithmetic.adaptive_windows(13, 6) == [(0, 3), (2, 5), (4, 7), (6, 9), (8, 11), (10, 13)]
