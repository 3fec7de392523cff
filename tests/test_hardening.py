"""Issue 12: answers that were wrong with no error, and the command line's last-resort paths."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SPECS

from cnncalc.cli import main

ALEX = str(SPECS / "alexnet.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def spec_with(tmp_path, filters: str) -> str:
    path = tmp_path / "net.yaml"
    path.write_text(f"name: t\ninput: 8x8x3\nlayers:\n  - conv: {{filters: {filters}, kernel: 1}}\n")
    return str(path)


# --- symbolic sizes on one axis ------------------------------------------------------------------------------

def test_a_numeric_axis_that_never_tiles_is_not_forgotten() -> None:
    """AlexNet at W = 224: (224 − 11)/4 + 1 = 54.25 whatever H is, so 227 does not tile every layer."""
    out = run("summarize", ALEX, "--input", "Hx224x3", "--why", "227").output
    assert "227 tiles every layer exactly" not in out
    assert "227 does not tile: conv1 (width): (224 − 11 + 2·0)/4 + 1 = 54.25" in out
    data = json.loads(run("summarize", ALEX, "--input", "Hx224x3", "--format", "json").output)
    assert data["never_tiles"][0].startswith("conv1 (width)")
    # W = 227 tiles (the slides' size): the same question then has the slides' answer
    assert "227 tiles every layer exactly" in run("summarize", ALEX, "--input", "Hx227x3", "--why", "227").output


def test_a_size_below_the_smallest_valid_one_is_not_said_to_tile() -> None:
    out = run("summarize", ALEX, "--input", "Hx227x3", "--why", "3").output
    assert "3 is too small" in out and "tiles every layer" not in out.splitlines()[-1]


# --- typos are not symbols -------------------------------------------------------------------------------------

def test_an_upper_case_x_separates_sizes() -> None:
    result = run("check", "--input", "32X32X3", "--filter", "5", "--stride", "2")
    assert result.exit_code == 3  # (32 − 5)/2 + 1 = 14.5: does not fit, as with a lower-case x
    assert "(32 − 5 + 2·0)/2 + 1 = 14.5" in result.output and "Doesn't fit" in result.output


@pytest.mark.parametrize("text", ["22a4", "2Hx7", "7x3b"])
def test_a_part_mixing_digits_and_letters_is_an_error_with_a_hint(text: str) -> None:
    result = CliRunner().invoke(main, ["check", "--input", text])
    assert result.exit_code == 1 and "mixes digits and letters" in result.output


def test_a_symbolic_check_whose_numeric_axis_never_fits_is_a_negative_answer() -> None:
    result = run("check", "--input", "Nx8", "--stride", "2")  # (8 − 3)/2 + 1 = 3.5 on the width
    assert result.exit_code == 3 and "Never fits" in result.output


# --- YAML 1.1 numbers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("written", "why"), [("064", "octal to YAML 1.1 (52, not 64); write 64"),
                                              ("1:30", "base-60 number (90)"),
                                              ("0x10", "hexadecimal number (16)"),
                                              ("0b11", "binary number (3)")])
def test_numbers_are_read_as_people_write_them(tmp_path, written: str, why: str) -> None:
    result = CliRunner().invoke(main, ["summarize", spec_with(tmp_path, written)])
    assert result.exit_code == 1 and why in result.output and "net.yaml:4" in result.output


def test_underscores_group_digits(tmp_path) -> None:
    data = json.loads(run("summarize", spec_with(tmp_path, "1_000"), "--format", "json").output)
    assert data["layers"][0]["params"] == 3 * 1000 + 1000  # a 1x1 conv: (1*1*3)*1000 + 1000


def test_an_exponent_without_a_dot_gets_a_hint(tmp_path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("name: t\ninput: 8x8x3\nlayers:\n  - dropout: {p: 1e-3}\n")
    result = CliRunner().invoke(main, ["summarize", str(path)])
    assert result.exit_code == 1 and "write 0.001 or 1.0e-3" in result.output


# --- the last-resort paths of the command line -------------------------------------------------------------------

@pytest.mark.parametrize(("raised", "code", "said"), [(RuntimeError("boom"), 70, "internal error (RuntimeError: boom)"),
                                                      (KeyboardInterrupt(), 130, ""),
                                                      (BrokenPipeError(), 141, "")])
def test_unexpected_ends_have_their_own_exit_codes(monkeypatch: pytest.MonkeyPatch, raised: BaseException,
                                                   code: int, said: str) -> None:
    from cnncalc.writers import terminal

    def fail(*_args: object, **_kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(terminal, "show", fail)
    result = CliRunner().invoke(main, ["summarize", ALEX])
    assert result.exit_code == code
    assert "Traceback" not in result.output
    if said:
        assert said in result.output and "please report it" in result.output
    else:
        assert result.output == ""


# --- files and names -----------------------------------------------------------------------------------------------

def test_a_vector_spec_is_not_swept_as_images(tmp_path) -> None:
    """An MLP on 784 values has 784*10 + 10 = 7,850 params; sweeping it as 784xNxN images would be wrong."""
    path = tmp_path / "mlp.yaml"
    path.write_text("name: mlp\ninput: 784\nlayers:\n  - fc: {units: 10}\n")
    result = CliRunner().invoke(main, ["sweep", str(path)])
    assert result.exit_code == 1 and "a vector of 784 values, not an image" in result.output


def test_a_fifo_is_refused_before_it_is_opened(tmp_path) -> None:
    import os

    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)  # no writer: open() would block for ever
    result = CliRunner().invoke(main, ["summarize", str(fifo)])
    assert result.exit_code == 1 and "is not a regular file" in result.output


def test_a_file_name_too_long_for_the_system_is_an_error() -> None:
    result = CliRunner().invoke(main, ["summarize", "a" * 300 + ".yaml"])
    assert result.exit_code == 1 and "Traceback" not in result.output and "(305 characters)" in result.output


@pytest.mark.parametrize("name", ["input", "TOTAL", "add", "concat", "shortcut"])
def test_names_of_cnncalcs_own_rows_are_refused(tmp_path, name: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(f"name: t\ninput: 8x8x4\nlayers:\n  - residual:\n      body:\n        - name: {name}\n"
                    "          conv: {filters: 4, kernel: 3, pad: 1}\n")
    result = CliRunner().invoke(main, ["summarize", str(path)])
    assert result.exit_code == 1 and f"{name!r} is the name of" in result.output and "net.yaml:6" in result.output


# --- answers files -------------------------------------------------------------------------------------------------

def grade_of(tmp_path, body: str):
    path = tmp_path / "answers.yaml"
    path.write_text("title: t\nquestions:\n" + body)
    return CliRunner().invoke(main, ["grade", str(path)])


def test_a_dtype_that_is_not_a_name_is_an_error(tmp_path) -> None:
    result = grade_of(tmp_path, "  - id: b\n    input: 7x7\n    dtype: [fp32]\n    layer: {conv: {kernel: 3}}\n"
                                "    output: 5x5\n")
    assert result.exit_code == 1 and "questions[0].dtype: must be one of fp32" in result.output


def test_commas_group_three_digits(tmp_path) -> None:
    """(3*3*1)*10 + 10 = 100 params; '7,6,0' is not 760 (nor anything): it is refused."""
    result = grade_of(tmp_path, "  - id: c\n    input: 7x7\n    layer: {conv: {filters: 10, kernel: 3}}\n"
                                "    params: 7,6,0\n")
    assert result.exit_code == 1 and "cannot read '7,6,0'" in result.output
    assert grade_of(tmp_path, "  - id: c\n    input: 7x7\n    layer: {conv: {filters: 10, kernel: 3}}\n"
                              "    params: 1,000\n").exit_code == 3  # read as 1000: wrong, graded


def test_a_block_answered_with_a_size_is_graded(tmp_path) -> None:
    """ResNet-18's conv2_x gives 56x56x64 (the paper's Table 1): '56' is spatially right, and said so."""
    result = grade_of(tmp_path, f"  - id: d\n    spec: {SPECS / 'resnet18.yaml'}\n"
                                "    layers: {conv2_x: {output: 56}}\n")
    assert result.exit_code == 3 and "spatially right, but the output volume is 56x56x64" in result.output


# --- names are text in every writer ----------------------------------------------------------------------------

HOSTILE_NAME = 'a [/] [bold]b\\x1b[31mred\\n%\\n\\\\input{/etc/passwd}'


def hostile_spec(tmp_path) -> str:
    path = tmp_path / "m.yaml"
    path.write_text(f'name: "{HOSTILE_NAME}"\ninput: 8x8x3\nlayers:\n  - conv: {{filters: 4, kernel: 3, '
                    'name: "c[/]\\nx|y"}\n')
    return str(path)


@pytest.mark.parametrize("command", ["summarize", "memory", "table", "sweep", "explain"])
@pytest.mark.parametrize("fmt", ["table", "markdown", "latex", "csv"])
def test_names_are_never_markup_nor_control_codes(tmp_path, command: str, fmt: str) -> None:
    args = [command, hostile_spec(tmp_path), "--format", fmt] + (["--input", "8:8:1"] if command == "sweep" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "\x1b" not in out and "Traceback" not in out
    if fmt == "latex":  # the name sits in a % comment: a line break there would make the rest live LaTeX
        assert not any(line.startswith("\\input") for line in out.splitlines())
    if fmt == "markdown":
        assert not any(line.startswith("x") for line in out.splitlines())  # the name's line break stays in its cell
    if fmt == "table" and command != "sweep":
        assert "[/]" in out  # shown, not taken for rich markup


# --- --plot: checked before any work --------------------------------------------------------------------------

def test_plot_names_the_file_it_really_writes(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(main, ["summarize", ALEX, "--plot", "out"])
    assert first.exit_code == 0 and "Wrote out.png" in first.stderr and (tmp_path / "out.png").stat().st_size
    again = CliRunner().invoke(main, ["summarize", ALEX, "--plot", "out.png"])
    assert "Replaced out.png" in again.stderr  # an existing file is not overwritten without a word


@pytest.mark.parametrize(("target", "said"), [("nodir/x.png", "the folder 'nodir' does not exist"),
                                              ("x.txt", "is not a .png name"),
                                              ("a" * 300 + ".png", "too long (at most 255)")])
def test_plot_refuses_a_target_it_cannot_write(tmp_path, monkeypatch: pytest.MonkeyPatch, target: str,
                                               said: str) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["sweep", ALEX, "--input", "227", "--plot", target])
    assert result.exit_code == 1 and said in result.output and "Traceback" not in result.output


# --- verify refuses what would not fit, before torch allocates ------------------------------------------------------

def test_verify_refuses_a_huge_allocation_before_torch_is_asked(tmp_path) -> None:
    """100,000 x 100,000 x 3 fp32 is 120 GB before the first layer: refused in well under a second."""
    path = tmp_path / "big.yaml"
    path.write_text("name: big\ninput: 100000x100000x3\nlayers:\n  - conv: {filters: 2, kernel: 3}\n")
    result = CliRunner().invoke(main, ["verify", str(path), "--device", "cpu"])
    assert result.exit_code == 1 and "more than the 8 GB (7.45 GiB) verify allows" in result.output
    assert CliRunner().invoke(main, ["verify", str(path), "--device", "meta"]).exit_code == 0  # nothing allocated


def test_verify_refuses_sizes_past_int64(tmp_path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text("name: wide\ninput: 18446744073709551616x2x3\nlayers:\n  - conv: {filters: 2, kernel: 1}\n")
    result = CliRunner().invoke(main, ["verify", str(path), "--device", "meta"])
    assert result.exit_code == 1 and "past torch's int64 sizes" in result.output


def test_an_empty_spec_argument_names_itself() -> None:
    result = CliRunner().invoke(main, ["summarize", ""])
    assert result.exit_code == 1 and "the SPEC argument is empty" in result.output


def test_a_total_without_the_softmax_is_explained(tmp_path) -> None:
    """The slides' VGG-16 rows add up to 15,237,608 values; with the soft-max's 1,000 outputs, 15,238,608."""
    result = grade_of(tmp_path, f"  - id: q17\n    spec: {SPECS / 'vgg16.yaml'}\n    no_bias: true\n"
                                "    totals: {memory: 15237608}\n")
    assert result.exit_code == 3
    assert "15237608 leaves out the soft-max's 1,000 outputs (as the slides' table does)" in result.output
    assert "15,238,608" in result.output
