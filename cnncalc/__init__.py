"""cnncalc: exact CNN architecture arithmetic from a short YAML spec.

    >>> from cnncalc import load_spec, analyze
    >>> report = analyze(load_spec("specs/vgg16.yaml"))
    >>> report.totals.params
    138357544

The names below are imported on first use, so that `cnncalc --help` does not pay for the whole package.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "analyze": "cnncalc.analysis",
    "CnnCalcError": "cnncalc.errors", "DoesNotFit": "cnncalc.errors", "ShapeError": "cnncalc.errors",
    "SpecError": "cnncalc.errors",
    "LayerResult": "cnncalc.results", "ModuleResult": "cnncalc.results", "Report": "cnncalc.results",
    "TilingWarning": "cnncalc.results", "Totals": "cnncalc.results",
    "Spec": "cnncalc.spec", "load_spec": "cnncalc.spec", "loads_spec": "cnncalc.spec",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
