"""Every command offers every format (issue 11): `--format table|markdown|latex|csv|json`, each well formed and
each carrying the same number from an outside source — the slides' AlexNet and VGG parameter counts, the GoogLeNet
paper's conv1, the slides' 760 — in the form its format writes numbers (grouped digits for people, exact digits
for CSV and JSON)."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex

import pytest
from click.testing import CliRunner
from conftest import ROOT

from cnncalc.cli import main

ALEX = "specs/alexnet.yaml"
# The slides' AlexNet: (F*F*D_in)*K + K per conv, N_in*N_out + N_out per FC (seeds 000/002/004).
ALEX_PARAMS = ((11 * 11 * 3) * 96 + 96 + (5 * 5 * 96) * 256 + 256 + (3 * 3 * 256) * 384 + 384
               + (3 * 3 * 384) * 384 + 384 + (3 * 3 * 384) * 256 + 256 + 6 * 6 * 256 * 4096 + 4096
               + 4096 * 4096 + 4096 + 4096 * 1000 + 1000)
VGG16_PARAMS = 138_357_544  # torchvision's model card for vgg16 (and the paper's 138M)
GOOGLENET_CONV1 = 7 * 7 * 3 * 64 + 64  # the paper's Table 1: 7x7/2, 64 filters, on 224x224x3

# command line, exit code, the outside number that every format must show
COMMANDS = {
    "summarize": (["summarize", ALEX], 0, ALEX_PARAMS),
    "compare": (["compare", ALEX, "specs/vgg16.yaml"], 0, VGG16_PARAMS),
    "table": (["table", "specs/googlenet.yaml"], 0, GOOGLENET_CONV1),
    "explain": (["explain", ALEX, "--layer", "conv1"], 0, (11 * 11 * 3) * 96 + 96),
    "grade": (["grade", "examples/homework/answers.yaml"], 3, 4_096_000),  # VGG16's fc3: 4096*1000, the slides
    "memory": (["memory", ALEX], 0, 4 * ALEX_PARAMS),  # fp32 parameters
    "sweep": (["sweep", ALEX, "--input", "227"], 0, ALEX_PARAMS),
    "check": (["check", "--input", "32x32x3", "--filter", "5", "--pad", "2", "--filters", "10"], 0, 760),
}
SHOWN = {"table": "9.5K"}  # the paper's Table 1 gives params in K: 9,472 is shown in its units
FORMATS = ("table", "markdown", "latex", "csv", "json")


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(args: list[str], code: int) -> str:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_writes_every_format(command: str, fmt: str) -> None:
    args, code, number = COMMANDS[command]
    out = run([*args, "--format", fmt], code)
    if fmt == "json":
        assert str(number) in json.dumps(json.loads(out))
    elif fmt == "csv":
        tables = [list(csv.reader(io.StringIO(chunk))) for chunk in out.split("\n\n")]
        for rows in tables:
            assert len({len(r) for r in rows}) == 1, "every row of a CSV table has the header's width"
        assert any(str(number) == c for rows in tables for r in rows for c in r)
    else:
        assert (SHOWN.get(command) or f"{number:,}") in out
        if fmt == "markdown":
            assert out.startswith("#") and "\n|---" in out
        elif fmt == "latex":
            assert out.startswith("% needs \\usepackage{booktabs,amssymb,longtable}")  # no pifont (issue 15)
            tables = out.count("\\begin{tabular}") + out.count("\\begin{longtable}")
            assert tables == out.count("\\end{tabular}") + out.count("\\end{longtable}") >= 1


def test_prose_stays_the_default_where_a_command_has_it() -> None:
    assert run(["check", "--input", "7", "--stride", "3"], 3).startswith("Input 7x7, filter 3x3, stride 3, pad 0\n"
                                                                         "Output size = (N − F + 2P)/S + 1")
    assert "\n  Output size:     (227 − 11 + 2·0)/4 + 1 = 55\n" in run(["explain", ALEX, "--layer", "conv1"], 0)


def test_symbolic_summaries_take_every_format_too() -> None:
    """Before the document model a symbolic input printed the terminal table for csv, markdown and latex."""
    md = run(["summarize", ALEX, "--input", "Hx227x3", "--format", "markdown"], 0)
    assert "| conv1 | conv 11x11/4 | (floor((H − 11)/4) + 1) × 55 × 96 |" in md
    rows = list(csv.reader(io.StringIO(run(["summarize", ALEX, "--input", "Hx227x3", "--format", "csv"], 0))))
    assert rows[0] == ["layer", "type", "output", "activations", "params", "MACs"]
    conv1 = rows[1]
    assert conv1[4] == str((11 * 11 * 3) * 96 + 96)  # params do not depend on H
    assert conv1[2] == "(((H - 11)//4) + 1) x (55) x 96"  # the CSV carries the Python form, as the JSON does


def test_names_from_specs_are_text_not_markup(tmp_path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("name: ResNet-50 [torchvision]\ninput: 8x8x3\nlayers:\n  - conv: {filters: 4, kernel: 3}\n")
    assert "ResNet-50 [torchvision]" in run(["summarize", str(spec)], 0)


@pytest.mark.parametrize("fmt", ("markdown", "csv", "latex"))
def test_verify_writes_the_text_formats(fmt: str) -> None:
    """verify gained Markdown, LaTeX and CSV; torch measures, the slide's torchsummary says 61,706 (seed 003)."""
    out = run(["verify", "specs/lenet5.yaml", "--device", "cpu", "--format", fmt], 0)
    if fmt == "csv":
        total = next(r for r in csv.reader(io.StringIO(out)) if r and r[0] == "TOTAL")
        assert total[4] == total[5] == "61706"  # ours and torch's
    else:
        assert "61,706" in out and "all 12 layers match PyTorch" in out


EXACT = re.compile(r"<!-- exact:[^>]*-->\n```console\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_examples_marked_exact_print_what_the_page_shows(doc: str) -> None:
    """A console block under `<!-- exact: ... -->` is run as a user types it; the page shows its whole output."""
    blocks = EXACT.findall((ROOT / doc).read_text())
    assert blocks, f"{doc} has no example marked exact"
    for block in blocks:
        command, *expected = block.splitlines()
        args = shlex.split(command.removeprefix("$ cnncalc "))
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.output.splitlines() == expected, command
