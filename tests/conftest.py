from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc import analyze, load_spec
from cnncalc.cli import main
from cnncalc.results import Report

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
sys.path.insert(0, str(ROOT / "fuzz"))  # fuzz/yaml_places.py: the YAML walker the fuzzer and the properties share


def report_of(name: str, **kwargs: object) -> Report:
    return analyze(load_spec(SPECS / name), **kwargs)  # type: ignore[arg-type]


def layer(report: Report, name: str):  # noqa: ANN201
    return next(r for r in report.layers if r.name == name)


@pytest.fixture
def run():
    """Run the CLI as a user types it; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke
