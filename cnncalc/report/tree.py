"""The drawing's structure: a report's rows as a series-parallel tree, read from the data flow alone.

The spec's containers (sequence, repeat, concat, residual, dense) are series-parallel, and every row records the
ids of the tensors it reads and writes (LayerResult.tensor_in/tensor_out), so the tree needs no graph library and
no knowledge of the container classes: inside a block, a row that reads a tensor other than the running one opens
a branch at that tensor, and a row that reads several tensors (a concatenation, an addition) joins the open
branches. A join input that is the fork tensor itself is the identity path: a residual bypass, a dense block's
carried input. The same walk serves imported models and symbolic reports, which have rows but no modules.

Tree nodes (JSON): a row index (a box); {"s": [...]} a series; {"p": [[...], ...], "j": row} branches side by
side joined by that row (an empty branch is a bypass line); {"b": module index, "c": [...]} a block, drawn as one
box until opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnncalc.results import LayerResult, ModuleResult


@dataclass
class _Unit:
    node: Any  # a row index, or a block dict
    ins: tuple[int, ...]
    out: int


@dataclass
class _Branch:
    items: list[Any] = field(default_factory=list)
    end: int = -1


def parents(modules: tuple[ModuleResult, ...]) -> list[int | None]:
    """Each module's enclosing module: the longest dotted-name prefix whose rows contain it."""
    index = {m.name: i for i, m in enumerate(modules)}
    out: list[int | None] = []
    for m in modules:
        parts = m.name.split(".")
        parent = None
        for k in range(len(parts) - 1, 0, -1):
            j = index.get(".".join(parts[:k]))
            if j is not None and modules[j].first_row <= m.first_row and m.end_row <= modules[j].end_row:
                parent = j
                break
        out.append(parent)
    return out


def build(layers: tuple[LayerResult, ...], modules: tuple[ModuleResult, ...] = ()) -> list[Any]:
    """The top-level series of the drawing: one item per top-level row or block (summarize's depth 1)."""
    up = parents(modules)
    children: dict[int | None, dict[int, int]] = {}  # parent -> first row -> child module
    for i, m in enumerate(modules):
        if m.end_row > m.first_row:
            # two modules may start on one row (a repeat and its first block): the outer one is the child
            siblings = children.setdefault(up[i], {})
            j = siblings.get(m.first_row)
            if j is None or modules[j].end_row < m.end_row:
                siblings[m.first_row] = i
    return _series(layers, modules, children, None, 0, len(layers))


def _series(layers: tuple[LayerResult, ...], modules: tuple[ModuleResult, ...],
            children: dict[int | None, dict[int, int]], parent: int | None, first: int, end: int) -> list[Any]:
    units = []
    mine = children.get(parent, {})
    i = first
    while i < end:
        j = mine.get(i)
        if j is not None and modules[j].end_row <= end:
            m = modules[j]
            body = _series(layers, modules, children, j, m.first_row, m.end_row)
            first_in = layers[m.first_row].tensor_in[:1]
            units.append(_Unit({"b": j, "c": body}, first_in, layers[m.end_row - 1].tensor_out))
            i = m.end_row
        else:
            units.append(_Unit(i, layers[i].tensor_in, layers[i].tensor_out))
            i += 1
    start = units[0].ins[0] if units and units[0].ins else -1
    return _fold(units, start)


def _last_producer(chain: list[_Unit], tensor: int) -> int:
    for k in range(len(chain) - 1, -1, -1):
        if chain[k].out == tensor:
            return k
    return -1


def _fold(units: list[_Unit], start: int) -> list[Any]:
    """Series-parallel folding of a block's units in row order (see the module's docstring)."""
    chain: list[_Unit] = []
    cur = start
    fork: int | None = None
    open_: list[_Branch] = []
    for u in units:
        if len(u.ins) <= 1:
            a = u.ins[0] if u.ins else cur
            if open_:
                target = next((b for b in reversed(open_) if b.end == a), None)
                if target is not None:
                    target.items.append(u.node)
                    target.end = u.out
                else:  # another branch from the fork (or, unexpected, from elsewhere: drawn from the fork)
                    open_.append(_Branch([u.node], u.out))
            elif a == cur:
                chain.append(u)
                cur = u.out
            else:  # a fork at tensor a: what was drawn since a becomes the first branch
                k = _last_producer(chain, a)
                open_ = [_Branch([x.node for x in chain[k + 1:]], cur), _Branch([u.node], u.out)]
                chain = chain[:k + 1]
                fork, cur = a, a
            continue
        if not open_:  # a join with no open branch: one input is the running tensor, another the identity
            others = [a for a in u.ins if a != cur]
            fork = others[0] if others else cur
            k = _last_producer(chain, fork)
            open_ = [_Branch([x.node for x in chain[k + 1:]], cur)]
            chain = chain[:k + 1]
        branches: list[list[Any]] = []
        used: set[int] = set()
        for a in u.ins:
            b = next((i for i, b in enumerate(open_) if b.end == a and i not in used and b.items), None)
            if b is None:
                branches.append([])  # the fork tensor itself: a bypass
            else:
                used.add(b)
                branches.append(open_[b].items)
        branches += [b.items for i, b in enumerate(open_) if i not in used and b.items]
        chain.append(_Unit({"p": branches, "j": u.node}, u.ins, u.out))
        cur, fork, open_ = u.out, None, []
    out = [x.node for x in chain]
    if open_:  # branches never joined (a model's several outputs): side by side, no join
        out.append({"p": [b.items for b in open_], "j": None})
    return out
