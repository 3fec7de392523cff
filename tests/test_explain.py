"""`cnncalc explain`: the slides' worked solutions, with the numbers filled in by the calculator.

The formulas asserted are the slides' own ("Hint: (227-11)/4+1 = 55", "Parameters: (11*11*3)*96 = 35K",
"memory: 224*224*64=3.2M"); the receptive fields are Araujo et al.'s published values (AlexNet 195, VGG16 212).
"""

from __future__ import annotations

import json

import pytest
from conftest import SPECS

from cnncalc import analyze, load_spec
from cnncalc.explain import Solution, explain
from cnncalc.views.explain import step_text


def solutions(name: str, only: str | None = None, **kwargs: object) -> dict[str, Solution]:
    spec = load_spec(SPECS / name)
    report = analyze(spec, **kwargs)  # type: ignore[arg-type]
    return {s.name: s for s in explain(spec, report, only).layers}


def step(solution: Solution, label: str):
    return next(s for s in solution.steps if s.label == label)


def test_alexnet_conv1_as_the_slides_work_it() -> None:
    conv1 = solutions("alexnet.yaml", "conv1")["conv1"]
    size = step(conv1, "Output size")
    assert size.formula == "(227 − 11 + 2·0)/4 + 1" and size.value == 55  # "Hint: (227-11)/4+1 = 55"
    assert step(conv1, "Output volume").value == (96, 55, 55)  # "Output volume [55x55x96]"
    params = step(conv1, "Parameters")
    assert params.formula == "(11*11*3)*96 + 96" and params.value == (11 * 11 * 3) * 96 + 96  # "(11*11*3)*96 = 35K"
    assert "≈ 35K" in step_text(params)


def test_alexnet_pool1_has_no_params() -> None:
    pool1 = solutions("alexnet.yaml", "pool1")["pool1"]
    assert step(pool1, "Output size").formula == "(55 − 3 + 2·0)/2 + 1"  # "Hint: (55-3)/2+1 = 27"
    assert step(pool1, "Output size").value == 27
    params = step(pool1, "Parameters")
    assert params.value == 0 and "POOL: 0 params" in params.note  # "Parameters: 0!"


def test_vgg16_rows_as_the_slide_table_writes_them() -> None:
    rows = solutions("vgg16.yaml", count_biases=False)
    slide = {  # "CONV3-64: [224x224x64] memory: 224*224*64=3.2M params: (3*3*3)*64 = 1,728" ...
        "conv1": ("224*224*64", "(3*3*3)*64", 1_728), "conv2": ("224*224*64", "(3*3*64)*64", 36_864),
        "conv3": ("112*112*128", "(3*3*64)*128", 73_728), "conv13": ("14*14*512", "(3*3*512)*512", 2_359_296),
        "fc1": ("4096", "7*7*512*4096", 102_760_448), "fc3": ("1000", "4096*1000", 4_096_000),
    }
    for name, (memory, formula, params) in slide.items():
        assert step(rows[name], "Memory").formula == memory, name
        assert step(rows[name], "Parameters").formula == formula, name
        assert step(rows[name], "Parameters").value == params, name
    assert step(rows["maxpool1"], "Memory").formula == "112*112*64"  # "POOL2: [112x112x64] memory: 112*112*64=800K"


@pytest.mark.parametrize(("spec", "layer", "size"), [("alexnet.yaml", "pool3", 195), ("vgg16.yaml", "maxpool5", 212)])
def test_receptive_field_growth_reaches_the_published_values(spec: str, layer: str, size: int) -> None:
    rf = step(solutions(spec)[layer], "Receptive field")
    assert rf.value == size  # Araujo, Norris & Sim (Distill 2019): AlexNet 195, VGG16 212 at the last pool


def test_receptive_field_growth_is_worked_out() -> None:
    rows = solutions("alexnet.yaml")
    assert step(rows["conv1"], "Receptive field").formula == "1 + (11 − 1)·1"  # r = 1 + (k − 1)·j
    assert step(rows["pool1"], "Receptive field").formula == "11 + (3 − 1)·4"  # conv1's jump is its stride 4
    assert step(rows["pool1"], "Receptive field").value == 19


def test_a_layer_that_does_not_fit_says_so() -> None:
    spec = load_spec(SPECS / "alexnet.yaml")
    report = analyze(spec, input_shape=(3, 224, 224))
    conv1 = explain(spec, report, "conv1").layers[0]
    size = step(conv1, "Output size")
    assert size.formula == "(224 − 11 + 2·0)/4 + 1" and float(size.value) == 54.25  # type: ignore[arg-type]
    assert "doesn't fit" in size.note and "floors it to 54" in size.note


def test_steps_agree_with_the_report_everywhere() -> None:
    """Invariants on every row of branching networks: params and memory steps are the report's numbers, and the
    totals are the sums of the rows."""
    for name in ("googlenet.yaml", "resnet50.yaml", "densenet121.yaml", "alexnet.yaml"):
        spec = load_spec(SPECS / name)
        report = analyze(spec)
        e = explain(spec, report)
        assert [s.name for s in e.layers] == [r.name for r in report.layers]
        for s, r in zip(e.layers, report.layers):
            assert step(s, "Parameters").value == r.params, s.name
            assert step(s, "Memory").value == r.activations, s.name
            assert any(st.label == "Output volume" and st.value == r.output for st in s.steps), s.name
        totals = {st.label: st.value for st in e.totals}
        assert totals["Total params"] == sum(r.params for r in report.layers) == report.totals.params
        assert totals["Total MACs"] == report.totals.macs


def test_explain_cli(run) -> None:
    result = run("explain", SPECS / "alexnet.yaml", "--layer", "conv1")
    assert result.exit_code == 0
    assert "Output size:     (227 − 11 + 2·0)/4 + 1 = 55" in result.output
    assert "Parameters:      (11*11*3)*96 + 96 = 34,944 ≈ 35K" in result.output
    block = run("explain", SPECS / "googlenet.yaml", "--layer", "inception_3a", "--format", "json")
    data = json.loads(block.output)
    assert data["layers"][-1]["name"] == "inception_3a.concat"
    assert data["layers"][-1]["steps"][0]["formula"] == "64 + 128 + 32 + 32"  # Table 1's #1x1, #3x3, #5x5, pool proj


def test_explain_unknown_layer(run) -> None:
    result = run("explain", SPECS / "alexnet.yaml", "--layer", "conv9")
    assert result.exit_code == 1
    assert "no layer or block 'conv9'" in result.stderr and "did you mean" in result.stderr
