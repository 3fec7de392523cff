"""Symbolic sizes: formulas in the input size, solved fit conditions, and the identity with numeric results."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS
from cnncalc import analyze, load_spec
from cnncalc.arithmetic.symbolic_sizes import symbol
from cnncalc.spec.symbolic_input import parse_symbolic_input
from cnncalc.symbolic import analyze_symbolic, check_symbolic, evaluate, human, python


def test_alexnet_conv1_formula_as_a_person_writes_it() -> None:
    report = analyze_symbolic(load_spec(SPECS / "alexnet.yaml"), parse_symbolic_input("HxWx3"))
    conv1 = report.layers[0]
    assert human(conv1.output[1]) == "floor((H − 11)/4) + 1"  # the slides' (N − F)/S + 1, rounded down
    assert python(conv1.output[1]) == "((H - 11)//4) + 1"
    assert human(conv1.macs) == "34848·(floor((H − 11)/4) + 1)·(floor((W − 11)/4) + 1)"  # (11·11·3)·96 per position


def test_alexnet_every_layer_tiles_when_h_is_227_mod_32() -> None:
    report = analyze_symbolic(load_spec(SPECS / "alexnet.yaml"), parse_symbolic_input("HxWx3"))
    (h, w) = report.solutions
    # By hand: conv1 needs H ≡ 11 (mod 4); pool1, pool2, pool3 double the modulus each time (strides 4·2·2·2 = 32),
    # and 227 = 7·32 + 3 tiles, so H ≡ 3 (mod 32); the classifier's input (fc6) is left free.
    assert (h.residue, h.modulus) == (3, 32) and (w.residue, w.modulus) == (3, 32)
    assert h.sizes(227) == [227, 195, 259]
    assert h.smallest_valid == 67  # derived by hand in tests/test_sweep.py::test_smallest_valid_input
    failure = report.first_failure({"H": 224, "W": 224})
    assert failure.layer == "conv1" and (failure.residue, failure.modulus) == (3, 4)  # 224 − 11 = 213 ≢ 0 (mod 4)


def test_check_with_a_symbol() -> None:
    n = symbol("N")
    result = check_symbolic(n, n, kernel=3, stride=3, pad=0)
    (solution,) = result.solutions
    assert (solution.residue, solution.modulus, solution.smallest_valid) == (0, 3, 3)  # N ≡ 0 (mod 3), N ≥ 3


def test_check_cli(run) -> None:  # noqa: ANN001
    result = run("check", "--input", "N", "--filter", "3", "--stride", "3")
    assert result.exit_code == 0
    assert "Fits when N ≡ 0 (mod 3), N ≥ 3" in result.output
    data = json.loads(run("check", "--input", "N", "--filter", "3", "--stride", "3", "--format", "json").output)
    assert data["fits_when"] == ["N % 3 == 0"] and data["smallest_valid"] == {"N": 3}
    never = run("check", "--input", "Nx32", "--filter", "5", "--stride", "2", "--pad", "1")
    assert "Never fits: the width: (32 − 5 + 2·1)/2 + 1 = 15.5" in never.output


def test_summarize_cli_symbolic(run) -> None:  # noqa: ANN001
    result = run("summarize", SPECS / "alexnet.yaml", "--input", "HxWx3", "--why", "224")
    assert result.exit_code == 0
    assert "Every layer tiles exactly when H ≡ 3 (mod 32); near 227: 195, 227, 259" in result.output
    assert "224 does not tile: conv1 (height) needs H − 11 ≡ 0 (mod 4), i.e. H ≡ 3 (mod 4), and 224 ≡ 0" in \
        result.output
    data = json.loads(run("summarize", SPECS / "alexnet.yaml", "--input", "HxWx3", "--format", "json").output)
    assert data["layers"][0]["output"] == ["96", "((H - 11)//4) + 1", "((W - 11)//4) + 1"]
    assert data["solutions"]["H"] == {"residue": 3, "modulus": 32, "smallest_valid": 67, "near": [227, 195, 259],
                                      "unsolved": []}
    other = run("memory", SPECS / "alexnet.yaml", "--input", "HxWx3")
    assert other.exit_code == 1 and "has symbols" in other.stderr


@pytest.mark.parametrize("name", sorted(p.stem for p in SPECS.glob("*.yaml")))
def test_substituting_numbers_gives_the_numeric_results(name: str) -> None:
    spec = load_spec(SPECS / f"{name}.yaml")
    c = spec.input[0]
    report = analyze_symbolic(spec, (c, symbol("H"), symbol("W")))
    size = spec.input[1]
    for h, w in ((size, spec.input[2]), (size + 1, size + 37)):  # the spec's own size, and a non-square one
        numeric = analyze(spec, input_shape=(c, h, w), suggest=False)
        values = {"H": h, "W": w}
        assert len(numeric.layers) == len(report.layers)
        for s, n in zip(report.layers, numeric.layers):
            got = tuple(evaluate(python(d), values) for d in s.output)
            assert got == n.output, (name, h, w, n.name)
            for field in ("weights", "biases", "activations", "macs", "flops"):
                assert evaluate(python(getattr(s, field)), values) == getattr(n, field), (name, h, w, n.name, field)
        # and the solved conditions agree with the numeric tiling warnings
        first = report.first_failure(values)
        assert (first is None) == (not numeric.warnings), (name, h, w)


def test_solutions_agree_with_numeric_tiling() -> None:
    for name in ("vgg16", "resnet50", "googlenet", "densenet121"):
        spec = load_spec(SPECS / f"{name}.yaml")
        (h, _w) = analyze_symbolic(spec, (3, symbol("H"), symbol("W"))).solutions
        for n in range(h.smallest_valid, h.smallest_valid + 2 * h.modulus):
            tiles = not analyze(spec, input_shape=(3, n, n), suggest=False).warnings
            assert tiles == ((n - h.residue) % h.modulus == 0), (name, n)
        assert analyze(spec, input_shape=(3, h.smallest_valid, h.smallest_valid), suggest=False)
        with pytest.raises(Exception):
            analyze(spec, input_shape=(3, h.smallest_valid - 1, h.smallest_valid - 1), suggest=False)


def test_numeric_commands_do_not_import_sympy() -> None:
    code = ("import sys; from cnncalc.cli import main; from click.testing import CliRunner; "
            f"CliRunner().invoke(main, ['summarize', r'{SPECS / 'vgg16.yaml'}']); print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_symbolic_shapes_are_written_with_separators_that_cannot_be_misread(run, tmp_path) -> None:  # noqa: ANN001
    """Issue 15: each axis's formula in parentheses and the axes joined by ' × ', in tables and in errors. AlexNet's
    conv1 is (H − 11)/4 + 1 high (the slides' formula), its pool1 floor((H − 11)/8) (a 3x3/2 window on it)."""
    out = run("summarize", SPECS / "alexnet.yaml", "--input", "HxWx3").output
    assert "(floor((H − 11)/4) + 1) × (floor((W − 11)/4) + 1) × 96" in out
    assert "floor((H − 11)/8) × floor((W − 11)/8) × 96" in out
    assert "1xfloor" not in out and "+ 1x" not in out
    spec = tmp_path / "branches.yaml"
    spec.write_text("input: HxWx3\nlayers: [{conv: {filters: 8, kernel: 3, stride: 2}}, "
                    "{concat: [[{conv: {filters: 2, kernel: 3}}], [{conv: {filters: 2, kernel: 1}}]]}]\n")
    result = run("summarize", spec)
    assert result.exit_code == 1
    assert "((floor((H − 3)/2) − 1) × (floor((W − 3)/2) − 1) × 2)" in result.output
