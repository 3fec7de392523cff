"""A Graph → Graph rewrite that turns layout plumbing into the layers it stands for; torch-free, so that either
importer can use it (torch_graph.py does).

`channels_first`: Transpose [0,2,3,1] … Transpose [0,3,1,2] around layers that work on the last axis alone
(ConvNeXt's permute → LayerNorm → Linear → GELU → Linear → permute) is the same layers on NCHW without the
transposes: a LayerNormalization over the last axis becomes one over the channels at each position (axis 1,
`channels_only: 1`: the spec's `layernorm`), a PointwiseLinear a 1×1 Conv (`linear: 1`; its weight keeps the
Linear's [out, in] shape, the same count as [out, in, 1, 1]).
"""

from __future__ import annotations

from dataclasses import replace

from cnncalc.importers.graph import Graph, Node

POINTWISE = frozenset({"Relu", "Gelu", "Sigmoid", "Tanh", "Clip", "Dropout", "Identity", "HardSwish", "HardSigmoid",
                       "LeakyRelu", "Elu", "Swish", "Mish", "Softplus"})
TO_LAST, TO_FIRST = [0, 2, 3, 1], [0, 3, 1, 2]


def _consumers(graph: Graph) -> dict[str, list[Node]]:
    users: dict[str, list[Node]] = {}
    for node in graph.nodes:
        for name in node.inputs:
            users.setdefault(name, []).append(node)
    return users


def _sole(users: dict[str, list[Node]], value: str, graph: Graph) -> Node | None:
    found = users.get(value, [])
    return found[0] if len(found) == 1 and value not in graph.outputs else None


def _rewired(graph: Graph, drop: set[str], new: dict[str, Node], renamed: dict[str, str],
             shapes: dict[str, tuple] | None = None) -> Graph:
    """Nodes in `drop` removed, those in `new` replaced (by name), every input in `renamed` renamed."""
    nodes = []
    for node in graph.nodes:
        if node.name in drop:
            continue
        node = new.get(node.name, node)
        if any(i in renamed for i in node.inputs):
            node = replace(node, inputs=tuple(renamed.get(i, i) for i in node.inputs))
        nodes.append(node)
    used = {i for n in nodes for i in n.inputs}
    return replace(graph, nodes=tuple(nodes), outputs=tuple(renamed.get(o, o) for o in graph.outputs),
                   constants={k: v for k, v in graph.constants.items() if k in used},
                   shapes={**graph.shapes, **(shapes or {})})


def _last_axis_layer(node: Node, graph: Graph) -> bool:
    if node.op in POINTWISE:
        return True
    if node.op == "PointwiseLinear":
        return node.attrs.get("axis") == -1
    if node.op == "LayerNormalization":
        rank = len(graph.shapes.get(node.inputs[0], ()))
        return rank == 4 and node.attrs.get("axis") in (-1, 3)
    return False


def channels_first(graph: Graph) -> Graph:
    users = _consumers(graph)
    drop: set[str] = set()
    new: dict[str, Node] = {}
    renamed: dict[str, str] = {}
    shapes: dict[str, tuple] = {}
    for start in graph.nodes:
        if start.op != "Transpose" or list(start.attrs.get("perm", ())) != TO_LAST:
            continue
        chain: list[Node] = []
        value = start.outputs[0]
        end = None
        while (user := _sole(users, value, graph)) is not None:
            if user.op == "Transpose" and list(user.attrs.get("perm", ())) == TO_FIRST:
                end = user
                break
            if not _last_axis_layer(user, graph) or len(user.outputs) != 1:
                break
            chain.append(user)
            value = user.outputs[0]
        if end is None or not chain:
            continue
        drop |= {start.name, end.name}
        for k, node in enumerate(chain):
            inputs = (start.inputs[0], *node.inputs[1:]) if k == 0 else node.inputs
            op, attrs = node.op, dict(node.attrs)
            if op == "LayerNormalization":
                attrs = {"axis": 1, "epsilon": attrs.get("epsilon", 1e-5), "channels_only": 1}
            elif op == "PointwiseLinear":  # a Linear at every position of NCHW: a 1×1 convolution
                op, attrs = "Conv", {"kernel_shape": [1, 1], "strides": [1, 1], "pads": [0, 0, 0, 0],
                                     "dilations": [1, 1], "group": 1, "linear": 1}
            new[node.name] = Node(node.name, op, inputs, node.outputs, attrs)
            n, h, w, c = graph.shapes[node.outputs[0]]
            shapes[node.outputs[0]] = (n, c, h, w)
        renamed[end.outputs[0]] = chain[-1].outputs[0]
    return _rewired(graph, drop, new, renamed, shapes) if new else graph
