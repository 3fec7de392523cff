"""Every golden LaTeX file compiles with pdflatex and only the packages its first line names (issue 15):
booktabs (Debian: texlive-latex-recommended), amssymb (texlive-base) and longtable (texlive-latex-base) — no
pifont, no ZapfDingbats. Runs where pdflatex is installed (`apt-get install texlive-latex-recommended`);
skipped elsewhere."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

GOLDEN = sorted((ROOT / "tests" / "golden").glob("*.tex"))
pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


def page(body: str) -> str:
    packages = re.match(r"% needs \\usepackage\{([^}]*)\}", body)
    assert packages, "a LaTeX file names the packages it needs on its first line"
    return ("\\documentclass[a4paper]{article}\n\\usepackage[T1]{fontenc}\n"
            f"\\usepackage{{{packages[1]}}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n")


@pytest.mark.parametrize("tex", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_latex_compiles(tex: Path, tmp_path: Path) -> None:
    source = tmp_path / "doc.tex"
    source.write_text(page(tex.read_text()), encoding="utf-8")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    assert "pifont" not in tex.read_text() and "\\ding" not in tex.read_text()
