"""The shipped specs (the zoo): where they are, their names, and how a command's SPEC argument becomes a file.

They are package data, cnncalc/models/*.yaml (the repository's specs/ is a symlink to that folder), and this is
the only module that knows it. A SPEC argument resolves in this order (docs/zoo.md):

1. a file as given (`specs/vgg16.yaml`, or `vgg16` when the current folder has a file of that name: the file wins);
2. a zoo name: `vgg16` is cnncalc/models/vgg16.yaml;
3. `NAME_VARIANT` when there is no file of that name but spec NAME has that variant: `resnet50_torchvision` is
   resnet50.yaml with `--variant torchvision`;
4. any other bare name (no folder, no suffix) is an error that names the closest zoo entries; anything else
   (`gone.yaml`, `model.onnx`, `torch:...`) is left to the reader, whose error names the file.

The listing's numbers (`cnncalc specs`) are kept in cnncalc/models/index.json, written by cnncalc/zoo_index.py.
Nothing here imports the rest of cnncalc but its errors (cnncalc/spec/parse.py imports this module).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any, NamedTuple

from cnncalc.errors import SpecError, shown

FOLDER = Path(__file__).resolve().parent / "models"
INDEX = FOLDER / "index.json"
ROOT = FOLDER  # the name older callers used
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # a bare name: no folder, no "torch:" prefix


class Resolved(NamedTuple):
    """A SPEC argument resolved: the file (or model reference) to read, and the variant its name asked for."""

    path: str
    variant: str | None = None


def names() -> list[str]:
    """The zoo's spec names (file stems), sorted: alexnet, densenet121, ..."""
    return sorted(p.stem for p in FOLDER.glob("*.yaml")) if FOLDER.is_dir() else []


def path(name: str) -> Path | None:
    """The file of zoo spec `name`, or None when there is no such spec (never a path outside the zoo)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):  # no folder, no "..": never outside the zoo
        return None
    p = FOLDER / f"{name}.yaml"
    return p if p.is_file() else None


def text(name: str) -> str | None:
    p = path(name)
    return None if p is None else p.read_text(encoding="utf-8")


def digest(name: str) -> str:
    """A short hash of zoo spec `name`'s text: the index records it, so a changed file is seen as changed."""
    p = path(name)
    return "" if p is None else hashlib.sha256(p.read_bytes()).hexdigest()[:16]


def family(name: str) -> str:
    """The family of a zoo name: what comes before its first digit, less a one-letter version tag (resnet50,
    vgg16_c -> vgg, wide_resnet50_2 -> wide_resnet, mobilenet_v2 -> mobilenet, efficientnet_b0 ->
    efficientnet); a name without digits is its first word (alexnet_torchvision -> alexnet)."""
    stem = name.lower()
    if not re.search(r"\d", stem):
        return stem.split("_")[0] or stem
    head = re.match(r"[^\d]*", stem)[0]  # type: ignore[index]
    while True:
        shorter = re.sub(r"(_[a-z]?)$", "", head)
        if shorter == head:
            break
        head = shorter
    return head or stem


def variants(name: str) -> list[str]:
    """The named variants of zoo spec `name` (its `variants:` keys), read without building the spec."""
    import yaml

    p = path(name)
    if p is None:
        return []
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return []
    found = data.get("variants") if isinstance(data, dict) else None
    return [str(v) for v in found] if isinstance(found, dict) else []


def variant_of(spec: str) -> Resolved | None:
    """`NAME_VARIANT` as zoo spec NAME with that variant (resnet50_torchvision), or None."""
    for i in [m.start() for m in re.finditer("_", spec)][::-1]:
        base, variant = spec[:i], spec[i + 1:]
        if base in names() and variant in variants(base):
            return Resolved(str(FOLDER / f"{base}.yaml"), variant)
    return None


def resolve(spec: str) -> Resolved:
    """A command's SPEC argument as (file, variant or None): a file as given wins over a zoo name; then a zoo
    name; then NAME_VARIANT. An unknown bare name raises SpecError naming the closest zoo entries; any other
    argument comes back as given, for the reader to report (no such file, an importer's error)."""
    try:
        if spec == "" or Path(spec).exists():
            return Resolved(spec)
    except (OSError, ValueError):  # a name too long for the system, a NUL byte: the reader says so
        return Resolved(spec)
    p = path(spec)
    if p is not None:
        return Resolved(str(p))
    named = variant_of(spec)
    if named is not None:
        return named
    if _NAME.fullmatch(spec) and not Path(spec).suffix:
        raise SpecError(f"no such file or shipped spec (cnncalc specs lists them){_did_you_mean(spec)}",
                        file=spec)
    return Resolved(spec)


def choose_variant(named: str | None, given: str | None) -> str | None:
    """The variant to build: the one a NAME_VARIANT argument named, or --variant's; both must agree."""
    if named and given and named != given:
        raise SpecError(f"the name asks for variant {shown(named)} and --variant for {shown(given)}: give one",
                        field="--variant")
    return given or named


def spellings() -> list[str]:
    """Every name a SPEC argument may use for the zoo: the files' names and NAME_VARIANT (from the index)."""
    extra = [e["name"] for e in index().get("entries", []) if e.get("variant")]
    return sorted({*names(), *extra})


def _did_you_mean(spec: str) -> str:
    close = difflib.get_close_matches(spec.lower(), spellings(), n=3, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {close[0]}?" if len(close) == 1 else \
        f"; did you mean {', '.join(close[:-1])} or {close[-1]}?"


def index() -> dict[str, Any]:
    """The shipped index (cnncalc/models/index.json): {"entries": [{name, family, source, variant, input,
    params, macs, file, digest}, ...]}; {} when it is missing or unreadable."""
    try:
        data = json.loads(INDEX.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
