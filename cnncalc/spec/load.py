"""A SPEC argument → a Spec: a spec file, the name of a shipped spec (cnncalc.zoo), or a model imported on the
fly (cnncalc.importers). A module above the parser (cnncalc.spec.parse): the importers check what they write with
the parser, so the parser must not import them.
"""

from __future__ import annotations

from pathlib import Path

from cnncalc import importers, zoo
from cnncalc.errors import SpecError
from cnncalc.spec.model import Spec
from cnncalc.spec.parse import build_spec
from cnncalc.spec.source import parse_yaml, read_spec_file


def load_spec(path: str | Path, *, variant: str | None = None) -> Spec:
    """Read, parse and validate a spec (optionally one of its named variants).

    `path` is a spec file; else the name of a shipped spec (cnncalc.zoo: `resnet50`); a model to import on the
    fly (an `.onnx` file, or `torch:MODULE:FACTORY`: cnncalc.importers) is read as the spec it imports to.
    """
    path, named = zoo.resolve(str(path))
    variant = zoo.choose_variant(named, variant)
    if importers.is_model(path):
        data = parse_yaml(importers.spec_text(path))
    else:
        data = read_spec_file(path)
    try:
        return build_spec(data, file=str(path), default_name=Path(path).stem, variant=variant)
    except SpecError as exc:
        raise exc.located(file=str(path)) from None
