"""Layers that cannot apply to the shape reaching them: groups, kernels larger than the padded input, outputs
that reach zero, a flat vector where a feature map is needed (or a fully connected layer written for another
input), and branches whose shapes do not agree.

The rule for a missing flatten (docs/robustness.md): `fc` on a C×H×W input connects to the whole volume (Caffe's
InnerProduct, the slides' "7*7*512*4096"), so leaving out `flatten` before it is not an error. It matters in two
places, and both are errors: a layer that needs a feature map after the input was flattened (by `flatten` or by
an `fc`), and an `fc` whose `in_features` (PyTorch's nn.Linear argument) disagrees with what reaches it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_errors import error, run_cli

from cnncalc import analyze, loads_spec


def spec(input_: str, *items: str) -> str:
    return f"input: {input_}\nlayers:\n" + "".join(f"  - {item}\n" for item in items)


# --- groups ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("input_", "item", "message"), [
    ("5x5x3", "conv: {filters: 4, kernel: 3, groups: 2}", ("conv1 (layers[0]): 3 input channels are not divisible "
                                                          "by groups=2")),
    ("5x5x4", "conv: {filters: 6, kernel: 3, groups: 4}", ("conv1 (layers[0]): 6 filters are not divisible by "
                                                          "groups=4")),
    ("5x5x4", "deconv: {filters: 6, kernel: 3, groups: 4}", ("deconv1 (layers[0]): 4 input channels and 6 filters "
                                                            "must both be divisible by groups=4")),
    ("4x4x9", "maxout: {pieces: 2}", "maxout1 (layers[0]): 9 channels are not divisible into groups of 2 pieces"),
], ids=["channels", "filters", "deconv", "maxout"])
def test_channels_that_do_not_divide(tmp_path: Path, input_: str, item: str, message: str) -> None:
    assert error(tmp_path, spec(input_, item)) == f"Error: bad.yaml:3: {message}\n"


def test_groups_that_divide_are_fine() -> None:
    """The control: 4 channels, 8 filters, groups 4 — each filter sees one channel of its group of one."""
    r = analyze(loads_spec(spec("5x5x4", "conv: {filters: 8, kernel: 3, groups: 4}")))
    assert r.layers[0].weights == 3 * 3 * (4 // 4) * 8


# --- kernels larger than the padded input; outputs that reach zero ----------------------------------------------------

@pytest.mark.parametrize(("input_", "items", "line", "message"), [
    ("5x5x3", ["conv: {filters: 4, kernel: 7}"], 3,
     "conv1 (layers[0]): the 7-pixel kernel is larger than the padded input height 5 + 0 = 5"),
    ("5x5x3", ["conv: {filters: 4, kernel: [3, 9], pad: 1}"], 3,
     "conv1 (layers[0]): the 9-pixel kernel is larger than the padded input width 5 + 2 = 7"),
    ("5x5x3", ["conv: {filters: 4, kernel: 3, dilation: 3}"], 3,  # a dilated 3x3 spans 3 + 2·2 = 7 pixels
     "conv1 (layers[0]): the 7-pixel kernel is larger than the padded input height 5 + 0 = 5"),
    ("2x2x3", ["local: {filters: 1, kernel: 3}"], 3,
     "local1 (layers[0]): the 3-pixel kernel is larger than the padded input height 2 + 0 = 2"),
    ("4x4x3", ["maxpool", "maxpool", "maxpool"], 5,  # 4 → 2 → 1, and a 2x2 window cannot fit in 1
     "maxpool3 (layers[2]): the 2x2 window is larger than the padded input height 1"),
    ("1x1x3", ["deconv: {filters: 1, kernel: 1, pad: 1}"], 3,  # (1 − 1)·1 − 2·1 + 0 + 1 = −1
     "deconv1 (layers[0]): output would be -1x-1: the padding removes more than the layer produces"),
    ("4x4x3", ["conv: {compress: 0.1, kernel: 1}"], 3,  # ⌊0.1 · 3⌋ = 0
     "conv1 (layers[0]): compress 0.1 of 3 channels leaves no filters"),
    ("4x4x3", ["deconv: {filters: 1, kernel: 3, stride: 2, output_padding: 2}"], 3,
     "deconv1 (layers[0]): output_padding must be smaller than the stride or the dilation (as in PyTorch)"),
], ids=["kernel", "kernel-width-with-pad", "dilated-kernel", "local", "shrinks-to-nothing", "deconv-negative",
        "compress-to-zero", "output-padding"])
def test_outputs_that_cannot_exist(tmp_path: Path, input_: str, items: list[str], line: int, message: str) -> None:
    assert error(tmp_path, spec(input_, *items)) == f"Error: bad.yaml:{line}: {message}\n"


def test_kernel_that_exactly_fills_the_padded_input_is_fine() -> None:
    """The boundary: (5 − 7 + 2·1)/1 + 1 = 1."""
    assert analyze(loads_spec(spec("5x5x3", "conv: {filters: 4, kernel: 7, pad: 1}"))).layers[0].output == (4, 1, 1)


def test_error_inside_a_repeated_block_names_the_copy_and_the_definition(tmp_path: Path) -> None:
    text = ("input: 8x8x3\nblocks:\n  down:\n    layers: [{conv: {filters: 3, kernel: 3, stride: 2}}]\n"
            "layers:\n  - {name: stage, repeat: 4, down: }\n")
    # 8 → 3 → 1, and the third copy's 3-pixel kernel does not fit in 1
    assert error(tmp_path, text) == ("Error: bad.yaml:4: stage.2.conv1 (blocks.down.layers[0]): the 3-pixel kernel "
                                     "is larger than the padded input height 1 + 0 = 1\n")


# --- a flat vector where a feature map is needed; fc written for another input -------------------------------------

@pytest.mark.parametrize(("items", "message"), [
    (["flatten", "conv3-8"], "conv1 (layers[1]): conv needs a CxHxW feature map, got a flat vector of 192"),
    (["FC-10", "conv3-8"], "conv1 (layers[1]): conv needs a CxHxW feature map, got a flat vector of 10"),
    (["FC-10", "maxpool"], "maxpool1 (layers[1]): maxpool needs a CxHxW feature map, got a flat vector of 10"),
    (["flatten", "gap"], ("global_avgpool1 (layers[1]): global_avgpool needs a CxHxW feature map, got a flat vector "
                         "of 192")),
    (["flatten", "zeropad"], "zeropad1 (layers[1]): zeropad needs a CxHxW feature map, got a flat vector of 192"),
    (["flatten", "LRN"], "lrn1 (layers[1]): lrn needs a CxHxW feature map, got a flat vector of 192"),
], ids=["conv-after-flatten", "conv-after-fc", "pool-after-fc", "gap-after-flatten", "zeropad-after-flatten",
        "lrn-after-flatten"])
def test_feature_map_layer_after_flattening(tmp_path: Path, items: list[str], message: str) -> None:
    text = "input: 8x8x3\nlayers: [" + ", ".join(items) + "]\n"
    assert error(tmp_path, text) == f"Error: bad.yaml:2: {message}\n"


@pytest.mark.parametrize(("input_", "items", "line", "message"), [
    # nn.Linear(512, 10) straight after VGG's last 7x7x512 map: the classic missing pooling (or flatten) mistake
    ("7x7x512", ["fc: {units: 10, in_features: 512}"], 3,
     ("fc1 (layers[0]): in_features is 512, but the 7x7x512 = 25,088 values reach this layer; a feature map is "
     "flattened whole: is a pooling layer missing before it?")),
    ("7x7x512", ["flatten", "fc: {units: 10, in_features: 4096}"], 4,
     "fc1 (layers[1]): in_features is 4,096, but the 25,088 features reach this layer"),
    ("7x7x512", ["FC-100", "fc: {units: 10, in_features: 512}"], 4,
     "fc2 (layers[1]): in_features is 512, but the 100 features reach this layer"),
], ids=["map-without-pooling", "after-flatten", "after-fc"])
def test_fc_written_for_another_input(tmp_path: Path, input_: str, items: list[str], line: int, message: str) -> None:
    assert error(tmp_path, spec(input_, *items)) == f"Error: bad.yaml:{line}: {message}\n"


def test_fc_on_a_feature_map_flattens_without_an_explicit_flatten(tmp_path: Path) -> None:
    """Not an error: VGG's FC-4096 after 7x7x512 is 7·7·512·4096 weights (the slides), with or without
    in_features, and with a flatten in front the numbers are the same."""
    implicit = run_cli(tmp_path, spec("7x7x512", "fc: {units: 4096, in_features: 25088, bias: false}"),
                       "--format", "json")
    explicit = run_cli(tmp_path, spec("7x7x512", "flatten", "fc: {units: 4096, bias: false}"), "--format", "json")
    assert implicit.exit_code == explicit.exit_code == 0
    assert '"params": 102760448' in implicit.output and '"params": 102760448' in explicit.output


# --- branches ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("items", "message"), [
    (["name: mix\n    concat:\n      - [{conv: {filters: 4, kernel: 3}}]\n      - [conv3-4]"],
     "mix: cannot concatenate b1 (6x6x4) and b2 (8x8x4): height and width must agree"),
    (["name: mix\n    concat: {a: [flatten], b: [relu]}"],
     "mix: cannot concatenate a (256) and b (8x8x4): height and width must agree"),
    (["name: res\n    residual: {body: [{conv: {filters: 4, kernel: 3, stride: 2, pad: 1}}]}"],
     ("res: cannot add the body's output (4x4x4) and the identity (8x8x4): shapes must agree; use shortcut: auto "
     "for a projection")),
    (["name: res\n    residual: {body: [conv3-8], shortcut: [conv1-4]}"],
     "res: cannot add the body's output (8x8x8) and the shortcut (8x8x4): shapes must agree"),
    (["name: res\n    residual: {body: [{conv: {filters: 8, kernel: 3}}], shortcut: auto}"],
     "res: no 1x1 projection maps the input 8x8x4 to the body's output 6x6x8"),
    (["name: grow\n    dense: {count: 2, body: [conv3-4, maxpool]}"],
     "grow.0: cannot concatenate grow.0 input (8x8x4) and grow.0 (4x4x4): height and width must agree"),
], ids=["concat-height-width", "concat-vector-and-map", "residual-identity", "residual-shortcut",
        "residual-no-projection", "dense-body-shrinks"])
def test_branch_shapes_must_agree(tmp_path: Path, items: list[str], message: str) -> None:
    assert error(tmp_path, spec("8x8x4", *items)) == f"Error: bad.yaml:3: {message}\n"


@pytest.mark.parametrize(("item", "field", "message"), [
    ("concat: [[relu]]", "layers[0].concat", "concat needs at least two branches"),
    ("concat: relu", "layers[0].concat",
     "concat takes a list of branches or a mapping of named branches, got the text 'relu'"),
    ("residual: {after: [relu]}", "layers[0].residual.body", "residual needs 'body'"),
    ("residual: {body: [relu], shortcut: projection}", "layers[0].residual.shortcut",
     "must be 'identity', 'auto' or a list of layers, got the text 'projection'"),
    ("residual: {body: relu}", "layers[0].residual.body", "must be a list of layers"),
], ids=["one-branch", "branches-not-a-list", "no-body", "unknown-shortcut", "body-not-a-list"])
def test_malformed_branches(tmp_path: Path, item: str, field: str, message: str) -> None:
    assert error(tmp_path, spec("8x8x4", item)) == f"Error: bad.yaml:3: {field}: {message}\n"
