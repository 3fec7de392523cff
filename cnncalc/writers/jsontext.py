"""JSON text for the commands' data contracts (cnncalc/views/ builds the data; this only lays it out)."""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any) -> str:
    """Indented, non-ASCII kept (55×55, ✓), ending in a newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def dumps_by_line(data: dict[str, Any]) -> str:
    """Indented at the top level, one line per row of a list of mappings: readable, and fast (one C-encoded
    dump, then a line break between the rows: several times faster than a dump per row, for 100k layers)."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            # a nested list of mappings inside a row may break too; the JSON stays the same
            items = json.dumps(value, ensure_ascii=False)[1:-1].replace("}, {", "},\n    {")
            text = f"[\n    {items}\n  ]"
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}"
