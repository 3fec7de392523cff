"""Exports (Markdown, LaTeX, CSV, JSON, text) of summarize, compare, explain and grade: golden files for the
formatting, and for every golden table invariants that do not depend on it — per-layer params sum to the printed
total, each layer's input is the previous layer's output — with the numbers asserted taken from the slides and
the papers.

Golden files live in tests/golden/. After an intended change of formatting, regenerate them with
`CNNCALC_UPDATE_GOLDEN=1 python -m pytest tests/test_exports.py` and review the diff.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT

from cnncalc.cli import main

GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("CNNCALC_UPDATE_GOLDEN") == "1"

VGG = "specs/vgg16.yaml"
ALEX = "specs/alexnet.yaml"
ANSWERS = "examples/homework/answers.yaml"
VGGS = ["specs/vgg11.yaml", "specs/vgg13.yaml", "specs/vgg16.yaml", "specs/vgg19.yaml"]

CASES = {
    "summarize_vgg16.md": ["summarize", VGG, "--no-bias", "--format", "markdown"],
    "summarize_vgg16.tex": ["summarize", VGG, "--no-bias", "--format", "latex"],
    "summarize_vgg16.csv": ["summarize", VGG, "--no-bias", "--format", "csv"],
    "summarize_vgg16.json": ["summarize", VGG, "--no-bias", "--format", "json"],
    "summarize_alexnet.md": ["summarize", ALEX, "--format", "markdown"],
    "summarize_alexnet.tex": ["summarize", ALEX, "--format", "latex"],
    "summarize_alexnet.csv": ["summarize", ALEX, "--format", "csv"],
    "summarize_alexnet.json": ["summarize", ALEX, "--format", "json"],
    "compare_vgg_totals.md": ["compare", *VGGS, "--totals", "--format", "markdown"],
    "compare_vgg_totals.tex": ["compare", *VGGS, "--totals", "--format", "latex"],
    "compare_vgg_totals.csv": ["compare", *VGGS, "--totals", "--format", "csv"],
    "compare_vgg_totals.json": ["compare", *VGGS, "--totals", "--format", "json"],
    "compare_alexnet_vgg16.md": ["compare", ALEX, VGG, "--format", "markdown"],
    "compare_alexnet_vgg16.tex": ["compare", ALEX, VGG, "--format", "latex"],
    "explain_alexnet.txt": ["explain", ALEX],
    "explain_alexnet.md": ["explain", ALEX, "--format", "markdown"],
    "explain_alexnet.tex": ["explain", ALEX, "--format", "latex"],
    "explain_alexnet.json": ["explain", ALEX, "--format", "json"],
    "explain_alexnet.csv": ["explain", ALEX, "--format", "csv"],
    "explain_vgg16.md": ["explain", VGG, "--no-bias", "--format", "markdown"],
    "explain_vgg16.tex": ["explain", VGG, "--no-bias", "--format", "latex"],
    "grade_homework.txt": ["grade", ANSWERS],
    "grade_homework.md": ["grade", ANSWERS, "--format", "markdown"],
    "grade_homework.tex": ["grade", ANSWERS, "--format", "latex"],
    "grade_homework.json": ["grade", ANSWERS, "--format", "json"],
    "grade_homework.csv": ["grade", ANSWERS, "--format", "csv"],
    # the formats that commands gained with the document model (issue 11)
    "memory_alexnet.md": ["memory", ALEX, "--format", "markdown"],
    "memory_alexnet.tex": ["memory", ALEX, "--format", "latex"],
    "memory_alexnet.csv": ["memory", ALEX, "--format", "csv"],
    "sweep_alexnet.md": ["sweep", ALEX, "--input", "223:227:2", "--format", "markdown"],
    "sweep_alexnet.csv": ["sweep", ALEX, "--input", "223:227:2", "--format", "csv"],
    "table_googlenet.md": ["table", "specs/googlenet.yaml", "--format", "markdown"],
    "table_googlenet.tex": ["table", "specs/googlenet.yaml", "--format", "latex"],
    "table_googlenet.csv": ["table", "specs/googlenet.yaml", "--format", "csv"],
    "table_googlenet.json": ["table", "specs/googlenet.yaml", "--format", "json"],
    "check_stride3.md": ["check", "--input", "7", "--stride", "3", "--format", "markdown"],
    "check_stride3.tex": ["check", "--input", "7", "--stride", "3", "--format", "latex"],
    "check_stride3.csv": ["check", "--input", "7", "--stride", "3", "--format", "csv"],
    "summarize_alexnet_symbolic.md": ["summarize", ALEX, "--input", "Hx224x3", "--format", "markdown"],
}
NEGATIVE = ("grade", "check")  # their golden cases are wrong answers and misfits: exit 3

# The slides' VGG16 table (seed 004), "not counting biases": params per row as printed there.
VGG16_SLIDE_PARAMS = [1_728, 36_864, 0, 73_728, 147_456, 0, 294_912, 589_824, 589_824, 0, 1_179_648, 2_359_296,
                      2_359_296, 0, 2_359_296, 2_359_296, 2_359_296, 0, 102_760_448, 16_777_216, 4_096_000]
# The slides' AlexNet (seeds 000/002/004): (F*F*D_in)*K + K per conv, N_in*N_out + N_out per FC.
ALEXNET_SLIDE_PARAMS = [(11 * 11 * 3) * 96 + 96, (5 * 5 * 96) * 256 + 256, (3 * 3 * 256) * 384 + 384,
                        (3 * 3 * 384) * 384 + 384, (3 * 3 * 384) * 256 + 256, 6 * 6 * 256 * 4096 + 4096,
                        4096 * 4096 + 4096, 4096 * 1000 + 1000]
ALEXNET_SLIDE_SHAPES = ["55x55x96", "27x27x96", "27x27x96", "27x27x256", "13x13x256", "13x13x256", "13x13x384",
                        "13x13x384", "13x13x256", "6x6x256", "4096", "4096", "1000"]


def produce(name: str) -> str:
    args = CASES[name]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    expected_code = 3 if args[0] in NEGATIVE else 0
    assert result.exit_code == expected_code, result.output
    return result.output


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # relative paths, as the README's commands write them


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    output = produce(name)
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(output)
        if not UPDATE:
            pytest.fail(f"wrote the missing golden file {path.relative_to(ROOT)}; review it and run again")
    assert output == path.read_text(), f"{name} differs from its golden file (CNNCALC_UPDATE_GOLDEN=1 regenerates)"


# --- readers for the invariants ------------------------------------------------------------------------------

def number(cell: str) -> int:
    """The exact value at the end of a cell: '(3*3*3)*64 = 1,728' → 1728; '0' → 0; '... = 36,864 ≈ 37K' → 36864."""
    return int(cell.split("=")[-1].split("≈")[0].split("$")[0].strip().replace(",", ""))


def md_rows(text: str) -> list[list[str]]:
    """The cells of the (first) Markdown table; every row, the rule included, has the header's width."""
    rows, widths = [], set()
    for line in text.splitlines():
        if line.startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
            widths.add(len(cells))
            if not line.startswith("|---"):
                rows.append([c.strip().replace("\\*", "*").replace("\\|", "|") for c in cells])
    assert len(widths) == 1, f"rows of different widths: {widths}"
    return rows


def tex_rows(text: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    spec = re.search(r"\\begin\{(?:tabular|longtable)\}\{(.*)\}", text)  # a long table is a longtable
    assert spec, "no tabular"
    assert lines.count("\\toprule") == 1 and lines.count("\\bottomrule") == 1
    assert "\\end{tabular}" in lines or "\\end{longtable}" in lines
    header = lines[lines.index("\\toprule") + 1]
    body = lines[lines.index("\\toprule") + 3:lines.index("\\bottomrule")]
    rows = [re.split(r"(?<!\\)&", line.removesuffix(r" \\")) for line in [header, *body]
            if line not in ("\\midrule", "\\addlinespace", "\\endhead")]
    columns = len(re.findall(r"[lrc]|p\{[^}]*\}", spec[1]))
    for row in rows:
        assert len(row) == columns, row  # every row has as many cells as the tabular has columns
        assert "$" not in "".join(row).replace(r"\$", "") or "".join(row).replace(r"\$", "").count("$") % 2 == 0
    return [c.strip() for c in rows[0]], [[c.strip() for c in row] for row in rows[1:]]


def tex_plain(cell: str) -> str:
    return cell.replace(r"$\times$", "x").replace(r"\_", "_").replace("$-$", "−")


def footer_total(text: str, label: str = "Total params") -> int:
    m = re.search(label + r":\**\s*([\d,]+)", text)
    assert m, label
    return int(m[1].replace(",", ""))


# --- summarize ------------------------------------------------------------------------------------------------

def test_vgg16_markdown_and_latex_rows_are_the_slides() -> None:
    for name in ("summarize_vgg16.md", "summarize_vgg16.tex"):
        text = produce(name)
        if name.endswith(".md"):
            rows = md_rows(text)[1:]
        else:
            rows = [[tex_plain(c) for c in row] for row in tex_rows(text)[1]]
        layers = [r for r in rows if r[0] != "input" and not r[0].startswith("relu")]
        params = [number(r[4]) for r in layers]
        assert params[:-1] == VGG16_SLIDE_PARAMS  # the last row is the soft-max, which the slide table omits
        assert sum(number(r[4]) for r in rows) == footer_total(text) == sum(VGG16_SLIDE_PARAMS)
        assert layers[0][2] == "224x224x64" and layers[-2][2] == "1000"


def test_alexnet_markdown_and_latex_rows_are_the_slides() -> None:
    for name in ("summarize_alexnet.md", "summarize_alexnet.tex"):
        text = produce(name)
        rows = md_rows(text)[1:] if name.endswith(".md") else [[tex_plain(c) for c in r] for r in tex_rows(text)[1]]
        named = [r for r in rows if re.fullmatch(r"(conv|pool|norm|fc)\d", r[0])]
        assert [r[2] for r in named] == ALEXNET_SLIDE_SHAPES
        assert [number(r[4]) for r in named if number(r[4])] == ALEXNET_SLIDE_PARAMS
        assert sum(number(r[4]) for r in rows) == footer_total(text) == sum(ALEXNET_SLIDE_PARAMS)


@pytest.mark.parametrize(("name", "slide_params"), [("summarize_vgg16.csv", VGG16_SLIDE_PARAMS),
                                                    ("summarize_alexnet.csv", ALEXNET_SLIDE_PARAMS)])
def test_csv_columns_sum_to_the_total_row(name: str, slide_params: list[int]) -> None:
    rows = list(csv.DictReader(io.StringIO(produce(name))))
    total, layers = rows[-1], rows[:-1]
    assert total["name"] == "TOTAL"
    for column in ("params", "weights", "biases", "macs", "flops"):
        assert sum(int(r[column]) for r in layers) == int(total[column]), column
    assert int(total["params"]) == sum(slide_params)
    assert all(re.fullmatch(r"\d+", r["params"]) for r in rows)  # exact integers, no separators


@pytest.mark.parametrize("name", ["summarize_vgg16.json", "summarize_alexnet.json"])
def test_json_chain_and_totals(name: str) -> None:
    data = json.loads(produce(name))
    layers = data["layers"]
    assert layers[0]["input"] == data["input"]
    for before, after in itertools.pairwise(layers):
        assert after["input"] == before["output"], after["name"]  # each layer's input is the previous output
    assert sum(r["params"] for r in layers) == data["totals"]["params"]
    assert all(isinstance(r["params"], int) for r in layers)


# --- compare --------------------------------------------------------------------------------------------------

def test_vgg_comparison_matches_table_2_in_every_format() -> None:
    table_2 = [133, 133, 138, 144]  # VGG Table 2, "Number of parameters (in millions)", for A, B, D, E
    md = md_rows(produce("compare_vgg_totals.md"))
    assert [int(c) for c in next(r for r in md if r[0] == "**params (M)**")[1:]] == table_2  # no empty size column
    _, rows = tex_rows(produce("compare_vgg_totals.tex"))
    assert [int(c) for c in next(r for r in rows if r[0] == "params (M)")[1:]] == table_2
    exact = next(r for r in csv.reader(io.StringIO(produce("compare_vgg_totals.csv"))) if r[0] == "params")
    assert [round(int(c) / 1e6) for c in exact[2:]] == table_2
    data = json.loads(produce("compare_vgg_totals.json"))
    assert [round(t["params"] / 1e6) for t in data["totals"]] == table_2
    assert all(t["paper"][0]["agrees"] for t in data["totals"])


def test_comparison_rows_have_the_slides_shapes() -> None:
    rows = md_rows(produce("compare_alexnet_vgg16.md"))
    by_name = {r[0]: r for r in rows}
    # conv1 differs between the two (AlexNet's 55x55, VGG16's 224x224), so each cell carries its own size
    assert by_name["conv1"][1] == "" and by_name["conv1"][2] == "11x11, 96, stride 4 → 55x55"  # AlexNet's CONV1
    assert by_name["conv1"][3] == "3x3, 64 → 224x224"
    assert by_name["pool3"][1] == "6x6"  # AlexNet's POOL3, a name VGG16 does not use
    _, tex = tex_rows(produce("compare_alexnet_vgg16.tex"))
    assert len(tex) == len(rows) - 1  # the same rows, less the header


# --- explain --------------------------------------------------------------------------------------------------

def test_explain_exports_agree_with_each_other_and_the_slides() -> None:
    data = json.loads(produce("explain_alexnet.json"))
    params = [next(s["value"] for s in layer["steps"] if s["label"] == "Parameters") for layer in data["layers"]]
    assert sum(params) == next(s["value"] for s in data["totals"] if s["label"] == "Total params")
    assert [p for p in params if p] == ALEXNET_SLIDE_PARAMS
    text = produce("explain_alexnet.txt")
    assert "(227 − 11 + 2·0)/4 + 1 = 55" in text and "(55 − 3 + 2·0)/2 + 1 = 27" in text  # the slides' hints
    rows = list(csv.DictReader(io.StringIO(produce("explain_alexnet.csv"))))
    assert sum(int(r["value"]) for r in rows if r["label"] == "Parameters") == sum(ALEXNET_SLIDE_PARAMS)
    md = md_rows(produce("explain_alexnet.md"))
    _, tex = tex_rows(produce("explain_alexnet.tex"))
    assert len(md) - 1 == len(tex) == len(rows)  # one row per step in every format
    vgg = md_rows(produce("explain_vgg16.md"))
    vgg_params = [number(r[2]) for r in vgg if r[1] == "Parameters"]
    assert [p for p in vgg_params if p] == [p for p in VGG16_SLIDE_PARAMS if p]
    tex_rows(produce("explain_vgg16.tex"))


# --- grade ----------------------------------------------------------------------------------------------------

def test_grade_exports_count_the_same_answers() -> None:
    text = produce("grade_homework.txt")
    marks = re.findall(r"^  ([✓✗]) ", text, re.MULTILINE)
    m = re.search(r"Score: (\d+)/(\d+) right, (\d+) wrong", text)
    assert m and int(m[1]) == marks.count("✓") and int(m[2]) == len(marks) and int(m[3]) == marks.count("✗")
    data = json.loads(produce("grade_homework.json"))
    assert (data["right"], data["total"]) == (int(m[1]), int(m[2]))
    rows = list(csv.DictReader(io.StringIO(produce("grade_homework.csv"))))
    assert len(rows) == data["total"] and sum(r["right"] == "True" for r in rows) == data["right"]
    md = md_rows(produce("grade_homework.md"))
    assert [r[3] for r in md[1:]] == marks
    _, tex = tex_rows(produce("grade_homework.tex"))
    assert [r[3] for r in tex] == [{"✓": r"$\checkmark$", "✗": r"$\times$"}[c] for c in marks]  # no pifont
    # the slides' own "TOTAL memory: 24M * 4 bytes ~= 93MB" is graded wrong, with the reason
    assert "✗ total memory" in text and "not 24M" in text


def test_every_golden_file_is_used() -> None:
    assert {p.name for p in GOLDEN.iterdir()} <= set(CASES) | {"README.md"}


def test_exports_are_named_in_help() -> None:
    runner = CliRunner()
    for command in ("summarize", "compare", "grade", "explain"):
        out = runner.invoke(main, [command, "--help"]).output
        assert "latex" in out and "markdown" in out, command
