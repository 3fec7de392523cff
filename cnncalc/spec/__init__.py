"""Spec files: YAML in, validated Spec out (`from cnncalc.spec import load_spec, loads_spec, parse_input, Spec`).

Modules, from the bottom up: source (YAML with line numbers), options (reading one layer's options), expr
(`$...` block arguments), shorthand ('conv3-64'), inputs and symbolic_input (the input size), model (Spec),
row_count (the size limit), parse (the whole spec), load (a file, a zoo name or a model: SPEC).

The names below are imported on first use. A package's __init__ runs whenever any of its modules is imported,
and the low modules here (source, options) serve modules below the parser — cnncalc.grade.read checks `expect:`
answers with them, and the parser imports it — so importing the parser here would close a circle.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Spec": "cnncalc.spec.model",
    "load_spec": "cnncalc.spec.load", "loads_spec": "cnncalc.spec.parse",
    "parse_input": "cnncalc.spec.inputs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cnncalc.spec' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
