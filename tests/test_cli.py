"""The commands exactly as a user types them: output text, JSON contract and exit codes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import SPECS
from cnncalc.cli import main


def test_summarize_vgg16_table_shows_the_slides_working(run) -> None:  # noqa: ANN001
    result = run("summarize", SPECS / "vgg16.yaml", "--no-bias")
    assert result.exit_code == 0
    out = result.output
    assert "224*224*64 = 3.2M" in out  # memory with its product, as on the slide
    assert "(3*3*3)*64 = 1,728" in out  # params with the formula, not counting biases
    assert "7*7*512*4096 = 102,760,448" in out
    assert "138,344,128" in out and "15,470,264,320" in out
    assert "most params: fc1 74%" in out  # "Most params are in late FC"
    assert "Traceback" not in out


def test_summarize_json_contract(run) -> None:  # noqa: ANN001
    result = run("summarize", SPECS / "vgg16.yaml", "--format", "json", "--batch", "2", "--dtype", "fp16")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) >= {"model", "input", "layers", "totals"}
    assert data["input"] == [3, 224, 224]
    for row in data["layers"]:
        assert set(row) >= {"name", "type", "output", "params", "weights", "biases", "activations", "macs", "flops"}
    assert data["layers"][0]["output"] == [64, 224, 224]
    assert data["layers"][-1]["output"] == [1000]
    totals = data["totals"]
    assert set(totals) >= {"params", "weights", "biases", "activations", "macs", "flops", "forward_bytes",
                           "forward_backward_bytes", "params_bytes"}
    assert totals["params"] == 138_357_544 and isinstance(totals["params"], int)
    assert totals["forward_bytes"] == totals["activations"] * 2 * 2  # fp16, batch 2
    assert totals["params_bytes"] == 138_357_544 * 2


def test_summarize_csv_and_markdown(run) -> None:  # noqa: ANN001
    rows = list(csv.DictReader(io.StringIO(run("summarize", SPECS / "lenet5.yaml", "--format", "csv").output)))
    assert rows[0]["output"] == "28x28x6" and rows[0]["params"] == "156"
    assert rows[-1]["name"] == "TOTAL" and rows[-1]["params"] == "61706"
    md = run("summarize", SPECS / "lenet5.yaml", "--format", "markdown").output
    assert "| conv1 |" in md and "61,706" in md


def test_input_override_and_tiling_warning(run) -> None:  # noqa: ANN001
    result = run("summarize", SPECS / "alexnet.yaml", "--input", "224x224x3", "--warnings")
    assert result.exit_code == 0
    assert "(224 − 11 + 2·0)/4 + 1 = 54.25 does not tile: PyTorch floors it to 54" in result.output
    assert "an input of 227x227x3 would tile every layer exactly" in result.output
    strict = run("summarize", SPECS / "alexnet.yaml", "--input", "224", "--strict")
    assert strict.exit_code == 3
    assert "54.25" in strict.stderr


def test_non_square_input(run) -> None:  # noqa: ANN001
    data = json.loads(run("summarize", SPECS / "lenet5.yaml", "--input", "32x40", "--format", "json").output)
    assert data["layers"][0]["output"] == [6, 28, 36]


@pytest.mark.parametrize(
    ("stride", "pad", "exact", "fits", "code"),
    [(1, 0, "= 5", True, 0), (2, 0, "= 3", True, 0), (3, 0, "= 2.33", False, 3), (1, 1, "= 7", True, 0)],
    ids=["stride1", "stride2", "stride3-doesnt-fit", "pad1"],
)
def test_check_the_slides_7x7_examples(run, stride: int, pad: int, exact: str, fits: bool, code: int) -> None:  # noqa: ANN001
    result = run("check", "--stride", stride, "--pad", pad, "--input", 7)
    assert result.exit_code == code
    assert exact in result.output
    assert ("✓ Fits" in result.output) is fits


def test_check_stride_3_as_written_by_the_user(run) -> None:  # noqa: ANN001
    result = run("check", "--stride", "3", "--input", "7")
    assert result.exit_code == 3
    out = result.output
    assert "(7 − 3 + 2·0)/3 + 1 = 2.33" in out and "Doesn't fit" in out
    assert "PyTorch (floor) gives 2x2" in out and "Caffe pooling (ceil) gives 3x3" in out
    assert "stride 1, 2, 4 (pad 0)" in out and "pad 1" in out


def test_check_json_ten_5x5_filters_on_32x32x3(run) -> None:  # noqa: ANN001
    result = run("check", "--input", "32x32x3", "--filter", "5", "--pad", "2", "--filters", "10", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["fits"] is True
    assert data["output_size"] == [32, 32] and data["output_channels"] == 10
    assert data["params"] == 760  # "each filter has 5*5*3 + 1 = 76 params => 76*10 = 760"
    assert data["exact"] == [32.0, 32.0]


def test_check_pool(run) -> None:  # noqa: ANN001
    data = json.loads(run("check", "--input", "55x55x96", "--pool", "3", "--stride", "2", "--format", "json").output)
    assert data["output_size"] == [27, 27] and data["params"] == 0 and data["output_channels"] == 96


def test_check_json_when_it_does_not_fit(run) -> None:  # noqa: ANN001
    result = run("check", "--stride", "3", "--input", "7", "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 3
    assert data["fits"] is False and data["output_size"] == [2, 2] and data["exact"][0] == pytest.approx(7 / 3)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["summarize"], 2, "Missing argument"),
        (["summarize", str(SPECS / "vgg16.yaml"), "--dtype", "fp8"], 2, "Invalid value"),
        (["check", "--input", "7..7"], 1, "cannot read '7..7'"),
        (["check", "--input", "7", "--stride", "0"], 1, "stride: must be positive, got 0"),
        (["frobnicate"], 2, "No such command"),
    ],
    ids=["no-argument", "bad-dtype", "bad-input", "zero-stride", "bad-command"],
)
def test_exit_codes_and_messages(run, args: list[str], code: int, message: str) -> None:  # noqa: ANN001
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_every_command_has_help(run) -> None:  # noqa: ANN001
    for name, command in main.commands.items():
        assert command.help, name
        assert run(name, "--help").exit_code == 0
