"""`check` for the layer types a homework sheet asks about (issue 15): transposed (with output padding), grouped
and depthwise, locally connected, MACs with their formula, `--pool` as a flag, ceil mode answered, dilation's
effective kernel. Numbers come from torch itself, the MobileNet paper and Keras' documented parameter counts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cnncalc.cli import main


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def data(*args: str, code: int = 0) -> dict:
    return json.loads(run(*args, "--format", "json", code=code))


def test_alexnet_conv1_macs_with_formula() -> None:
    """The slides' CONV1: 55x55x96 outputs, each 11*11*3 multiply-accumulates."""
    out = run("--input", "227x227x3", "--filter", "11", "--stride", "4", "--filters", "96")
    assert "MACs: (55*55*96)*(11*11*3) = 105,415,200" in out
    d = data("--input", "227x227x3", "--filter", "11", "--stride", "4", "--filters", "96")
    assert d["macs"] == 55 * 55 * 96 * 11 * 11 * 3 and d["params"] == 34_944
    assert d["macs_formula"] == "(55*55*96)*(11*11*3)" and d["params_formula"] == "(11*11*3)*96 + 96"
    assert d["fits"] is True and d["output_size"] == [55, 55]  # the old fields are unchanged


def test_depthwise_as_mobilenet_counts_it() -> None:
    """MobileNet (Howard et al. 2017), eq. 3: a depthwise 3x3 layer costs D_K·D_K·M·D_F·D_F = 3·3·32·112·112."""
    d = data("--input", "112x112x32", "--pad", "1", "--depthwise")
    assert d["macs"] == 3 * 3 * 32 * 112 * 112
    assert d["params"] == 3 * 3 * 32 + 32 and d["output_channels"] == 32
    assert data("--input", "56x56x64", "--pad", "1", "--groups", "4", "--filters", "128")["params"] == \
        3 * 3 * (64 // 4) * 128 + 128  # torch: Conv2d(64, 128, 3, groups=4).weight is 128x16x3x3


@pytest.mark.parametrize(("n", "k", "s", "p", "op"), [(7, 3, 2, 1, 1), (4, 4, 2, 1, 0), (5, 3, 3, 0, 2)],
                         ids=["dcgan-like", "k4s2p1", "op2"])
def test_transposed_matches_torch(n: int, k: int, s: int, p: int, op: int) -> None:
    torch = pytest.importorskip("torch")
    layer = torch.nn.ConvTranspose2d(16, 8, k, stride=s, padding=p, output_padding=op)
    out = layer(torch.zeros(1, 16, n, n)).shape[-1]
    d = data("--input", f"{n}x{n}x16", "--filter", str(k), "--stride", str(s), "--pad", str(p),
             "--output-padding", str(op), "--filters", "8", "--transposed")
    assert d["output_size"] == [out, out]
    assert d["params"] == sum(t.numel() for t in layer.parameters())
    assert d["macs"] == n * n * 16 * 8 * k * k  # every input value meets its group's whole kernel (flop_counter)


def test_output_padding_must_be_below_the_stride() -> None:
    run("--input", "7x7x16", "--transposed", "--stride", "2", "--output-padding", "2", "--filters", "8", code=1)


def test_locally_connected_as_keras_counts_it() -> None:
    """Keras LocallyConnected2D(10, 5) on 32x32x3: (28·28)·(5·5·3)·10 weights + 28·28·10 biases."""
    d = data("--input", "32x32x3", "--filter", "5", "--filters", "10", "--local")
    assert d["params"] == 28 * 28 * 5 * 5 * 3 * 10 + 28 * 28 * 10
    assert d["macs"] == 28 * 28 * 10 * 5 * 5 * 3


def test_pool_is_also_a_flag_after_filter() -> None:
    """The slides' POOL: 3x3 stride 2 on 55x55 gives 27."""
    assert "✓ Fits: output volume 27x27" in run("--input", "55", "--filter", "3", "--stride", "2", "--pool")
    assert "✓ Fits: output volume 27x27" in run("--input", "55", "--pool", "3", "--stride", "2")


def test_ceil_mode_is_answered_with_the_overhang() -> None:
    torch = pytest.importorskip("torch")
    out = torch.nn.MaxPool2d(3, 2, ceil_mode=True)(torch.zeros(1, 1, 6, 6)).shape[-1]
    text = run("--input", "6", "--pool", "3", "--stride", "2", "--ceil")  # exit 0: ceil mode was asked for
    assert f"✓ Ceil mode: output volume {out}x{out}" in text
    assert "hangs over the edge by 1" in text and "what ceil mode is for" in text
    d = data("--input", "6", "--pool", "3", "--stride", "2", "--ceil")
    assert d["output_size"] == [out, out] and d["ceil_overhang"] == [1, 1] and d["fits"] is False
    run("--input", "6", "--pool", "3", "--stride", "2", code=3)  # without --ceil it still does not fit


def test_dilation_shows_the_effective_kernel() -> None:
    """Dumoulin & Visin, relation 6: a 3x3 kernel dilated by 2 spans 2·(3 − 1) + 1 = 5 pixels."""
    out = run("--input", "7", "--filter", "3", "--dilation", "2")
    assert "Effective kernel = d(F − 1) + 1 = 2·(3 − 1) + 1 = 5" in out
    assert data("--input", "7", "--filter", "3", "--dilation", "2")["effective_kernel"] == 5


def test_help_points_to_whole_networks() -> None:
    out = CliRunner().invoke(main, ["check", "--help"]).output
    assert "summarize" in out and "explain" in out and "cnncalc explain specs/alexnet.yaml" in out


def test_two_layer_kinds_are_a_usage_error() -> None:
    run("--input", "7", "--pool", "--transposed", code=2)
