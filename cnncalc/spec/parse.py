"""YAML values → a validated Spec: the top level (build_spec; reading a file, a zoo name or a model is
cnncalc.spec.load's); the layer items are read by
cnncalc.spec.items (Parser: layer types, containers, blocks), blocks' arguments by cnncalc.spec.blocks.

Every error names the line and the field it is about. The input size is read by cnncalc.spec.inputs, the
network's size is bounded by cnncalc.spec.row_count, and `expect:` answers are read as `cnncalc grade` reads
them (cnncalc.grade.read).
"""

from __future__ import annotations

from typing import Any

from cnncalc.errors import SpecError, shown, shown_names
from cnncalc.grade.read import parse_expect
from cnncalc.limits import MAX_NAME
from cnncalc.spec.inputs import parse_input
from cnncalc.spec.items import CONTAINERS, ITEM_KEYS, RESERVED_NAMES, Parser, parse_paper
from cnncalc.spec.model import Spec
from cnncalc.spec.options import suggest, type_name
from cnncalc.spec.row_count import check_rows
from cnncalc.spec.source import line_of, parse_yaml

TOP_LEVEL_KEYS = ("name", "description", "source", "input", "layers", "blocks", "variables", "variants", "paper",
                  "expect")


def loads_spec(text: str, *, name: str = "spec", variant: str | None = None) -> Spec:
    """Parse a spec from YAML text (tests, the Python API)."""
    return build_spec(parse_yaml(text), file=None, default_name=name, variant=variant)


def build_spec(data: Any, *, file: str | None, default_name: str, variant: str | None = None) -> Spec:
    if not isinstance(data, dict):
        raise SpecError(f"the top level must be a mapping with 'input' and 'layers', got {type_name(data)}",
                        line=getattr(data, "line", 1))
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            hint = suggest(key, TOP_LEVEL_KEYS) or f" (known: {', '.join(TOP_LEVEL_KEYS)})"
            raise SpecError(f"unknown top-level field{hint}", line=line_of(data, key), field=key)
    for key in ("input", "layers"):
        if key not in data:
            raise SpecError(f"the spec needs {key!r}", line=getattr(data, "line", 1), field=key)
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise SpecError(f"must be text, got {type_name(name)}", line=line_of(data, "name"), field="name")
    if len(name) > MAX_NAME:
        raise SpecError(f"a model name is at most {MAX_NAME} characters, got {len(name):,}", line=line_of(data, "name"),
                        field="name")
    variables = _mapping(data, "variables")
    variants = _mapping(data, "variants")
    if variant is not None:
        if variant not in variants:
            known = shown_names(variants) or "none"
            raise SpecError(f"no variant {shown(variant)}{suggest(variant, variants)} (this spec has: {known})",
                            field="--variant")
        overrides = _mapping(variants, variant, field=f"variants.{variant}")
        for key in overrides:
            if key not in variables:
                raise SpecError(f"sets {shown(key)}, which is not in 'variables'{suggest(key, variables)}",
                                line=line_of(overrides, key), field=f"variants.{variant}.{key}")
        variables = {**variables, **overrides}
    parser = Parser(_mapping(data, "blocks"), dict(variables))
    shape = parse_input(data["input"], line=line_of(data, "input"), field="input")
    layers = parser.items(data["layers"], line=line_of(data, "layers"), path="layers", scope=dict(variables))
    check_rows(layers)
    return Spec(name=f"{name} [{variant}]" if variant else name, input=shape, layers=layers, file=file,
                description=str(data.get("description", "")), variant=variant or "", variants=tuple(variants),
                paper=parse_paper(data["paper"], line_of(data, "paper"), "paper") if "paper" in data else (),
                expect=parse_expect(data["expect"], line_of(data, "expect"), "expect", totals=True)
                if "expect" in data else ())


def _mapping(data: Any, key: str, *, field: str | None = None) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise SpecError(f"must be a mapping, got {type_name(value)}", line=line_of(data, key), field=field or key)
    return value


__all__ = ["CONTAINERS", "ITEM_KEYS", "RESERVED_NAMES", "Parser", "build_spec", "loads_spec", "parse_paper"]
