"""Every place in a YAML value, and reading or replacing the value at one: the walker that both the fuzzer
(fuzz/fuzz_cli.py) and the property tests (tests/test_properties.py) mutate specs with."""

from __future__ import annotations

from typing import Any

Place = tuple[Any, ...]


def places(node: Any, here: Place = ()) -> list[Place]:
    """The empty path and each key or index, recursively, in document order."""
    out = [here]
    if isinstance(node, dict):
        for k, v in node.items():
            out += places(v, (*here, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += places(v, (*here, i))
    return out


def get(node: Any, path: Place) -> Any:
    for p in path:
        node = node[p]
    return node


def put(root: Any, path: Place, value: Any) -> Any:
    """`root` with the value at `path` replaced (the empty path replaces the root itself)."""
    if not path:
        return value
    get(root, path[:-1])[path[-1]] = value
    return root
