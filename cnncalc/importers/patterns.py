"""Runs of several items in one sequence that stand for one spec layer, as exporters write them (to_spec.py's
`tidy` calls `fold` on every sequence before its own folding):

- Transpose [0, 2, 3, 1] … Transpose [0, 3, 1, 2] around layers that work on the last axis (ConvNeXt's permute →
  LayerNorm → Linear → GELU → Linear → permute, exported as MatMul + Add): the same layers on NCHW, each MatMul a
  linear layer per position (`fc: {per_position: true}`), the transposes gone.
- Mul(x, β) → Softplus → Div(β): `softplus: {beta: β}` (PyTorch's exporter; ONNX's Softplus has no beta, and no
  threshold: that one is lost).
- Reshape [N, G, -1] → InstanceNormalization (constant ones and zeros) → Reshape back (→ Mul by a C×1×1 weight →
  Add of a C×1×1 bias): `groupnorm: {groups: G}` (nn.GroupNorm as PyTorch exports it before opset 18).
- Mul by a learned C×1×1 weight (ConvNeXt's `self.layer_scale * x`): `scale`.
"""

from __future__ import annotations

from typing import Any

from cnncalc.importers.graph import Graph
from cnncalc.importers.ops import Item

TO_LAST, TO_FIRST = [0, 2, 3, 1], [0, 3, 1, 2]
LAST_AXIS = {"layernorm", "fc", "relu", "relu6", "gelu", "sigmoid", "tanh", "hardswish", "hardsigmoid", "silu",
             "leaky_relu", "elu", "mish", "softplus", "dropout", "const_op"}


def fold(items: list[Item], graph: Graph) -> list[Item]:
    items = _channels_last(items)
    out: list[Item] = []
    i = 0
    while i < len(items):
        for pattern in (_softplus, _groupnorm, _scale):
            found = pattern(items, i, graph)
            if found is not None:
                item, used = found
                out.append(item)
                i += used
                break
        else:
            out.append(items[i])
            i += 1
    return out


def _perm(item: Item) -> Any:
    return item.opts.get("perm") if item.kind == "transpose" else None


def _channels_last(items: list[Item]) -> list[Item]:
    out: list[Item] = []
    i = 0
    while i < len(items):
        if _perm(items[i]) == TO_LAST:
            j = i + 1
            while j < len(items) and items[j].kind in LAST_AXIS and not items[j].parts:
                j += 1
            if j < len(items) and j > i + 1 and _perm(items[j]) == TO_FIRST:
                for item in items[i + 1:j]:
                    item.opts.pop("last_axis", None)
                out.extend(items[i + 1:j])
                i = j + 1
                continue
        out.append(items[i])
        i += 1
    return out


def scalar(value: Any) -> Any:
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return None if isinstance(value, list) else value


def _const(item: Item | None, op: str) -> bool:
    return item is not None and item.kind == "const_op" and item.opts["op"] == op


def _softplus(items: list[Item], i: int, _graph: Graph) -> tuple[Item, int] | None:
    run = items[i:i + 3]
    if len(run) < 3 or not _const(run[0], "Mul") or run[1].kind != "softplus" or not _const(run[2], "Div"):
        return None
    beta, again = scalar(run[0].opts["value"]), scalar(run[2].opts["value"])
    if not isinstance(beta, (int, float)) or beta != again or beta <= 0:
        return None
    opts = dict(run[1].opts)
    if beta != 1:
        opts["beta"] = float(beta)
    return Item("softplus", opts, run[1].node), 3


def _per_channel(item: Item | None, op: str, graph: Graph) -> bool:
    """A Mul or Add by a C×1×1 (or 1×C×1×1) tensor, C the channels of its output."""
    if not _const(item, op) or item.node is None:  # type: ignore[union-attr]
        return False
    dims = item.opts["dims"]  # type: ignore[union-attr]
    out = graph.shapes.get(item.node.outputs[0])  # type: ignore[union-attr]
    if dims is None or out is None or len(out) != 4:
        return False
    dims = tuple(dims)[1:] if len(dims) == 4 and dims[0] == 1 else tuple(dims)
    return dims == (out[1], 1, 1)


def _groupnorm(items: list[Item], i: int, graph: Graph) -> tuple[Item, int] | None:
    run = items[i:i + 3]
    if len(run) < 3 or run[0].kind != "reshape" or run[1].kind != "instancenorm" or run[2].kind != "reshape":
        return None
    to, back = run[0].opts.get("to"), run[2].opts.get("to")
    if not to or len(to) != 3 or not isinstance(to[1], int) or not back or len(back) != 4 or \
            run[1].opts.get("affine"):
        return None
    opts: dict[str, Any] = {"groups": to[1], **{k: v for k, v in run[1].opts.items() if k == "eps"}}
    nxt = items[i + 3:i + 5]
    if len(nxt) == 2 and _per_channel(nxt[0], "Mul", graph) and _per_channel(nxt[1], "Add", graph):
        return Item("groupnorm", opts, run[1].node), 5
    return Item("groupnorm", {**opts, "affine": False}, run[1].node), 3


def _scale(items: list[Item], i: int, graph: Graph) -> tuple[Item, int] | None:
    item = items[i]
    if not _per_channel(item, "Mul", graph) or item.node is None or \
            not any(t in graph.initializers for t in item.node.inputs):
        return None
    return Item("scale", {}, item.node), 1
