"""Every console example in README.md and docs/*.md runs, and prints what the page shows (issue 15).

A ```console block is a sequence of `$ cnncalc ...` commands, each followed by the lines it prints. The runner
executes each command as a user types it (shell braces and globs expanded, `# comments` dropped), then compares:
a shown line `...` stands for any number of lines; `...` inside a line for any text; table borders and runs of
spaces are ignored (the page draws tables without rich's boxes); blank lines are ignored. Every other shown line
must appear, in order, with nothing between two consecutive shown lines; the first shown line may come after
other lines (a title), and the page may stop before the output ends. A command exits 0 unless the page
shows `$ echo $?` with its code, or shows its `Error: ...` line (exit 1). Blocks that illustrate rather than
run (messages from files the page does not give) are ```text blocks, not ```console ones.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from cnncalc.cli import main

PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
BOX = re.compile(r"[│┃┏┓┗┛┡┩┣┫╇╋┳┻━─┼├┤┌┐└┘┬┴]")


def normal(line: str) -> str:
    return " ".join(BOX.sub(" ", line).split())


def examples(page: str) -> list[tuple[str, list[str], int | None]]:
    """(command, shown lines, shown exit code) for every `$ cnncalc` command in the page's console blocks."""
    out: list[tuple[str, list[str], int | None]] = []
    for block in CONSOLE.findall((ROOT / page).read_text()):
        current: list | None = None
        for line in block.splitlines():
            if line.startswith("$ echo $?"):
                current = None
                continue
            if line.startswith("$ "):
                current = None
                if line.startswith("$ cnncalc "):
                    out.append((line[2:], [], None))
                    current = out[-1][1]
                continue
            if current is None and re.fullmatch(r"\d+", line.strip()) and out:
                command, shown, _ = out[-1]
                out[-1] = (command, shown, int(line))
                continue
            if current is not None:
                current.append(line)
    return out


def expand(command: str) -> list[str]:
    """The words bash would pass: braces and globs expanded, the comment dropped (run from the repository)."""
    command = re.sub(r"\s+#\s.*$", "", command)
    words = subprocess.run(["bash", "-c", f"for w in {command}; do printf '%s\\0' \"$w\"; done"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")[:-1]
    return words[1:]  # without "cnncalc"


def matches(shown: list[str], printed: list[str]) -> str | None:
    """None when the printed lines show what the page shows; else the first shown line that does not match."""
    want = [normal(s) for s in shown if normal(s)]
    got = [normal(p) for p in printed if normal(p)]

    def like(pattern: str, line: str) -> bool:
        parts = [re.escape(p.strip()) for p in pattern.split("...")]
        return re.fullmatch(r"\s*.*?\s*".join(parts), line) is not None

    def walk(i: int, j: int) -> str | None:
        while i < len(want):
            if want[i] == "...":
                if i + 1 == len(want):
                    return None
                for k in range(j, len(got)):
                    if like(want[i + 1], got[k]) and walk(i + 1, k) is None:
                        return None
                return want[i + 1]
            if j >= len(got) or not like(want[i], got[j]):
                return want[i]
            i, j = i + 1, j + 1
        return None  # a page may stop showing before the output ends

    if not want:
        return None
    start = [k for k, line in enumerate(got) if like(want[0], line)] if want[0] != "..." else [0]
    first = None
    for k in start or [0]:
        failure = walk(0, k)
        if failure is None:
            return None
        first = first or failure
    return first


CASES = [(page, i, ex) for page in PAGES for i, ex in enumerate(examples(page))]


@pytest.mark.parametrize(("page", "command", "shown", "code"),
                         [(p, ex[0], ex[1], ex[2]) for p, _, ex in CASES],
                         ids=[f"{p}:{i}:{ex[0][8:40]}" for p, i, ex in CASES])
def test_console_example(page: str, command: str, shown: list[str], code: int | None, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    args = expand(command)
    for name in ("specs", "examples"):  # files written (--plot) land in a scratch directory
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    printed = result.output.splitlines()
    expected = code if code is not None else (1 if any(s.startswith("Error:") for s in shown) else 0)
    assert result.exit_code == expected, f"{command}\n{result.output}"
    failure = matches(shown, printed)
    assert failure is None, f"{page}: {command}\nthe page shows {failure!r}; cnncalc printed:\n{result.output}"


def test_the_runner_reads_every_page() -> None:
    assert len(CASES) >= 20, CASES  # README.md and docs/*.md: every `$ cnncalc` line
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) is None
    assert matches(["a", "c"], ["a", "b", "c"]) is not None
    assert matches(["x ... y"], ["x 1 2 y"]) is None


def test_the_expect_example_in_homework_md_holds(tmp_path: Path) -> None:
    """docs/homework.md's answer key kept in a spec: every expectation holds, so summarize exits 0 (issue 15: it
    exited 3, its total was the whole AlexNet's 62.4M on a three-layer spec)."""
    page = (ROOT / "docs/homework.md").read_text()
    yaml_text = page.split("## Expectations in a spec", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    spec = tmp_path / "key.yaml"
    spec.write_text(yaml_text)
    result = CliRunner().invoke(main, ["summarize", str(spec)])
    assert result.exit_code == 0, result.output
    assert "Expectations (expect:): 5 of 5 hold" in result.output  # conv1 output and params, pool1's, the total
