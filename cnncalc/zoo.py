"""The shipped specs (the zoo): their names and texts, read through these functions only, so that moving them
(into package data, say) changes this module alone. Today they are the repository's specs/*.yaml."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "specs"


def names() -> list[str]:
    """The zoo's spec names (file stems), sorted: alexnet, densenet121, ..."""
    return sorted(p.stem for p in ROOT.glob("*.yaml")) if ROOT.is_dir() else []


def path(name: str) -> Path | None:
    """The file of zoo spec `name`, or None when there is no such spec (never a path outside the zoo)."""
    return ROOT / f"{name}.yaml" if name in names() else None


def text(name: str) -> str | None:
    p = path(name)
    return None if p is None else p.read_text(encoding="utf-8")


def resolve(spec: str) -> str:
    """A command's SPEC argument: a file as given, or else a zoo name (`resnet50`) as its file."""
    if Path(spec).exists():
        return spec
    p = path(spec)
    return str(p) if p is not None else spec
