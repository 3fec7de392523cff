"""`cnncalc grade --key WORKSHEET` (issue 15, "The teacher"): the answer key of a worksheet's questions, with the
worked solutions, in every format; and what `grade` says of answers left open.

Every expected number is the slides' (seeds 002 and 004) or a hand computation from the slides' hyper-parameters,
never pasted from cnncalc's output.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT

WORKSHEET = ROOT / "examples" / "homework" / "worksheet.yaml"
ANSWERS = ROOT / "examples" / "homework" / "answers.yaml"

CONV1_PARAMS = (11 * 11 * 3) * 96 + 96  # "(11*11*3)*96 = 35K", with the 96 biases: 34,944
CONV1_MACS = (55 * 55 * 96) * (11 * 11 * 3)
VGG16_PARAMS = 138_357_544  # "TOTAL params: 138M parameters" (torchvision's model card: 138,357,544)
# the slides' VGG16 table, "not counting biases", row by row
VGG16_SLIDE_PARAMS = [1_728, 36_864, 73_728, 147_456, 294_912, 589_824, 589_824, 1_179_648, 2_359_296, 2_359_296,
                      2_359_296, 2_359_296, 2_359_296, 102_760_448, 16_777_216, 4_096_000]
# the slides' VGG16 memory rows ("224*224*3=150K" ... "1000"), plus the soft-max's 1,000 outputs
VGG16_VALUES = (224 * 224 * 3 + 2 * 224 * 224 * 64 + 112 * 112 * 64 + 2 * 112 * 112 * 128 + 56 * 56 * 128
                + 3 * 56 * 56 * 256 + 28 * 28 * 256 + 3 * 28 * 28 * 512 + 14 * 14 * 512 + 3 * 14 * 14 * 512
                + 7 * 7 * 512 + 4096 + 4096 + 1000 + 1000)


def key(run, *args: str):
    result = run("grade", "--key", WORKSHEET, *args)
    assert result.exit_code == 0, result.output  # a key is not a failed grade
    return result.output


def by_id(data: dict, qid: str) -> dict:
    return next(q for q in data["questions"] if q["id"] == qid)


def answer(question: dict, quantity: str, target: str = "") -> dict:
    return next(a for a in question["answers"] if a["quantity"] == quantity and a["target"] == target)


def test_the_worksheet_has_the_questions_of_the_answers_file_without_answers() -> None:
    from cnncalc.spec.source import read_spec_file

    sheet, answers = read_spec_file(WORKSHEET), read_spec_file(ANSWERS)
    asked = {q["id"]: q.get("ask") for q in sheet["questions"]}
    for q in answers["questions"]:
        if q["id"] != "7x7-stride3-floored":  # the same layer as 7x7-stride3, asked there as fits and size
            assert q["id"] in asked, q["id"]
    assert VGG16_VALUES == 15_238_608 and sum(VGG16_SLIDE_PARAMS) == 138_344_128


def test_the_key_in_text_gives_the_slides_numbers_and_keeps_the_questions(run) -> None:
    text = key(run)
    assert text.startswith("Answer key: CNN arithmetic: the slides' exercises")
    # the question as asked, then each asked quantity with its value and worked solution
    assert ("alexnet-conv1: Input 227x227x3, CONV1: 96 11x11 filters applied at stride 4. Output volume? "
            "Parameters?\n  input 227x227x3; conv 11x11/4, 96 filters\n  output  55x55x96\n"
            "      Output size: (227 − 11 + 2·0)/4 + 1 = 55\n") in text  # "Hint: (227-11)/4+1 = 55"
    assert f"  params  {CONV1_PARAMS:,} ≈ 35K\n      Parameters: (11*11*3)*96 + 96 = 34,944" in text
    assert "7x7-stride3: 7x7 input, 3x3 filter applied with stride 3?\n" in text
    assert "  fits  no: (7 − 3 + 2·0)/3 + 1 = 2.33\n" in text  # "doesn't fit! cannot apply 3x3 filter ..."
    assert "  output  5x5\n" in text and "  output  3x3\n" in text and "  output  7x7\n" in text  # N = 7, F = 3
    assert "  output  32x32x10\n" in text and "  params  760\n" in text  # "76*10 = 760"
    assert "pool1 output  27x27x96" in text and "  params  0\n      Parameters: 0 (POOL: 0 params" in text
    assert f"total params  {VGG16_PARAMS:,} ≈ 138M" in text  # "TOTAL params: 138M parameters"
    assert f"total params     {sum(VGG16_SLIDE_PARAMS):,} ≈ 138M" in text  # the slides' table, no biases
    assert (f"total memory  {VGG16_VALUES:,} values ≈ 15M; × 4 bytes = {VGG16_VALUES * 4:,} bytes = 61 MB "
            "(58.1 MiB)") in text  # not the slides' "24M * 4 bytes ~= 93MB"
    assert "fc6 output    4096" in text
    assert text.rstrip().endswith("Answer key: 49 answers to 17 questions")
    assert "✓" not in text and "✗" not in text and "Score" not in text  # nothing is graded


def test_the_key_in_json_is_exact(run) -> None:
    data = json.loads(key(run, "--format", "json"))
    assert data["key"] is True and data["ok"] is True and data["total"] == 49
    conv1 = by_id(data, "alexnet-conv1")
    assert conv1["ask"] == "Input 227x227x3, CONV1: 96 11x11 filters applied at stride 4. Output volume? Parameters?"
    params = answer(conv1, "params")
    assert params["exact"] == CONV1_PARAMS and params["shown"] == "35K" and params["expected"] == "34,944 ≈ 35K"
    assert params["answered"] is False and params["right"] is None and params["answer"] is None
    assert params["solution"][0]["text"] == "Parameters: (11*11*3)*96 + 96 = 34,944 ≈ 35K (weights 34,848 + biases 96)"
    output = answer(conv1, "output")
    assert output["exact"] == [96, 55, 55] and output["shown"] == "55x55x96"
    fits = answer(by_id(data, "7x7-stride3"), "fits")
    assert fits["exact"] is False and fits["shown"] == "doesn't fit"
    size = answer(by_id(data, "7x7-stride3-size"), "output")  # `output: "?"`
    assert size["shown"] == "doesn't fit" and "2.33" in size["expected"]
    totals = by_id(data, "vgg16-totals")  # no quantities: the totals
    assert [a["quantity"] for a in totals["answers"]] == ["params", "macs", "memory"]
    assert answer(totals, "params", "total")["exact"] == VGG16_PARAMS
    assert answer(totals, "params", "total")["shown"] == "138M"
    assert answer(totals, "memory", "total")["exact"] == VGG16_VALUES
    assert answer(by_id(data, "vgg16"), "params", "total")["exact"] == sum(VGG16_SLIDE_PARAMS)
    assert answer(by_id(data, "vgg16"), "params", "fc1")["exact"] == 7 * 7 * 512 * 4096
    everything = by_id(data, "alexnet-conv1-all")  # a layer question without quantities: output, params, MACs
    assert [(a["quantity"], a["exact"]) for a in everything["answers"]] == [
        ("output", [96, 55, 55]), ("params", CONV1_PARAMS), ("macs", CONV1_MACS)]


@pytest.mark.parametrize("fmt", ["text", "table", "markdown", "latex", "csv", "json"])
def test_the_key_in_every_format(run, fmt: str) -> None:
    out = key(run, "--format", fmt)
    if fmt == "csv":
        rows = [r for chunk in out.split("\n\n") for r in csv.reader(io.StringIO(chunk)) if r]
        assert rows[0] == ["question", "target", "quantity", "expected", "exact", "shown"]
        assert ["alexnet-conv1", "", "params", "34,944 ≈ 35K", str(CONV1_PARAMS), "35K"] in rows
        assert any(r[2] == "memory" and r[4] == str(VGG16_VALUES) for r in rows)
    elif fmt == "json":
        assert json.loads(out)["key"] is True
    else:
        assert "34,944" in out and "138,357,544" in out
        assert "Output volume? Parameters?" in out  # the question text, not only its id
        if fmt == "markdown":
            assert out.startswith("## Answer key: ") and "\n|---" in out
        if fmt == "latex":
            assert out.startswith("% needs \\usepackage{booktabs,amssymb,longtable}")


def test_written_answers_are_left_aside_by_the_key(run) -> None:
    """--key on an answers file prints the key of its questions: the student's answers are not graded."""
    result = run("grade", "--key", ANSWERS)
    assert result.exit_code == 0
    assert "7x7-stride3-floored: The same layer: what is the output volume?" in result.output
    assert "  output  doesn't fit: (7 − 3 + 2·0)/3 + 1 = 2.33 (PyTorch floors it to 2x2)" in result.output
    assert "2x2  expected" not in result.output and "✗" not in result.output


# --- answers left open, without --key ---------------------------------------------------------------------------

PARTIAL = """
    questions:
      - id: conv1
        ask: "CONV1: output volume? parameters?"
        input: 227x227x3
        layer: {conv: {filters: 96, kernel: 11, stride: 4}}
        output: 55x55x96
        params:
    """


def test_missing_answers_are_graded_not_answered(run, tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    path.write_text(textwrap.dedent(PARTIAL))
    result = run("grade", path)
    assert result.exit_code == 3  # not all right: one is not answered
    assert f"  ✓ output  {'55x55x96':<14}  expected 55x55x96" in result.output
    assert "  ? params  (not answered)  expected 34,944 ≈ 35K" in result.output
    assert "      Parameters: (11*11*3)*96 + 96 = 34,944 ≈ 35K" in result.output  # the worked solution
    assert "Score: 1/2 right, 1 not answered" in result.output
    assert "Not answered: conv1 params (cnncalc grade --key " in result.output
    data = json.loads(run("grade", path, "--format", "json").output)
    assert (data["right"], data["total"], data["missing"], data["key"], data["ok"]) == (1, 2, 1, False, False)
    params = answer(by_id(data, "conv1"), "params")
    assert params["answered"] is False and params["right"] is None and params["exact"] == CONV1_PARAMS


def test_a_question_mark_is_not_answered_either(run, tmp_path: Path) -> None:
    path = tmp_path / "partial.yaml"
    path.write_text(textwrap.dedent(PARTIAL).replace("params:", 'params: "?"'))
    result = run("grade", path)
    assert result.exit_code == 3 and "? params  (not answered)" in result.output


def test_a_worksheet_graded_without_key_says_every_answer_is_missing(run) -> None:
    result = run("grade", WORKSHEET)
    assert result.exit_code == 3
    assert "Score: 0/49 right, 49 not answered" in result.output
    assert "Not answered: 7x7-stride1 output, 7x7-stride2 output" in result.output
    assert "and 41 more (cnncalc grade --key" in result.output


def test_standard_sets(tmp_path: Path) -> None:
    from cnncalc.grade.files import grade_data
    from cnncalc.spec.source import parse_yaml

    data = parse_yaml(textwrap.dedent(f"""
        questions:
          - {{id: spatial, input: 7x7, layer: {{conv: {{kernel: 3, stride: 2}}}}}}
          - {{id: volume, input: 32x32x3, layer: {{conv: {{filters: 10, kernel: 5, pad: 2}}}}}}
          - id: named-layer
            spec: {ROOT / 'specs' / 'alexnet.yaml'}
            layers:
              conv1:
          - {{id: totals, spec: {ROOT / 'specs' / 'alexnet.yaml'}}}
        """))
    g = grade_data(data, key=True)
    asked = {q.id: [(v.target, v.quantity) for v in q.verdicts] for q in g.questions}
    assert asked == {"spatial": [("", "output")],  # one filter is assumed: its params are not the question
                     "volume": [("", "output"), ("", "params"), ("", "macs")],
                     "named-layer": [("conv1", "output"), ("conv1", "params"), ("conv1", "macs")],
                     "totals": [("total", "params"), ("total", "macs"), ("total", "memory")]}
    exact = {(q.id, v.target, v.quantity): v.exact for q in g.questions for v in q.verdicts}
    assert exact[("spatial", "", "output")] == [1, 3, 3]  # (7 - 3)/2 + 1 = 3
    assert exact[("volume", "", "params")] == (5 * 5 * 3) * 10 + 10
    assert exact[("named-layer", "conv1", "params")] == CONV1_PARAMS
