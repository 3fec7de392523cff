"""`cnncalc grade` and `expect:`: the slides' own questions and answers (seeds 002 and 004), read as written.

Every expected number below is the slides' (or a hand computation from the slides' hyper-parameters), never
pasted from cnncalc's output.
"""

from __future__ import annotations

import json
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import ROOT, SPECS

from cnncalc.errors import SpecError
from cnncalc.grade.files import grade_data, grade_file
from cnncalc.grade.read import ByteSize, Count, MemoryProduct, Volume, YesNo, loose_step, parse_answer
from cnncalc.spec.source import parse_yaml

ANSWERS = ROOT / "examples" / "homework" / "answers.yaml"


# --- reading answers as people write them ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("quantity", "raw", "kind", "value"),
    [
        ("output", "55x55x96", Volume, (55, 55, 96)),
        ("output", "[55x55x96]", Volume, (55, 55, 96)),  # the slides' "Output volume [55x55x96]"
        ("output", [96, 55, 55], Volume, (96, 55, 55)),
        ("output", "[96, 55, 55]", Volume, (96, 55, 55)),
        ("output", "5x5", Volume, (5, 5)),
        ("output", "2.33", Count, Fraction(233, 100)),
        ("output", "(227-11)/4+1 = 55", Count, Fraction(55)),  # the slides' hint, graded by its result
        ("output", "doesn't fit", YesNo, False),
        ("fits", False, YesNo, False),  # YAML reads `no` as false
        ("fits", "Doesn’t fit!", YesNo, False),
        ("fits", "yes", YesNo, True),
        ("params", 34944, Count, Fraction(34944)),
        ("params", "34,944", Count, Fraction(34944)),
        ("params", "35K", Count, Fraction(35000)),
        ("params", "138M", Count, Fraction(138_000_000)),
        ("params", "(11*11*3)*96 = 35K", Count, Fraction(35000)),
        ("memory", "3.2M", Count, Fraction(3_200_000)),
        ("memory", "93MB", ByteSize, Fraction(93_000_000)),
        ("memory", "58.1 MiB", ByteSize, Fraction(581 * 2**20, 10)),
        ("memory", "24M * 4 bytes ≈ 93MB", MemoryProduct, None),
        ("memory", "24M * 4 bytes ~ = 93MB / image", MemoryProduct, None),  # as seed 004 prints it
    ],
    ids=lambda v: str(v) if not isinstance(v, type) else v.__name__,
)
def test_answers_are_read_as_written(quantity: str, raw: object, kind: type, value: object) -> None:
    answer = parse_answer(quantity, raw)
    assert isinstance(answer, kind)
    if isinstance(answer, Volume):
        assert answer.dims == value
    elif isinstance(answer, (Count, ByteSize)):
        assert answer.value == value
    elif isinstance(answer, YesNo):
        assert answer.value is value


@pytest.mark.parametrize(
    ("quantity", "raw", "message"),
    [("output", "fifty-five", "cannot read 'fifty-five' as an output"), ("fits", "maybe", "write yes or no"),
     ("params", "93MB", "is a size in bytes"), ("params", "lots", "cannot read 'lots' as a number")],
)
def test_unreadable_answers_say_what_was_expected(quantity: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_answer(quantity, raw)


@pytest.mark.parametrize(
    ("text", "step"),
    [("35K", 1000), ("800K", 100_000), ("100K", 100_000), ("3.2M", 100_000), ("3.20M", 10_000), ("138M", 10**6),
     ("34,944", 1), ("35,000", 1), ("93MB", 10**6), ("60MB", 10**7)],
)
def test_precision_of_a_written_figure(text: str, step: int) -> None:
    """Trailing zeros of a whole mantissa with a unit are not significant (the slides' 800K for 802,816);
    plain integers are exact counts."""
    answer = parse_answer("memory", text)
    assert isinstance(answer, (Count, ByteSize))
    assert answer.step == step
    assert loose_step("800K", Fraction(1000)) == 100_000


# --- one-layer questions --------------------------------------------------------------------------------------

def grade_yaml(text: str):
    return grade_data(parse_yaml(textwrap.dedent(text)))


def one(text: str):
    result = grade_yaml(text)
    assert len(result.verdicts) == 1
    return result.verdicts[0]


@pytest.mark.parametrize(
    ("layer", "answer", "right"),
    [("{conv: {kernel: 3, stride: 1}}", "5x5", True),    # "=> 5x5 output"
     ("{conv: {kernel: 3, stride: 2}}", "3x3", True),    # "=> 3x3 output!"
     ("{conv: {kernel: 3, stride: 3}}", "2.33", True),   # "(7 - 3)/3 + 1 = 2.33 :\"
     ("{conv: {kernel: 3, stride: 3}}", "doesn't fit", True),
     ("{conv: {kernel: 3, stride: 3}}", "2x2", False),   # PyTorch's floor is not the slides' answer
     ("{conv: {kernel: 3, stride: 3}}", "2", False),
     ("{conv: {kernel: 3, stride: 1, pad: 1}}", "7x7", True),  # "pad with 1 pixel border => 7x7 output!"
     ("{conv: {kernel: 3, stride: 1}}", "7x7", False),
     ("{conv: {kernel: 3, stride: 1}}", 5, True)],
    ids=["stride1", "stride2", "stride3-2.33", "stride3-doesnt-fit", "stride3-floor", "stride3-floor-number",
         "pad1", "wrong-size", "bare-number"],
)
def test_the_slides_7x7_questions(layer: str, answer: object, right: bool) -> None:
    v = one(f"""
        questions:
          - input: 7x7
            layer: {layer}
            output: {answer!r}
        """ if not isinstance(answer, int) else f"""
        questions:
          - input: 7x7
            layer: {layer}
            output: {answer}
        """)
    assert v.right is right, v.why


def test_ten_5x5_filters_on_32x32x3() -> None:
    result = grade_yaml("""
        questions:
          - input: 32x32x3
            layer: {conv: {filters: 10, kernel: 5, stride: 1, pad: 2}}
            output: 32x32x10
            params: 760
        """)
    assert all(v.right for v in result.verdicts)  # "(32+2*2-5)/1+1 = 32 spatially, so 32x32x10"; "76*10 = 760"


def test_forgetting_the_biases_is_named() -> None:
    v = one("""
        questions:
          - input: 32x32x3
            layer: {conv: {filters: 10, kernel: 5, stride: 1, pad: 2}}
            params: 750
        """)
    assert not v.right and v.exact == 5 * 5 * 3 * 10 + 10
    assert "weights alone" in v.why and "+ 10" in v.why
    assert any("(5*5*3)*10 + 10" in s.formula for s in v.solution)


def test_depth_is_part_of_the_volume() -> None:
    v = one("""
        questions:
          - input: 32x32x3
            layer: {conv: {filters: 10, kernel: 5, pad: 2}}
            output: 32x32
        """)
    assert not v.right and "spatially right" in v.why and "32x32x10" in v.why


@pytest.mark.parametrize(
    ("answer", "right"),
    [("35K", True), ("34K", False), ("34944", True), ("34,944", True), ("34848", False), ("35,000", False)],
)
def test_alexnet_conv1_params_rounding(answer: str, right: bool) -> None:
    v = one(f"""
        questions:
          - input: 227x227x3
            layer: {{conv: {{filters: 96, kernel: 11, stride: 4}}}}
            params: "{answer}"
        """)
    assert v.exact == (11 * 11 * 3) * 96 + 96  # "(11*11*3)*96 = 35K", with the 96 biases
    assert v.right is right, v.why


@pytest.mark.parametrize("answer", ["55x55x96", "[55x55x96]", "[96, 55, 55]", "[55, 55, 96]"])
def test_alexnet_conv1_output_written_in_every_way(answer: str) -> None:
    v = one(f"""
        questions:
          - input: 227x227x3
            layer: {{conv: {{filters: 96, kernel: 11, stride: 4}}}}
            output: "{answer}"
        """)
    assert v.right and v.exact == [96, 55, 55]


def test_channels_first_written_with_x_is_explained() -> None:
    v = one("""
        questions:
          - input: 227x227x3
            layer: {conv: {filters: 96, kernel: 11, stride: 4}}
            output: 96x55x55
        """)
    assert not v.right and "H×W×C" in v.why


def test_alexnet_pool1() -> None:
    result = grade_yaml("""
        questions:
          - input: 55x55x96
            layer: {maxpool: {kernel: 3, stride: 2}}
            output: 27x27x96
            params: 0
        """)
    assert [v.right for v in result.verdicts] == [True, True]  # "Output volume: 27x27x96", "Parameters: 0!"


# --- memory: values, bytes, MB vs MiB ------------------------------------------------------------------------

def vgg16_total_memory(answer: str):
    return one(f"""
        questions:
          - spec: {SPECS / 'vgg16.yaml'}
            totals: {{memory: "{answer}"}}
        """)


# The slides' VGG16 rows (seed 004), "memory: 224*224*3=150K" ... "FC: [1x1x1000] memory: 1000", plus the
# soft-max's 1,000 outputs that the slide table leaves out.
SLIDE_MEMORY = (224 * 224 * 3 + 2 * 224 * 224 * 64 + 112 * 112 * 64 + 2 * 112 * 112 * 128 + 56 * 56 * 128
                + 3 * 56 * 56 * 256 + 28 * 28 * 256 + 3 * 28 * 28 * 512 + 14 * 14 * 512 + 3 * 14 * 14 * 512
                + 7 * 7 * 512 + 4096 + 4096 + 1000 + 1000)


@pytest.mark.parametrize(
    ("answer", "right"),
    [("61MB", True), ("58 MiB", True), ("58.1MiB", True), ("15.2M", True), ("15,238,608", True), ("93MB", False),
     ("24M", False), ("58MB", False), ("61MiB", False)],
)
def test_vgg16_memory_in_values_mb_and_mib(answer: str, right: bool) -> None:
    v = vgg16_total_memory(answer)
    assert v.right is right, v.why
    assert SLIDE_MEMORY == 15_238_608
    assert v.exact in (SLIDE_MEMORY, SLIDE_MEMORY * 4)


def test_mb_for_mib_is_pointed_out() -> None:
    v = vgg16_total_memory("58MB")
    assert "as MiB it would be right" in v.why


def test_the_slides_93mb_is_wrong_and_the_grader_says_why() -> None:
    v = vgg16_total_memory("24M * 4 bytes ≈ 93MB")
    assert not v.right
    assert f"{SLIDE_MEMORY:,}" in v.why and "not 24M" in v.why  # the rows add up to 15.2M values, not 24M
    assert f"{SLIDE_MEMORY * 4:,} bytes" in v.why and "not 93MB" in v.why  # 61 MB at 4 bytes per value
    assert "96 MB" in v.why  # and 24M x 4 bytes is 96 MB, so even the product is off
    assert [s.label for s in v.solution] == ["Total memory", "Forward memory"]


# --- the shipped example --------------------------------------------------------------------------------------

def test_example_answers_grade_as_documented() -> None:
    result = grade_file(ANSWERS)
    wrong = {(v.question, v.target, v.quantity) for v in result.verdicts if not v.right}
    assert wrong == {
        ("7x7-stride3-floored", "", "output"),
        ("F5-S2", "", "fits"),
        ("ten-5x5-filters", "", "params"),
        ("alexnet-conv1-at-224", "", "output"),
        ("vgg16", "conv2", "params"),
        ("vgg16", "total", "memory"),
    }
    for v in result.verdicts:
        if not v.right:
            assert v.why and v.solution, v  # every wrong answer says why and shows the worked solution
    ids = {q.id for q in result.questions}
    assert {"7x7-stride1", "7x7-stride2", "7x7-stride3", "zero-pad-1", "ten-5x5-filters", "alexnet-conv1",
            "alexnet-pool1", "vgg16"} <= ids  # every exercise of the slides


def test_grade_cli_exit_codes(run, tmp_path: Path) -> None:
    result = run("grade", ANSWERS)
    assert result.exit_code == 3
    assert "Score: 71/77 right, 6 wrong" in result.output
    assert "Traceback" not in result.output
    right = tmp_path / "right.yaml"
    right.write_text(textwrap.dedent("""
        questions:
          - input: 227x227x3
            layer: {conv: {filters: 96, kernel: 11, stride: 4}}
            output: 55x55x96
            params: 35K
        """))
    ok = run("grade", right)
    assert ok.exit_code == 0 and "Score: 2/2 right" in ok.output


@pytest.mark.parametrize(
    ("body", "message"),
    [("questions:\n  - input: 7x7\n    layer: {conv: {kernal: 3}}\n    output: 5x5\n",
      "bad.yaml:3: questions[0].layer.conv.kernal: unknown option for conv (did you mean 'kernel'?)"),
     ("questions:\n  - input: 7x7\n    layer: {conv: {kernel: 3}}\n    output: fifty\n",
      "bad.yaml:4: questions[0].output: cannot read 'fifty'"),
     ("questions:\n  - input: 7x7\n    layer: {conv: {kernel: 3}}\n    outptu: 5x5\n",
      "bad.yaml:4: questions[0].outptu: unknown field (did you mean 'output'?)"),
     ("questions:\n  - spec: nowhere.yaml\n    totals: {params: 1M}\n",
      "bad.yaml:2: questions[0].spec: no such spec file 'nowhere.yaml'"),
     (f"questions:\n  - spec: {SPECS / 'vgg16.yaml'}\n    layers:\n      conv14: {{params: 1}}\n",
      "bad.yaml:4: questions[0].layers.conv14: no layer or block 'conv14'"),
     ("questions: []\n", "bad.yaml:1: questions: needs a list of questions"),
     ("questions:\n  - input: 7x7\n    output: 5x5\n", "bad.yaml:2: questions[0]: a question has either 'layer'")],
    ids=["misspelt-option", "unreadable-answer", "misspelt-quantity", "missing-spec", "unknown-layer", "empty",
         "no-layer"],
)
def test_bad_answers_files_name_file_line_and_field(run, tmp_path: Path, body: str, message: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(body)
    result = run("grade", bad)
    assert result.exit_code == 1
    assert message in result.stderr.replace(str(tmp_path) + "/", "")


def test_grade_json_is_exact(run) -> None:
    data = json.loads(run("grade", ANSWERS, "--format", "json").output)
    assert data["total"] == sum(len(q["answers"]) for q in data["questions"])
    assert data["right"] == sum(a["right"] for q in data["questions"] for a in q["answers"])
    conv1 = next(q for q in data["questions"] if q["id"] == "alexnet-conv1")
    params = next(a for a in conv1["answers"] if a["quantity"] == "params")
    assert params["exact"] == 34_944 and params["right"] is True


# --- expectations kept in a spec ------------------------------------------------------------------------------

def test_summarize_checks_inline_expectations(run, tmp_path: Path) -> None:
    spec = tmp_path / "key.yaml"
    spec.write_text(textwrap.dedent("""
        input: 227x227x3
        expect: {params: 62.4M}
        layers:
          - {name: conv1, conv: {filters: 96, kernel: 11, stride: 4}, expect: {output: 55x55x96, params: 35K}}
          - {name: pool1, maxpool: {kernel: 3, stride: 2}, expect: {output: 27x27x96, params: 0}}
        """))
    result = run("summarize", spec, "--format", "markdown")
    assert result.exit_code == 3  # 62.4M is the whole AlexNet's, not these two layers'
    assert "output 55x55x96 ✓, params 35K ✓" in result.output
    assert "✗ total params 62.4M" in result.output
    fixed = spec.read_text().replace("expect: {params: 62.4M}", "expect: {params: 35K}")
    spec.write_text(fixed)
    ok = run("summarize", spec)
    assert ok.exit_code == 0
    assert "5 of 5 hold" in ok.output


def test_expect_is_validated_when_the_spec_is_read(run, tmp_path: Path) -> None:
    spec = tmp_path / "key.yaml"
    spec.write_text("input: 7x7x1\nlayers:\n  - {conv: {filters: 1, kernel: 3}, expect: {ouput: 5x5x1}}\n")
    result = run("summarize", spec)
    assert result.exit_code == 1
    assert "key.yaml:3: layers[0].expect.ouput: unknown quantity (did you mean 'output'?)" in result.stderr


def test_specs_without_expectations_keep_their_outputs(run) -> None:
    data = json.loads(run("summarize", SPECS / "alexnet.yaml", "--format", "json").output)
    assert "expectations" not in data and all("expect" not in row for row in data["layers"])
    header = run("summarize", SPECS / "alexnet.yaml", "--format", "csv").output.splitlines()[0]
    assert not header.endswith("expect")


def test_answers_reject_non_answers() -> None:
    with pytest.raises(SpecError, match="an answer is a value"):
        grade_yaml("""
            questions:
              - input: 7x7
                layer: {conv: {kernel: 3}}
                output: {h: 5}
            """)
