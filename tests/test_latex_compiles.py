"""Every golden LaTeX file compiles with pdflatex and only the packages its first line names (issue 15):
booktabs (Debian: texlive-latex-recommended), amssymb (texlive-base) and longtable (texlive-latex-base) — no
pifont, no ZapfDingbats — and fits the text width of an A4 page (article, 10pt): no overfull \\hbox wider than
MAX_OVERFULL in the log, no table taller than a page. So does the answer key of the homework worksheet
(`grade --key`), which has no golden file. Runs where pdflatex is installed (`apt-get install
texlive-latex-recommended`); skipped elsewhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from cnncalc.cli import main

GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.tex"))
MAX_OVERFULL = 10.0  # pt
pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


def page(body: str) -> str:
    packages = re.match(r"% needs \\usepackage\{([^}]*)\}", body)
    assert packages, "a LaTeX file names the packages it needs on its first line"
    return ("\\documentclass[a4paper]{article}\n\\usepackage[T1]{fontenc}\n"
            f"\\usepackage{{{packages[1]}}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n")


def compile_page(body: str, tmp_path: Path) -> str:
    """pdflatex twice (longtable settles its column widths on the second run); the log of the last run."""
    source = tmp_path / "doc.tex"
    source.write_text(page(body), encoding="utf-8")
    for _ in range(2):
        result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name],
                                cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    return (tmp_path / "doc.log").read_text(errors="replace")


def assert_fits(log: str) -> None:
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert all(x <= MAX_OVERFULL for x in overfull), f"overfull boxes of {overfull} pt (A4 is 345pt wide)"
    assert "Overfull \\vbox" not in log, "a table taller than the page (it should be a longtable)"


def test_the_golden_files_are_there() -> None:
    assert len(GOLDEN) >= 10 and any(p.name == "grade_homework.tex" for p in GOLDEN)


@pytest.mark.parametrize("tex", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_latex_compiles_and_fits_a4(tex: Path, tmp_path: Path) -> None:
    body = tex.read_text()
    assert "pifont" not in body and "\\ding" not in body
    assert_fits(compile_page(body, tmp_path))


def test_the_answer_key_compiles_and_fits_a4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["grade", "--key", "examples/homework/worksheet.yaml", "--format", "latex"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "34,944 $\\approx$ 35K" in result.output  # AlexNet's CONV1, "(11*11*3)*96 = 35K"
    assert_fits(compile_page(result.output, tmp_path))
