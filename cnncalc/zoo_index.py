"""The zoo's index: one entry per shipped spec and per named variant (resnet50, resnet50_torchvision), with its
family, source, input size, params and MACs — what `cnncalc specs` lists without analysing 40 networks.

The index is cnncalc/models/index.json (cnncalc.zoo reads it). Rewrite it after adding or changing a spec:

    python -m cnncalc.zoo_index

Each entry records its file's digest; `listing()` computes an entry whose file is new or changed since the index
was written, so the listing is always right (and tests/test_zoo.py fails while the shipped index is stale).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from cnncalc import zoo
from cnncalc.errors import CnnCalcError

FIELDS = ("name", "family", "source", "variant", "input", "params", "macs", "file", "digest")


@dataclass(frozen=True)
class Listing:
    """What `cnncalc specs` shows: the entries, the files computed now (not in the index), and unreadable ones."""

    entries: tuple[dict[str, Any], ...]
    computed: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()


def source_of(data: Any, text: str) -> str:
    """Where a spec comes from, in a few words: its `source:` field; else its `description:` or the first line
    of its comment header, as "torchvision" when that is where it comes from."""
    if isinstance(data, dict) and isinstance(data.get("source"), str) and data["source"].strip():
        return data["source"].strip()
    said = data.get("description") if isinstance(data, dict) else None
    if not isinstance(said, str) or not said.strip():
        first = next((line for line in text.splitlines() if line.strip()), "")
        said = first.lstrip("#").strip() if first.lstrip().startswith("#") else ""
    if re.match(r"torchvision\b", said.strip(), re.IGNORECASE):
        return "torchvision"
    return said.split(". ")[0].strip().rstrip(".:")


def entries_of(name: str) -> list[dict[str, Any]]:
    """The index entries of zoo spec `name`: the spec itself, then one per named variant (NAME_VARIANT)."""
    import yaml

    from cnncalc.analysis import analyze
    from cnncalc.spec import load_spec

    path = zoo.path(name)
    if path is None:
        raise KeyError(name)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    source = source_of(data, text)
    out = []
    model = load_spec(str(path))
    for variant in (None, *model.variants):
        built = model if variant is None else load_spec(str(path), variant=variant)
        report = analyze(built)
        shown = source if variant is None else "torchvision" if variant == "torchvision" else f"{source} ({variant})"
        out.append({"name": name if variant is None else f"{name}_{variant}", "family": zoo.family(name),
                    "source": shown, "variant": variant, "input": list(built.input), "params": report.totals.params,
                    "macs": report.totals.macs, "file": path.name, "digest": zoo.digest(name)})
    return out


def build() -> dict[str, Any]:
    """The whole index, computed now (every spec analysed: seconds)."""
    entries: list[dict[str, Any]] = []
    for name in zoo.names():
        entries += entries_of(name)
    return {"about": "cnncalc specs' listing; rewrite with: python -m cnncalc.zoo_index", "entries": entries}


def listing(family: str | None = None) -> Listing:
    """Every zoo entry, from the index where its file is unchanged, computed now where it is new or changed."""
    indexed: dict[str, list[dict[str, Any]]] = {}
    for entry in zoo.index().get("entries", []):
        if isinstance(entry, dict) and all(k in entry for k in FIELDS):
            indexed.setdefault(str(entry["file"]), []).append(entry)
    entries: list[dict[str, Any]] = []
    computed: list[str] = []
    failed: list[tuple[str, str]] = []
    for name in zoo.names():
        if family and zoo.family(name) != family.lower():
            continue
        known = indexed.get(f"{name}.yaml", [])
        if known and all(e["digest"] == zoo.digest(name) for e in known):
            entries += known
            continue
        try:
            entries += entries_of(name)
            computed.append(name)
        except CnnCalcError as exc:
            failed.append((name, str(exc)))
    entries.sort(key=lambda e: natural(e["name"]))
    return Listing(tuple(entries), tuple(computed), tuple(failed))


def natural(name: str) -> tuple[Any, ...]:
    """A sort key that puts resnet18 before resnet101: runs of digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.lower()))


def write() -> int:
    """Rewrite cnncalc/models/index.json; the number of entries."""
    data = build()
    lines = ",\n".join(f"  {json.dumps(e, ensure_ascii=False)}" for e in data["entries"])  # an entry a line
    zoo.INDEX.write_text(f'{{"about": {json.dumps(data["about"])},\n "entries": [\n{lines}\n]}}\n',
                         encoding="utf-8")
    return len(data["entries"])


if __name__ == "__main__":
    count = write()
    print(f"Wrote {zoo.INDEX} ({count} entries)", file=sys.stderr)
