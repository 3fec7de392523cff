"""Hostile input cannot hurt the machine: no object is built from a YAML tag, alias bombs and deep nesting are
refused in well under a second, and enormous sizes are either computed exactly (Python integers do not overflow)
or refused with a stated limit (cnncalc/limits.py, docs/robustness.md). Nothing may take more than a couple of
seconds, and nothing allocates in proportion to a number the user typed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import pytest
from spec_errors import error, run_cli

from cnncalc import loads_spec
from cnncalc.errors import SpecError
from cnncalc.limits import MAX_ROWS

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 2.0  # "nothing runs for more than a second or two"
LIMIT = "2^64 (18,446,744,073,709,551,616)"


class Clock:
    def __enter__(self) -> Self:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.perf_counter() - self.start
        assert self.elapsed < SECONDS, f"took {self.elapsed:.2f} s"


# --- YAML itself ---------------------------------------------------------------------------------------------------------

BILLION_LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi")) + "input: 8x8x3\nlayers: [relu]\n"


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    assert BILLION_LAUGHS.count("*") == 72  # 9 levels of 9 aliases each: 9^9 = 387,420,489 strings if expanded
    with Clock():
        message = error(tmp_path, BILLION_LAUGHS)
    assert message == "Error: bad.yaml:1: more than 100,000 YAML nodes (an alias bomb?); refused\n"


def test_a_file_of_a_million_tiny_items_is_refused_before_it_is_built(tmp_path: Path) -> None:
    text = "input: 8x8x3\nlayers:\n" + "  - relu\n" * 1_000_000  # 9 MB, under the size limit
    with Clock():
        message = error(tmp_path, text)
    assert message == "Error: bad.yaml:99998: more than 100,000 YAML nodes; refused\n"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with Clock():
        message = error(tmp_path, None, "/dev/zero")
    assert message == "Error: /dev/zero: is not a regular file (a pipe, a device or a socket); save the spec to a file\n"


def test_a_file_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 10_000_001)
    with Clock():
        message = error(tmp_path, None, str(big))
    assert message == f"Error: {big}: file is larger than 10,000,000 bytes\n"


def run_subprocess(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """A separate interpreter: if deep nesting ever crashed it again (a segfault in libyaml's recursive
    composer), this test would fail instead of killing the test run."""
    (tmp_path / "deep.yaml").write_text(text)
    return subprocess.run([sys.executable, "-m", "cnncalc", "summarize", "deep.yaml"], cwd=tmp_path, text=True,
                          capture_output=True, timeout=30, check=False, env={"PYTHONPATH": str(ROOT), "PATH": ""})


@pytest.mark.parametrize(("text", "line"), [
    ("input: " + "[" * 50_000 + "]" * 50_000 + "\nlayers: [relu]\n", 1),  # 100 KB; used to be a segfault
    ("input: 8x8x3\nlayers: [relu]\nx:\n" + "".join(" " * i + "y:\n" for i in range(1, 100)), 67),
    ("input: " + "{a: " * 1000 + "1" + "}" * 1000 + "\nlayers: [relu]\n", 1),
], ids=["brackets", "indentation", "flow-mappings"])
def test_deep_nesting_is_refused_quickly(tmp_path: Path, text: str, line: int) -> None:
    start = time.perf_counter()
    done = run_subprocess(tmp_path, text)
    assert time.perf_counter() - start < 10  # an interpreter start included
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"Error: deep.yaml:{line}: nested deeper than 64 levels; refused\n"


@pytest.mark.parametrize(("value", "tag"), [
    ("!!python/object/apply:os.system ['touch pwned']", "tag:yaml.org,2002:python/object/apply:os.system"),
    ("!!python/object/new:os.system ['touch pwned']", "tag:yaml.org,2002:python/object/new:os.system"),
    ("!!python/name:os.system ''", "tag:yaml.org,2002:python/name:os.system"),
    ("!!python/module:os ''", "tag:yaml.org,2002:python/module:os"),
    ("!custom {a: 1}", "!custom"),
    ("!!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
    ("!!set {a, b}", "tag:yaml.org,2002:set"),
    ("!!timestamp 2001-12-14", "tag:yaml.org,2002:timestamp"),
], ids=["apply", "new", "name", "module", "custom", "binary", "set", "timestamp"])
def test_tags_build_no_objects(tmp_path: Path, value: str, tag: str) -> None:
    message = error(tmp_path, f"input: 8x8x3\nlayers: [relu]\ndescription: {value}\n")
    assert message == f"Error: bad.yaml:3: description: YAML tag {tag!r} is not allowed in a spec\n"
    assert not (tmp_path / "pwned").exists()


def test_merge_keys_are_refused_too(tmp_path: Path) -> None:
    text = "input: 8x8x3\nbase: &b {filters: 4}\nlayers:\n  - conv: {<<: *b, kernel: 3}\n"
    assert error(tmp_path, text) == \
        "Error: bad.yaml:4: layers[0].conv: YAML tag 'tag:yaml.org,2002:merge' is not allowed in a spec\n"


# --- enormous sizes: exact, or refused with the limit ----------------------------------------------------------------------

def summary(tmp_path: Path, text: str, *args: str) -> dict:  # type: ignore[type-arg]
    with Clock():
        result = run_cli(tmp_path, text, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_trillion_pixels_a_side_is_exact(tmp_path: Path) -> None:
    t = 10**12
    data = summary(tmp_path, f"input: [1, {t}, {t}]\nlayers:\n  - conv: {{filters: 1, kernel: 1, bias: false}}\n")
    totals = data["totals"]
    assert totals["macs"] == t * t == 10**24  # one multiply-accumulate per output pixel
    assert totals["activations"] == 2 * 10**24  # the input and the output
    assert totals["forward_bytes"] == 8 * 10**24  # fp32
    assert totals["params"] == 1


def test_a_width_of_2_to_the_64_is_exact_all_the_way_down(tmp_path: Path) -> None:
    w = 2**64
    data = summary(tmp_path, f"input: [1, 1, {w}]\nlayers:\n  - conv: {{filters: 3, kernel: [1, 2], stride: [1, 2]}}\n"
                             "  - maxpool: {kernel: [1, 2]}\n  - fc: {units: 5}\n", "--batch", str(w))
    conv, pool, fc = data["layers"]
    assert conv["output"] == [3, 1, w // 2]  # (2^64 − 2)/2 + 1
    assert conv["macs"] == 1 * (w // 2) * 3 * (1 * 2 * 1)
    assert pool["output"] == [3, 1, w // 4]
    assert fc["weights"] == 3 * (w // 4) * 5 and fc["biases"] == 5
    activations = w + 3 * (w // 2) + 3 * (w // 4) + 5  # the input, conv, pool, fc
    totals = data["totals"]
    assert totals["activations"] == activations == 13 * 2**62 + 5
    assert totals["params"] == (6 + 3) + 3 * (w // 4) * 5 + 5
    assert totals["macs"] == 3 * w + 15 * 2**62 == 27 * 2**62
    assert totals["forward_bytes"] == activations * 4 * w  # 2^64 samples of fp32: 4.4 × 10^39 bytes, exactly


def test_the_table_prints_the_exact_totals(tmp_path: Path) -> None:
    with Clock():
        result = run_cli(tmp_path, "input: [1, 1, 18446744073709551616]\nlayers: [relu, FC-2]\n")
    assert result.exit_code == 0
    assert "Total params:        36,893,488,147,419,103,234 " in result.stdout  # 2^64·2 weights + 2 biases
    assert "Total MACs:          36,893,488,147,419,103,232 " in result.stdout


@pytest.mark.parametrize(("text", "line", "field", "got"), [
    ("input: [1, 1, 18446744073709551617]\nlayers: [relu]\n", 1, "input",
     "sizes must be at most " + LIMIT + ", got 18446744073709551617"),
    ("input: 8x8x3\nlayers:\n  - conv: {filters: 18446744073709551617, kernel: 1}\n", 3, "layers[0].conv.filters",
     "must be at most " + LIMIT + ", got 18446744073709551617"),
    ("input: 8x8x3\nlayers:\n  - conv: {filters: 4, kernel: 1, stride: [1, 100000000000000000000]}\n", 3,
     "layers[0].conv.stride", "must be at most " + LIMIT + ", got 100000000000000000000"),
    ("input: 8x8x3\nlayers:\n  - zeropad: {pad: 100000000000000000000000000000000000000000000000000000000000000000}\n",
     3, "layers[0].zeropad.pad", "must be at most " + LIMIT + ", got a number of about 10^65"),
], ids=["input", "filters", "stride", "pad"])
def test_sizes_beyond_2_to_the_64_are_refused(tmp_path: Path, text: str, line: int, field: str, got: str) -> None:
    assert error(tmp_path, text) == f"Error: bad.yaml:{line}: {field}: {got}\n"


def test_a_number_of_thousands_of_digits_is_refused_before_it_is_converted(tmp_path: Path) -> None:
    with Clock():
        message = error(tmp_path, "input: 8x8x3\nlayers:\n  - fc: {units: " + "9" * 100_000 + "}\n")
    assert message == ("Error: bad.yaml:3: layers[0].fc.units: a number written with 100,000 digits is too large for "
                       "any field (sizes are at most 2^64)\n")


@pytest.mark.parametrize(("text", "line", "field", "shape"), [
    ("input: [1, 1, 9223372036854775808]\nlayers:\n  - deconv: {filters: 1, kernel: 1, stride: 4}\n", 3,
     "deconv1", "1x36893488147419103229x1"),  # (2^63 − 1)·4 + 1
    ("input: [1, 1, 1]\nlayers:\n  - {name: d, dense: {count: 70, body: [relu]}}\n", 3, "d.64",
     "1x1x36893488147419103232"),  # a body that keeps the channels doubles them: 2^65 after 65 joins
    ("input: [1, 1, 18446744073709551616]\nlayers:\n  - zeropad: {pad: [0, 0, 0, 1]}\n", 3, "zeropad1",
     "1x18446744073709551617x1"),
], ids=["deconv", "dense-doubling", "zeropad"])
def test_computed_sizes_beyond_2_to_the_64_are_refused(tmp_path: Path, text: str, line: int, field: str,
                                                       shape: str) -> None:
    with Clock():
        message = error(tmp_path, text)
    assert message == f"Error: bad.yaml:{line}: {field}: output would be {shape}: no tensor axis can be longer than " \
                      f"{LIMIT}\n"


@pytest.mark.parametrize(("option", "value"), [("--batch", "18446744073709551617"), ("--input", "18446744073709551617")])
def test_command_line_sizes_beyond_the_limit(tmp_path: Path, option: str, value: str) -> None:
    field = "batch" if option == "--batch" else "--input"
    what = "" if option == "--batch" else "sizes "
    assert error(tmp_path, "input: 8x8x3\nlayers: [relu]\n", option, value) == \
        f"Error: {field}: {what}must be at most {LIMIT}, got {value}\n"


def test_adaptive_pooling_to_a_trillion_allocates_nothing(tmp_path: Path) -> None:
    t = 10**12
    # Upsampling 2x2 to t×t (t even): every window is one pixel, so the window lengths add up to t per axis.
    data = summary(tmp_path, f"input: 2x2x1\nlayers:\n  - adaptive_avgpool: {{output: {t}}}\n")
    assert data["layers"][0]["output"] == [1, t, t] and data["layers"][0]["flops"] == t * t
    # Downsampling t×t to 2x2: two windows of t/2 each, so again t per axis.
    data = summary(tmp_path, f"input: [1, {t}, {t}]\nlayers:\n  - adaptive_avgpool: {{output: 2}}\n")
    assert data["layers"][0]["flops"] == t * t


def test_receptive_fields_of_huge_strides_stop_growing(tmp_path: Path) -> None:
    """10,000 strides of 2^64 would make a jump of 640,000 bits; beyond 2^64 the field is shown as unknown."""
    text = "input: [1, 1, 1]\nlayers:\n  - {repeat: 10000, conv: {filters: 1, kernel: 1, stride: 18446744073709551616}}\n"
    data = summary(tmp_path, text, "--receptive-field")
    fields = [row["receptive_field"] for row in data["layers"]]
    assert fields[0]["jump"] == [2**64, 2**64] and fields[1] is None and fields[-1] is None


# --- repeats, blocks and expressions: no work in proportion to a count ---------------------------------------------------

def test_nested_repeats_multiply_and_are_refused_before_any_row_is_analysed(tmp_path: Path) -> None:
    text = ("input: 8x8x3\nblocks:\n  inner: {layers: [{repeat: 1000000, relu: }]}\n"
            "layers:\n  - {repeat: 1000000, inner: }\n")
    with Clock():
        message = error(tmp_path, text)
    assert message == ("Error: bad.yaml:5: layers[0]: expands to 1,000,000,000,000 layers and joins; at most 100,000 "
                       "can be analysed\n")


def test_the_row_limit_is_exact() -> None:
    unit = "input: 8x8x3\nblocks:\n  unit: {layers: [relu, relu]}\nlayers:\n  - {repeat: %d, unit: }\n"
    with Clock():
        loads_spec(unit % (MAX_ROWS // 2))  # 100,000 rows: accepted (analysing it is the benchmark's second)
        with pytest.raises(SpecError, match="expands to 100,002 layers and joins; at most 100,000 can be analysed"):
            loads_spec(unit % (MAX_ROWS // 2 + 1))


@pytest.mark.parametrize(("item", "message"), [
    ("{repeat: 1000001, relu: }", "layers[0].repeat: must be a whole number from 0 to 1,000,000, got 1000001"),
    ("{repeat: 100000000000000000000, relu: }",
     "layers[0].repeat: must be a whole number from 0 to 1,000,000, got 100000000000000000000"),
    ("dense: {count: 1000000, body: [relu]}", ("layers[0]: expands to 2,000,000 layers and joins; at most 100,000 can "
                                              "be analysed")),
    ("dense: {count: 1000001, body: [relu]}", "layers[0].dense.count: must be at most 1,000,000"),
], ids=["repeat", "repeat-huge", "dense-rows", "dense-count"])
def test_counts(tmp_path: Path, item: str, message: str) -> None:
    with Clock():
        assert error(tmp_path, f"input: 8x8x3\nlayers:\n  - {item}\n") == f"Error: bad.yaml:3: {message}\n"


def test_a_block_used_twice_in_a_block_used_twice_thirty_deep_is_refused(tmp_path: Path) -> None:
    blocks = "".join(f"  b{i}: {{layers: [b{i + 1}, b{i + 1}]}}\n" for i in range(30))  # 2^30 relus if expanded
    with Clock():
        message = error(tmp_path, f"input: 8x8x3\nblocks:\n{blocks}  b30: {{layers: [relu]}}\nlayers: [b0]\n")
    assert message.startswith("Error: bad.yaml:")
    assert message.endswith(": the spec builds more than 50,000 layers and containers, each use of a block counted "
                            "anew; refused (write long runs with 'repeat')\n")


def test_a_chain_of_500_blocks_is_refused_without_exhausting_the_stack(tmp_path: Path) -> None:
    blocks = "".join(f"  b{i}: {{layers: [b{i + 1}]}}\n" for i in range(500))
    message = error(tmp_path, f"input: 8x8x3\nblocks:\n{blocks}  b500: {{layers: [relu]}}\nlayers: [b0]\n")
    assert message == "Error: bad.yaml:50: blocks.b47.layers[0]: containers and blocks are nested more than 48 deep\n"


@pytest.mark.parametrize(("expression", "message"), [
    ("$'a' * n", "\"$'a' * n\": * needs numbers, got the text 'a'"),  # a string of 2^64 characters, refused
    ("$n * n * n * n * n * n * n * n", "must be at most " + LIMIT + ", got a number of about 10^154"),
    ("$" + "-" * 5000 + "1", "the expression is 5,001 characters long; at most 200 are allowed"),
    ("$" + "(" * 150 + "n" + ")" * 150, "the expression is 301 characters long; at most 200 are allowed"),
    ("$" + "(" * 97 + "n + 1" + ")" * 97, "must be at most " + LIMIT + ", got 18446744073709551617"),
    ("$n / 3 * 1.0", "must be a whole number, got a number with a fraction (6.148914691236517e+18)"),
], ids=["repeated-text", "huge-product", "long", "parentheses", "nested-but-short", "float"])
def test_expressions_cannot_blow_up(tmp_path: Path, expression: str, message: str) -> None:
    text = (f"input: 8x8x3\nblocks:\n  b:\n    args: [n]\n    layers:\n      - fc: {{units: \"{expression}\"}}\n"
            "layers:\n  - b: 18446744073709551616\n")
    with Clock():
        assert error(tmp_path, text) == f"Error: bad.yaml:6: blocks.b.layers[0].fc.units: {message}\n"


def test_paper_figures_with_huge_exponents_are_refused(tmp_path: Path) -> None:
    with Clock():
        message = error(tmp_path, "input: 8x8x3\nlayers: [relu]\npaper: {params: 1e999999999}\n")
    assert message == ("Error: bad.yaml:3: paper.params: cannot read '1e999999999' as a number: at most 60 digits "
                       "and an exponent within ±60\n")


# --- the other commands ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    (["--input", "1000000000000", "--filter", "999999999999", "--stride", "7"],
     "input 999999999999 or 1000000000006"),  # (10^12 − (10^12 − 1))/7 + 1 = 1.14: the nearest inputs that tile
    (["--input", "1000000000000", "--stride", "1000000000000"], "input 3 or 1000000000003"),
    (["--input", "18446744073709551616", "--filter", "18446744073709551616", "--pad", "18446744073709551616"],
     "= 36893488147419103233"),  # (2^64 − 2^64 + 2·2^64)/1 + 1 = 2^65 + 1
], ids=["huge-filter", "huge-stride", "2-to-the-64"])
def test_check_never_loops_over_a_size(tmp_path: Path, args: list[str], expected: str) -> None:
    with Clock():
        result = run_cli(tmp_path, None, *args, command="check")
    assert result.exit_code in (0, 3) and expected in result.stdout


def test_collapsing_a_dense_block_by_depth_terminates(tmp_path: Path) -> None:
    """A dense block's join rows (`denseblock1.0.concat`) are recorded after the module they are named under;
    grouping them into it used to send the row index backwards, for ever (found by fuzz/fuzz_cli.py)."""
    text = (ROOT / "specs" / "densenet121.yaml").read_text()
    with Clock():
        result = run_cli(tmp_path, text, "--depth", "2", "--format", "markdown")
    assert result.exit_code == 0
    assert "| denseblock1.0 | dense_layer |" in result.stdout and "| denseblock1.0.concat | concat " in result.stdout


def test_symbolic_input_through_a_residual_of_vectors(tmp_path: Path) -> None:
    """Receptive fields of flattened inputs are sympy expressions with a symbolic input; joining two of them
    used to put a sympy size into a Fraction (found by fuzz/fuzz_cli.py)."""
    text = "input: 8x8x3\nlayers:\n  - FC-16\n  - residual: {body: [FC-16], shortcut: [FC-16]}\n"
    assert run_cli(tmp_path, text, "--input", "HxWx3").exit_code == 0


def test_letters_that_are_no_name_are_a_mistyped_size(tmp_path: Path) -> None:
    assert error(tmp_path, "input: 22ax3x3\nlayers: [relu]\n") == (
        "Error: bad.yaml:1: input: cannot read '22a' in '22ax3x3': a size is a number (32) and a symbol a name that "
        "starts with a letter (H, W2); this part mixes digits and letters\n")


def test_check_refuses_beyond_the_limit(tmp_path: Path) -> None:
    assert error(tmp_path, None, "--input", "7", "--stride", "18446744073709551617", command="check") == \
        f"Error: stride: must be at most {LIMIT}, got 18446744073709551617\n"
    assert error(tmp_path, None, "--input", "9" * 5000, command="check") == \
        f"Error: --input: a size of 5,000 digits; sizes are at most {LIMIT}\n"


def test_sweep_work_is_bounded(tmp_path: Path) -> None:
    text = "input: 8x8x3\nblocks:\n  u: {layers: [relu, relu]}\nlayers:\n  - {repeat: 1000, u: }\n"
    with Clock():
        message = error(tmp_path, text, "--input", "8:107", command="sweep")
    assert message == "Error: --input: 100 points of 2,000 rows each is more than 100,000 rows to analyse; use a " \
                      "larger step\n"
    assert error(tmp_path, text, "--input", "1:100000", command="sweep") == \
        "Error: --input: more than 2,000 values; use a larger step\n"


def test_symbolic_sizes_are_bounded(tmp_path: Path) -> None:
    text = "input: 8x8x3\nlayers:\n  - {repeat: 2001, conv: {filters: 3, kernel: 1}}\n"
    with Clock():
        message = error(tmp_path, text, "--input", "HxWx3")
    assert message == ("Error: input: this network has 2,001 rows; formulas are worked out for at most 2,000 (give the "
                       "input as numbers)\n")
