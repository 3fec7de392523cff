"""Receptive fields against hand derivations (Araujo et al.'s recurrences) and published values."""

from __future__ import annotations

import json

import pytest

from conftest import SPECS, layer
from cnncalc import analyze, load_spec, loads_spec


def rf_of(layers: str, input_: str = "32x32x3"):  # noqa: ANN201
    return analyze(loads_spec(f"input: {input_}\nlayers: {layers}\n")).layers[-1].receptive_field


@pytest.mark.parametrize(
    ("layers", "size", "jump", "padding", "center"),
    [
        # r = 1 + Σ (k−1)·Π s: two 3x3 stride-1 convs see 5 pixels
        ("[{conv: {filters: 1, kernel: 3}}, {conv: {filters: 1, kernel: 3}}]", 5, 1, 0, 2),
        # 3x3/2 then 3x3: 3 + (3−1)·2 = 7, jump 2
        ("[{conv: {filters: 1, kernel: 3, stride: 2}}, {conv: {filters: 1, kernel: 3}}]", 7, 2, 0, 3),
        # dilation 2: the effective kernel is 5
        ("[{conv: {filters: 1, kernel: 3, dilation: 2}}]", 5, 1, 0, 2),
        # padding 1 twice: the window starts 2 pixels before the image, centred on pixel 0
        ("[{conv: {filters: 1, kernel: 3, pad: 1}}, {conv: {filters: 1, kernel: 3, pad: 1}}]", 5, 1, 2, 0),
        # 2x2/2 pool after a 3x3 pad-1 conv: 3 + 1·1 = 4, jump 2, centre −1 + 1.5 = 0.5
        ("[{conv: {filters: 1, kernel: 3, pad: 1}}, maxpool]", 4, 2, 1, 0.5),
        # an element-wise layer changes nothing
        ("[{conv: {filters: 1, kernel: 3}}, relu, batchnorm]", 3, 1, 0, 1),
    ],
    ids=["two-3x3", "stride-2", "dilation", "padding", "pool", "elementwise"],
)
def test_small_chains_by_hand(layers: str, size: int, jump: int, padding: int, center: float) -> None:
    rf = rf_of(layers)
    assert rf.size == (size, size) and rf.jump == (jump, jump)
    assert rf.padding == (padding, padding) and rf.center == (center, center)


def test_published_values() -> None:
    # Araujo, Norris & Sim (Distill 2019): AlexNet 195, VGG-16 212 at the last pooling layer; ResNet-50 483 with
    # the paper's bottleneck and 427 with torchvision's (ARITHMETIC.md).
    assert layer(analyze(load_spec(SPECS / "alexnet.yaml")), "pool3").receptive_field.size == (195, 195)
    assert layer(analyze(load_spec(SPECS / "vgg16.yaml")), "maxpool5").receptive_field.size == (212, 212)
    paper = analyze(load_spec(SPECS / "resnet50.yaml"))
    v15 = analyze(load_spec(SPECS / "resnet50.yaml", variant="torchvision"))
    assert layer(paper, "conv5_x.2.relu3").receptive_field.size == (483, 483)
    assert layer(v15, "conv5_x.2.relu3").receptive_field.size == (427, 427)


def test_branches_take_the_largest_and_report_misalignment() -> None:
    aligned = analyze(loads_spec("input: 8x8x1\nlayers:\n  - concat: [[{conv: {filters: 1, kernel: 3, pad: 1}}], "
                                 "[{conv: {filters: 1, kernel: 5, pad: 2}}]]\n"))
    assert aligned.layers[-1].receptive_field.size == (5, 5) and not aligned.misaligned
    # same output size, but the second branch pads 2 on top and 0 below: its windows sit one pixel higher
    shifted = analyze(loads_spec("input: 8x8x1\nlayers:\n  - {name: mix, concat: [[{conv: {filters: 1, kernel: 3, "
                                 "pad: 1}}], [{conv: {filters: 1, kernel: 3, pad: [2, 0, 1, 1]}}]]}\n"))
    assert len(shifted.misaligned) == 1 and shifted.misaligned[0].startswith("mix.concat: the joined paths are not aligned")
    googlenet = analyze(load_spec(SPECS / "googlenet.yaml"))
    assert not googlenet.misaligned  # inception's 'same' paddings keep every branch centred


def test_json_and_table(run) -> None:  # noqa: ANN001
    data = json.loads(run("summarize", SPECS / "vgg16.yaml", "--receptive-field", "--format", "json").output)
    pool5 = next(row for row in data["layers"] if row["name"] == "maxpool5")
    assert pool5["receptive_field"] == {"size": [212, 212], "jump": [32, 32], "padding": [90, 90],
                                        "center": [15.5, 15.5]}
    plain = json.loads(run("summarize", SPECS / "vgg16.yaml", "--format", "json").output)
    assert "receptive_field" not in plain["layers"][0]  # only when asked for
    table = run("summarize", SPECS / "alexnet.yaml", "--receptive-field").output
    assert "RF" in table and " 195 " in table
