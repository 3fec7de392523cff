"""Run the CLI on a spec written to a temporary directory and return exactly what the user sees.

Shared by the test_errors_*.py files and test_hostile.py. The spec is written as bad.yaml (or a given name) and
the CLI runs inside that directory, so messages read as they do for a user: `Error: bad.yaml:4: field: ...`.
Exceptions are not caught: a traceback fails the test where it happens.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from cnncalc.cli import main


def run_cli(tmp_path: Path, text: str | bytes | None, *args: str, command: str = "summarize",
            name: str = "bad.yaml") -> Result:
    """`cnncalc COMMAND NAME ARGS...` with NAME holding `text` (None: no spec argument at all)."""
    if text is not None:
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    argv = [command, *([name] if text is not None else []), *args]
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, argv, catch_exceptions=False)
    finally:
        os.chdir(here)
    assert "Traceback" not in result.output + result.stderr
    return result


def error(tmp_path: Path, text: str | bytes | None, *args: str, code: int = 1, command: str = "summarize",
          name: str = "bad.yaml") -> str:
    """The one line on stderr of a run that must fail with `code` and print nothing on stdout."""
    result = run_cli(tmp_path, text, *args, command=command, name=name)
    assert (result.exit_code, result.stdout) == (code, ""), result.stdout + result.stderr
    return result.stderr
