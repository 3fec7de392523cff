"""Input-size sweeps and charts."""

from __future__ import annotations

import json

import pytest

from conftest import SPECS
from cnncalc import load_spec
from cnncalc.errors import SpecError
from cnncalc.sweep import parse_range, sweep


def test_alexnet_tiles_at_227_not_224() -> None:
    points = sweep(load_spec(SPECS / "alexnet.yaml"), list(range(219, 236)), [1])
    assert [p.size for p in points if p.tiles] == [227]  # the slides' input size
    at_224 = next(p for p in points if p.size == 224)
    assert at_224.valid and "conv1" in at_224.untiled  # (224 − 11)/4 + 1 = 54.25


def test_smallest_valid_input() -> None:
    # By hand, backwards from pool3 (3x3/2 needs an input of at least 3): pool2 output ≥ 3 → pool2 input ≥ 7 →
    # pool1 output ≥ 7 → pool1 input (conv1 output) ≥ 15 → (n − 11)/4 + 1 ≥ 15 → n ≥ 67.
    points = sweep(load_spec(SPECS / "alexnet.yaml"), list(range(60, 71)), [1])
    assert min(p.size for p in points if p.valid) == 67
    assert all(not p.valid for p in points if p.size < 67)
    assert "larger than the padded input" in next(p for p in points if p.size == 66).error


def test_batch_sweep_scales_memory_not_params() -> None:
    points = sweep(load_spec(SPECS / "lenet5.yaml"), [32], [1, 4])
    one, four = points
    assert one.params == four.params == 61_706 and one.macs == four.macs
    assert four.activation_bytes == 4 * one.activation_bytes


@pytest.mark.parametrize(("text", "values"), [("32:128:32", [32, 64, 96, 128]), ("224", [224]), ("224,227", [224, 227])])
def test_range_syntax(text: str, values: list[int]) -> None:
    assert parse_range(text, "--input") == values


def test_range_limits() -> None:
    with pytest.raises(SpecError, match="more than 2,000 values"):
        parse_range("1:1000000", "--input")
    with pytest.raises(SpecError, match="STOP ≥ START"):
        parse_range("64:32", "--input")


def test_sweep_cli_json(run) -> None:  # noqa: ANN001
    result = run("sweep", SPECS / "alexnet.yaml", "--input", "224,227", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.output)["tiling_sizes"] == [227]


def test_plots_are_written(run, tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("matplotlib")
    chart = tmp_path / "sweep.png"
    assert run("sweep", SPECS / "alexnet.yaml", "--input", "96:256:32", "--plot", chart).exit_code == 0
    profile = tmp_path / "profile.png"
    assert run("summarize", SPECS / "vgg16.yaml", "--plot", profile).exit_code == 0
    for png in (chart, profile):
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
