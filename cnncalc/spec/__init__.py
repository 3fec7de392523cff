"""Spec files: YAML in, validated Spec out."""

from cnncalc.spec.model import Spec
from cnncalc.spec.parse import load_spec, loads_spec, parse_input

__all__ = ["Spec", "load_spec", "loads_spec", "parse_input"]
