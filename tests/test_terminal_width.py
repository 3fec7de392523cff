"""Terminal tables that fit (issue 15): run the CLI in a real pseudo-terminal of 80, 100 and 160 columns (the
kernel's window size, as a terminal emulator sets it, not rich's width argument) and check that no line is wider
than the terminal and that numbers from outside sources are printed whole, never broken across lines."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

import pytest
from conftest import ROOT
from rich.cells import cell_len

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# ResNet-50 (He et al. 2016; torchvision's model card: 25,557,032 params). conv1: 7x7x3 filters, 64 of them, no
# bias; fc: 2048 → 1000 with bias; the GoogLeNet paper's conv1 works on 224x224x3 with 64 7x7 filters.
RESNET50_PARAMS = "25,557,032"
RESNET50_CONV1 = f"{7 * 7 * 3 * 64:,}"
RESNET50_FC = f"{2048 * 1000 + 1000:,}"
RESNET18_PARAMS = "11,689,512"  # torchvision's model card
ALEXNET_CONV1_WORKED = "(227 − 11 + 2·0)/4 + 1 = 55"  # the slides' worked example


def in_terminal(args: list[str], columns: int) -> str:
    """The command's output as a terminal of `columns` columns shows it (colours off)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its window is the terminal's size before it starts
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 200, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env.update(TERM="xterm", NO_COLOR="1")
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "cnncalc", *args], env)
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    os.close(fd)
    return ANSI.sub("", b"".join(chunks).decode().replace("\r\n", "\n"))


TABLES = {
    "summarize": (["summarize", "specs/resnet50.yaml"], [RESNET50_PARAMS, RESNET50_CONV1, RESNET50_FC]),
    # fp32 parameters: 4 bytes each; a size keeps its unit on its line ("81.9 MB (78.1 / MiB)" at 80 before)
    "memory": (["memory", "specs/resnet50.yaml"], [f"{4 * 25_557_032:,}", "81.9 MB (78.1 MiB)"]),
    "compare": (["compare", "specs/resnet18.yaml", "specs/resnet50.yaml"], [RESNET18_PARAMS, RESNET50_PARAMS]),
    "table": (["table", "specs/googlenet.yaml"], ["112×112×64", "inception (3a)"]),
    "explain": (["explain", "specs/alexnet.yaml", "--format", "table"], [ALEXNET_CONV1_WORKED, "34,944"]),
}


def table_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line[:1] in "┏┃┡│├└"]


@pytest.mark.parametrize("columns", [80, 100, 160])
@pytest.mark.parametrize("command", sorted(TABLES))
def test_tables_fit_the_terminal_and_break_no_number(command: str, columns: int) -> None:
    args, numbers = TABLES[command]
    out = in_terminal(args, columns)
    lines = table_lines(out)
    assert lines, out
    assert max(cell_len(line.rstrip()) for line in lines) <= columns, out
    for number in numbers:
        assert any(number in line for line in out.splitlines()), f"{number} is not whole on one line:\n{out}"


def test_resnet50_at_80_keeps_the_answer_and_drops_bars_first() -> None:
    out = in_terminal(["summarize", "specs/resnet50.yaml"], 80)
    header = next(line for line in table_lines(out) if "layer" in line)
    for kept in ("layer", "output", "memory", "params", "MACs"):
        assert kept in header
    assert "share" not in out and "█" not in out
    assert "(7*7*3)*64" not in out  # the formula gave way to its value at 80 columns...
    wide = in_terminal(["summarize", "specs/resnet50.yaml"], 160)
    assert f"(7*7*3)*64 = {RESNET50_CONV1}" in wide and "params share" in wide  # ...and is back at 160


def test_no_number_is_broken_in_any_width() -> None:
    """'14,964 / ,736' and '1.387 / G' at 80 columns (issue 15): every cell of the per-layer table is one line."""
    for columns in (60, 80, 100):
        out = in_terminal(["summarize", "specs/resnet50.yaml"], columns)
        rows = [line for line in table_lines(out) if line.startswith("│")]
        assert all(not line.split("│")[1].strip() == "" for line in rows), out  # no continuation lines


def test_wide_and_columns() -> None:
    wide = in_terminal(["summarize", "specs/resnet50.yaml", "--wide"], 80)
    assert f"(7*7*3)*64 = {RESNET50_CONV1}" in wide and "params share" in wide
    chosen = in_terminal(["summarize", "specs/resnet50.yaml", "--columns", "layer,params"], 80)
    header = next(line for line in table_lines(chosen) if "layer" in line)
    assert [h.strip() for h in header.strip("┃").split("┃")] == ["layer", "params"]
    assert f"(7*7*3)*64 = {RESNET50_CONV1}" in chosen  # two columns leave room for the formula


def test_unknown_column_is_a_usage_error() -> None:
    from click.testing import CliRunner

    from cnncalc.cli import main

    result = CliRunner().invoke(main, ["summarize", str(ROOT / "specs/resnet50.yaml"), "--columns", "nope"])
    assert result.exit_code == 2
    assert "no column 'nope'" in result.output and "params" in result.output


def test_piped_output_keeps_160_columns() -> None:
    out = subprocess.run([sys.executable, "-m", "cnncalc", "summarize", "specs/resnet50.yaml"], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k != "COLUMNS"}).stdout
    lines = table_lines(out)
    assert max(cell_len(line) for line in lines) <= 160
    assert f"(7*7*3)*64 = {RESNET50_CONV1}" in out and "params share" in out


def test_warnings_are_one_line_by_default_and_full_with_warnings() -> None:
    """A standard ResNet-50 at 224 floors a half pixel in conv1 ((224 − 7 + 6)/2 + 1 = 112.5), pool1 and the
    six stride-2 1x1 convolutions of stages 3-5 (main path and shortcut): eight layers."""
    from click.testing import CliRunner

    from cnncalc.cli import main

    spec = str(ROOT / "specs/resnet50.yaml")
    short = CliRunner().invoke(main, ["summarize", spec]).output
    lines = [line for line in short.splitlines() if line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("warning: 8 layers floor a half pixel: conv1, pool1")
    full = CliRunner().invoke(main, ["summarize", spec, "-v"]).output
    assert len([line for line in full.splitlines() if line.startswith("warning:")]) == 8
    assert "(224 − 7 + 2·3)/2 + 1 = 112.5 does not tile" in full
    import json

    data = json.loads(CliRunner().invoke(main, ["summarize", spec, "--format", "json"]).output)
    assert len(data["warnings"]) == 8 and "112.5" in data["warnings"][0]["message"]
