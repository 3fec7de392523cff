"""How many rows a layer tree expands to, counted before the analysis runs, and the refusal of a network too
large to analyse (nested repeats and blocks multiply; the count itself never expands a repeat). An item parsed only
once its input shape is known (graph.Deferred) counts as one row here; the walk refuses the excess itself.
"""

from __future__ import annotations

from cnncalc.errors import SpecError
from cnncalc.layers.base import Layer
from cnncalc.layers.graph import Concat, Deferred, Dense, Gate, Repeat, Residual, Sequence, Split
from cnncalc.limits import MAX_ROWS


def rows(node: Layer) -> int:
    """How many rows (layers and joins) the analysis will produce for `node`, counted without expanding repeats."""
    if isinstance(node, Sequence):
        return sum(rows(item) for item in node.items)
    if isinstance(node, Repeat):
        return rows(node.first) + (node.count - 1) * rows(node.rest)
    if isinstance(node, (Concat, Split)):  # the concatenation (and a split's cut)
        return sum(rows(branch) for branch in node.branches) + (2 if isinstance(node, Split) else 1)
    if isinstance(node, Gate):
        return rows(node.body) + 1
    if isinstance(node, Deferred):
        return 1  # parsed during the walk, which counts its rows itself (analysis.Walker.leaf)
    if isinstance(node, Residual):
        shortcut = rows(node.shortcut) if node.shortcut else 2 if node.auto else 0  # auto: a conv and a batch norm
        return rows(node.body) + shortcut + 1 + (rows(node.after) if node.after else 0)
    if isinstance(node, Dense):
        return node.count * (rows(node.body) + 1)
    return 1


def check_rows(layers: tuple[Layer, ...]) -> None:
    """Refuse a network with more than MAX_ROWS rows before analysing any: nested repeats multiply."""
    total = 0
    for layer in layers:
        n = rows(layer)
        total += n
        if n > MAX_ROWS:
            raise SpecError(f"expands to {n:,} layers and joins; at most {MAX_ROWS:,} can be analysed",
                            line=layer.line, field=layer.path)
        if total > MAX_ROWS:
            raise SpecError(f"the network reaches {total:,} layers and joins here; at most {MAX_ROWS:,} can be "
                            "analysed", line=layer.line, field=layer.path)
