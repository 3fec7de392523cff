from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
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


def layer(report: Report, name: str):
    return next(r for r in report.layers if r.name == name)


@pytest.fixture
def run():
    """Run the CLI as a user types it; returns click's Result (exit_code, stdout, stderr)."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`cnncalc serve` on a free loopback port, editing a copy of ResNet-50; (base URL, spec file)."""
    from cnncalc.serve import Session, make_server, url

    spec = tmp_path / "resnet50.yaml"
    shutil.copy(SPECS / "resnet50.yaml", spec)
    server = make_server(Session(str(spec)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield url(server), spec
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
