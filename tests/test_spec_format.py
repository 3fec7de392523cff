"""The spec language: every accepted notation (its errors are in test_errors_*.py)."""

from __future__ import annotations

import pytest

from cnncalc import analyze, loads_spec


def one_layer(layer: str, input_: str = "32x32x3"):  # noqa: ANN201
    return analyze(loads_spec(f"input: {input_}\nlayers:\n  - {layer}\n")).layers[0]


@pytest.mark.parametrize("input_", ["224x224x3", "[3, 224, 224]", "{channels: 3, height: 224, width: 224}"],
                         ids=["HxWxC", "CHW-list", "mapping"])
def test_input_notations(input_: str) -> None:
    assert loads_spec(f"input: {input_}\nlayers: [relu]").input == (3, 224, 224)


def test_non_square_input() -> None:
    assert loads_spec("input: 240x320x3\nlayers: [relu]").input == (3, 240, 320)


@pytest.mark.parametrize(
    ("text", "kind", "output", "params"),
    [
        ("conv3-64", "conv", (64, 32, 32), 3 * 3 * 3 * 64 + 64),
        ("conv1-256", "conv", (256, 32, 32), 3 * 256 + 256),
        ("maxpool", "maxpool", (3, 16, 16), 0),
        ("FC-4096", "fc", (4096,), 32 * 32 * 3 * 4096 + 4096),
        ("6c5w1s0p", "conv", (6, 28, 28), 5 * 5 * 3 * 6 + 6),
        ("2w2s", "maxpool", (3, 16, 16), 0),
        ("120fc", "fc", (120,), 3072 * 120 + 120),
        ("LRN", "lrn", (3, 32, 32), 0),
        ("soft-max", "softmax", (3, 32, 32), 0),
    ],
)
def test_shorthands(text: str, kind: str, output: tuple[int, ...], params: int) -> None:
    r = one_layer(text)
    assert (r.kind, r.output, r.params) == (kind, output, params)


def test_conv_options() -> None:
    r = one_layer("conv: {filters: 8, kernel: [3, 5], stride: [1, 2], pad: [1, 2], bias: false}")
    assert r.output == (8, 32, 16) and r.params == 3 * 5 * 3 * 8
    assert one_layer("conv: {filters: 8, kernel: 4, pad: same}").output == (8, 32, 32)
    assert one_layer("conv: {filters: 8, kernel: 3, dilation: 2, pad: valid}").output == (8, 28, 28)


def test_grouped_and_depthwise_conv() -> None:
    r = one_layer("conv: {filters: 64, kernel: 3, pad: 1, groups: 4}", "8x8x32")
    assert r.weights == 3 * 3 * (32 // 4) * 64
    dw = one_layer("conv: {kernel: 3, pad: 1, groups: depthwise, bias: false}", "8x8x32")
    assert dw.output == (32, 8, 8) and dw.weights == 3 * 3 * 32 and dw.macs == 8 * 8 * 32 * 9


def test_transposed_conv() -> None:
    # PyTorch: ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1) maps 12x12 to 24x24.
    r = one_layer("deconv: {filters: 8, kernel: 3, stride: 2, pad: 1, output_padding: 1}", "12x12x16")
    assert r.output == (8, 24, 24) and r.weights == 16 * 8 * 9 and r.biases == 8
    assert r.macs == 12 * 12 * 16 * 8 * 9


def test_locally_connected_has_unshared_weights() -> None:
    r = one_layer("local: {filters: 4, kernel: 3}", "5x5x2")
    assert r.output == (4, 3, 3)
    assert r.weights == 3 * 3 * 4 * (3 * 3 * 2) and r.biases == 3 * 3 * 4


def test_pooling_variants() -> None:
    assert one_layer("maxpool: {kernel: 3, stride: 2, ceil: true}", "112x112x64").output == (64, 56, 56)
    assert one_layer("avgpool: {kernel: 3, stride: 1, pad: 1}", "14x14x8").output == (8, 14, 14)
    assert one_layer("global_avgpool", "7x7x2048").output == (2048, 1, 1)
    assert one_layer("adaptive_avgpool: {output: 6}", "13x13x256").output == (256, 6, 6)


def test_activations_batchnorm_and_friends() -> None:
    assert one_layer("relu").activations == 0  # in place by default, as in torchvision
    assert one_layer("relu: {inplace: false}").activations == 32 * 32 * 3
    assert one_layer("sigmoid").activations == 32 * 32 * 3
    assert one_layer("maxout: {pieces: 3}", "4x4x9").output == (3, 4, 4)
    bn = one_layer("batchnorm", "8x8x64")
    assert (bn.weights, bn.biases, bn.buffers) == (64, 64, 129)  # running mean/var + num_batches_tracked
    assert one_layer("dropout: {p: 0.4}").activations == 0
    assert one_layer("zeropad: {pad: 2}").output == (3, 36, 36)
    assert one_layer("flatten").output == (3072,)
