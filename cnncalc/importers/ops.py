"""One ONNX node with one data input → one spec layer (an `Item`), or why it has none.

The table is ONNX's operator vocabulary (https://onnx.ai/onnx/operators/) read the way PyTorch's exporter writes
its modules: Conv (groups, dilations, asymmetric pads, auto_pad), ConvTranspose, Gemm and MatMul (+ Add) as `fc`,
BatchNormalization, the activations (Clip(0, 6) is relu6; Mish, Softplus, PRelu), pools with ceil_mode, ReduceMean
over H and W, Pad, Resize, DepthToSpace, LayerNormalization, GroupNormalization, InstanceNormalization, Dropout.
Joins (Add, Concat, Mul) and channel splits are containers, and patterns of several nodes (GroupNorm as PyTorch's
exporter writes it before opset 18, Softplus with beta, ConvNeXt's permuted Linear, layer_scale) are read there:
to_spec.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.importers.graph import Dim, Graph, Node


@dataclass
class Item:
    """A spec item being built: a layer type with its options, or a container with its parts."""

    kind: str
    opts: dict[str, Any] = field(default_factory=dict)
    node: Node | None = None
    parts: dict[str, Any] = field(default_factory=dict)  # body / shortcut / after: [Item]; branches: [[Item]]
    name: str = ""
    path: tuple[str, ...] = ()  # module path from the node names: ('layer1', 'layer1.0', 'conv1')
    repeat: int = 1
    comment: str = ""


class Unmapped(SpecError):
    """A node with no spec equivalent: --opaque keeps it as an opaque layer."""


def shape_text(dims: tuple[Dim, ...] | None) -> str:
    return "unknown" if dims is None else "[" + ", ".join(str(d) for d in dims) + "]"


class Ops:
    """Maps nodes of one graph; `shape`, `const` and `weight` read what the graph knows about a tensor."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def shape(self, tensor: str) -> tuple[Dim, ...] | None:
        return self.graph.shapes.get(tensor)

    def const(self, tensor: str) -> Any:
        return self.graph.constants.get(tensor) if tensor else None

    def weight(self, node: Node, slot: int) -> tuple[int, ...]:
        name = node.inputs[slot] if len(node.inputs) > slot else ""
        dims = self.graph.initializers.get(name)
        if dims is None:
            shape = self.shape(name)
            if shape is None or not all(isinstance(d, int) for d in shape):
                raise self.unmapped(node, f"its weight {name!r} has no known shape")
            dims = tuple(int(d) for d in shape)  # type: ignore[arg-type]
        return dims

    def unmapped(self, node: Node, why: str = "") -> Unmapped:
        shapes = ", ".join(shape_text(self.shape(t)) for t in node.inputs if t and t not in self.graph.initializers)
        return Unmapped(f"node {node.name!r} ({node.op}) has no spec equivalent{': ' + why if why else ''}; its input "
                        f"shapes: {shapes or 'none'} (cnncalc import --opaque keeps it as a layer whose costs are "
                        "not counted)")

    @staticmethod
    def need(node: Node, attr: str) -> Any:
        if attr not in node.attrs or node.attrs[attr] is None:
            raise SpecError(f"node {node.name!r} ({node.op}) lacks its required attribute {attr!r}")
        return node.attrs[attr]

    def map(self, node: Node) -> Item | list[Item] | None:
        """The layer for a node with one data input; None for one that changes nothing (Identity)."""
        method = getattr(self, f"op_{node.op}", None)
        if method is None:
            raise self.unmapped(node)
        return method(node)

    # --- convolutions and fully connected ---------------------------------------------------------------------
    def _window(self, node: Node, kernel: list[int], out: dict[str, Any], pool: bool = False) -> None:
        rank = len(kernel)
        if rank != 2:
            raise self.unmapped(node, f"a {rank}-d window; cnncalc's layers are 2-d")
        strides = node.attrs.get("strides", [1, 1])
        dilations = node.attrs.get("dilations", [1, 1])
        pads = node.attrs.get("pads", [0, 0, 0, 0])
        auto = node.attrs.get("auto_pad", "NOTSET")
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            shape = self.shape(node.inputs[0])
            if shape is None or len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
                raise self.unmapped(node, f"auto_pad {auto} on an input of unknown height and width")
            pads = [0] * 4
            for axis in (0, 1):
                size, k, s, d = shape[2 + axis], kernel[axis], strides[axis], dilations[axis]
                total = max((math.ceil(size / s) - 1) * s + d * (k - 1) + 1 - size, 0)  # type: ignore[operator]
                small, big = total // 2, total - total // 2
                pads[axis], pads[axis + 2] = (small, big) if auto == "SAME_UPPER" else (big, small)
        elif auto == "VALID":
            pads = [0, 0, 0, 0]
        if len(strides) != 2 or len(dilations) != 2 or len(pads) != 4:
            raise self.unmapped(node, "strides, dilations and pads must be given for 2 axes")
        top, left, bottom, right = pads
        if pool and (top != bottom or left != right):
            raise self.unmapped(node, f"asymmetric pooling pads {pads}")
        if len(set(kernel)) == 1:
            out["kernel"] = kernel[0]
        else:
            out["kernel"] = list(kernel)
        if pool or strides != [1, 1]:
            out["stride"] = strides[0] if strides[0] == strides[1] else list(strides)
        if top == bottom and left == right:
            if top or left:
                out["pad"] = top if top == left else [top, left]
        else:
            out["pad"] = [top, bottom, left, right]
        if dilations != [1, 1]:
            out["dilation"] = dilations[0] if dilations[0] == dilations[1] else list(dilations)

    def op_Conv(self, node: Node) -> Item:
        w = self.weight(node, 1)
        if node.attrs.get("linear"):  # nn.Linear on a channels-last map (graph.py): a linear layer per position
            return Item("fc", {"units": w[0], "per_position": True,
                               **({} if len(node.inputs) > 2 and node.inputs[2] else {"bias": False})}, node)
        opts: dict[str, Any] = {"filters": w[0]}
        self._window(node, node.attrs.get("kernel_shape", list(w[2:])), opts)
        group = node.attrs.get("group", 1)
        if group != 1:
            opts["groups"] = group
        if len(node.inputs) < 3 or not node.inputs[2]:
            opts["bias"] = False
        return Item("conv", opts, node)

    def op_ConvTranspose(self, node: Node) -> Item:
        w = self.weight(node, 1)
        group = node.attrs.get("group", 1)
        if "output_shape" in node.attrs or node.attrs.get("auto_pad", "NOTSET") != "NOTSET":
            raise self.unmapped(node, "output_shape / auto_pad on a transposed convolution")
        opts: dict[str, Any] = {"filters": w[1] * group}
        pads = node.attrs.get("pads", [0, 0, 0, 0])
        if len(pads) != 4 or pads[0] != pads[2] or pads[1] != pads[3]:
            raise self.unmapped(node, f"asymmetric pads {pads} on a transposed convolution")
        self._window(node, node.attrs.get("kernel_shape", list(w[2:])), opts)
        extra = node.attrs.get("output_padding", [0, 0])
        if any(extra):
            opts["output_padding"] = extra[0] if extra[0] == extra[1] else list(extra)
        if group != 1:
            opts["groups"] = group
        if len(node.inputs) < 3 or not node.inputs[2]:
            opts["bias"] = False
        return Item("deconv", opts, node)

    def op_Gemm(self, node: Node) -> Item:
        if node.attrs.get("transA", 0):
            raise self.unmapped(node, "transA=1")
        w = self.weight(node, 1)
        if len(w) != 2:
            raise self.unmapped(node, f"a weight of shape {list(w)}")
        units = w[0] if node.attrs.get("transB", 0) else w[1]
        opts = {"units": units} if len(node.inputs) > 2 and node.inputs[2] else {"units": units, "bias": False}
        return Item("fc", opts, node)

    def op_MatMul(self, node: Node) -> Item:
        shape = self.shape(node.inputs[0])
        w = self.graph.initializers.get(node.inputs[1]) if len(node.inputs) > 1 else None
        if w is None and len(node.inputs) > 1 and node.inputs[1] not in self.graph.inputs:
            w = self.shape(node.inputs[1])  # the weight through a Transpose (nn.Linear exported on a 4-d tensor)
        if w is None or len(w) != 2 or not isinstance(w[1], int) or shape is None or len(shape) not in (2, 4):
            raise self.unmapped(node, "only a flat input times a weight matrix is a fully connected layer")
        if len(shape) == 4:  # on the last axis: a linear layer per position inside ConvNeXt's permutes (to_spec.py)
            return Item("fc", {"units": w[1], "bias": False, "per_position": True, "last_axis": True}, node)
        return Item("fc", {"units": w[1], "bias": False}, node)  # a following Add of a bias is folded in

    # --- normalisation ----------------------------------------------------------------------------------------
    @staticmethod
    def _eps(node: Node, opts: dict[str, Any], default: float = 1e-5) -> dict[str, Any]:
        eps = node.attrs.get("epsilon", 1e-5)
        if not math.isclose(eps, default, rel_tol=1e-6):
            opts["eps"] = float(f"{eps:.6g}")
        return opts

    def op_BatchNormalization(self, node: Node) -> Item:
        return Item("bn", self._eps(node, {}), node)

    def op_LayerNormalization(self, node: Node) -> Item:
        """The spec's layernorm: over a vector, or over the channels at each position (`channels_only`, from a
        channels-last LayerNorm between two transposes, rewrite.py). Over C·H·W, or over W alone, it is another
        layer (C·H·W or W weights), not mapped."""
        rank = len(self.shape(node.inputs[0]) or ())
        axis = node.attrs.get("axis", -1)
        last = rank == 4 and axis in (-1, 3)  # the channels only inside a permute to channels-last (patterns.py)
        if not node.attrs.get("channels_only") and not (rank == 2 and axis in (-1, 1)) and not last:
            raise self.unmapped(node, f"a layer norm over the axes from {axis} of a {rank}-d tensor (the spec's "
                                      "layernorm is over the channels at each position, or over a vector)")
        opts = self._eps(node, {"last_axis": True} if last and not node.attrs.get("channels_only") else {})
        if len(node.inputs) < 2 or not node.inputs[1]:
            opts["affine"] = False
        return Item("layernorm", opts, node)

    def _learned(self, node: Node, *slots: int) -> bool:
        return all(len(node.inputs) > i and node.inputs[i] in self.graph.initializers for i in slots)

    def op_GroupNormalization(self, node: Node) -> Item:
        opts = {"groups": self.need(node, "num_groups"), **self._eps(node, {})}
        if not self._learned(node, 1, 2):
            opts["affine"] = False
        return Item("groupnorm", opts, node)

    def op_InstanceNormalization(self, node: Node) -> Item:
        opts = self._eps(node, {})
        if self._learned(node, 1, 2):  # constant ones and zeros: nn.InstanceNorm2d(affine=False), or a GroupNorm
            opts["affine"] = True
        return Item("instancenorm", opts, node)

    def op_LRN(self, node: Node) -> Item:
        return Item("lrn", {"size": self.need(node, "size"), "alpha": node.attrs.get("alpha", 1e-4),
                            "beta": node.attrs.get("beta", 0.75), "k": node.attrs.get("bias", 1.0)}, node)

    # --- activations ------------------------------------------------------------------------------------------
    def op_Relu(self, node: Node) -> Item:
        return Item("relu", {}, node)

    def op_Sigmoid(self, node: Node) -> Item:
        return Item("sigmoid", {}, node)

    def op_Tanh(self, node: Node) -> Item:
        return Item("tanh", {}, node)

    def op_HardSigmoid(self, node: Node) -> Item:
        return Item("hardsigmoid", {}, node)

    def op_HardSwish(self, node: Node) -> Item:
        return Item("hardswish", {}, node)

    def op_Gelu(self, node: Node) -> Item:
        approx = node.attrs.get("approximate", "none")
        return Item("gelu", {"approximate": "tanh"} if approx == "tanh" else {}, node)

    def op_LeakyRelu(self, node: Node) -> Item:
        alpha = node.attrs.get("alpha", 0.01)
        return Item("leaky_relu", {} if math.isclose(alpha, 0.01) else {"negative_slope": alpha}, node)

    def op_Elu(self, node: Node) -> Item:
        alpha = node.attrs.get("alpha", 1.0)
        return Item("elu", {} if alpha == 1.0 else {"alpha": alpha}, node)

    def op_Mish(self, node: Node) -> Item:
        return Item("mish", {}, node)

    def op_Softplus(self, node: Node) -> Item:  # ONNX's has no beta (a Mul and a Div around it: to_spec.py)
        opts = {k: node.attrs[k] for k in ("beta", "threshold") if k in node.attrs}
        return Item("softplus", {k: v for k, v in opts.items() if v != {"beta": 1, "threshold": 20}[k]}, node)

    def op_PRelu(self, node: Node) -> Item:
        slopes = _product(self.weight(node, 1))
        shape = self.shape(node.inputs[0])
        if slopes == 1:
            return Item("prelu", {"slopes": 1}, node)
        if shape is not None and len(shape) >= 2 and slopes == shape[1]:
            return Item("prelu", {"slopes": "channels"}, node)
        raise self.unmapped(node, f"{slopes} slopes; the spec's prelu has 1 or one per channel")

    def op_Clip(self, node: Node) -> Item:
        low = node.attrs.get("min", self._scalar(node, 1))
        high = node.attrs.get("max", self._scalar(node, 2))
        if low == 0 and high == 6:
            return Item("relu6", {}, node)
        if low == 0 and (high is None or high == math.inf):
            return Item("relu", {}, node)
        raise self.unmapped(node, f"Clip({low}, {high}) is neither relu (0, ∞) nor relu6 (0, 6)")

    def _scalar(self, node: Node, slot: int) -> Any:
        if len(node.inputs) <= slot or not node.inputs[slot]:
            return None
        value = self.const(node.inputs[slot])
        while isinstance(value, list) and len(value) == 1:
            value = value[0]
        if value is None or isinstance(value, list):
            raise self.unmapped(node, f"input {slot} is not a constant")
        return value

    def op_Softmax(self, node: Node) -> Item:
        shape = self.shape(node.inputs[0])
        axis = node.attrs.get("axis", -1)
        rank = len(shape) if shape is not None else 2
        if axis % rank != 1:
            raise self.unmapped(node, f"softmax over axis {axis}; cnncalc's is over the channels or features")
        return Item("softmax", {}, node)

    # --- pooling and reshaping --------------------------------------------------------------------------------
    def op_MaxPool(self, node: Node) -> Item:
        if len(node.outputs) > 1 and node.outputs[1]:
            raise self.unmapped(node, "MaxPool's indices output")
        opts: dict[str, Any] = {}
        self._window(node, self.need(node, "kernel_shape"), opts, pool=True)
        if node.attrs.get("ceil_mode", 0):
            opts["ceil"] = True
        return Item("maxpool", opts, node)

    def op_AveragePool(self, node: Node) -> Item:
        opts: dict[str, Any] = {}
        self._window(node, self.need(node, "kernel_shape"), opts, pool=True)
        if "dilation" in opts:
            raise self.unmapped(node, "a dilated average pool")
        if node.attrs.get("ceil_mode", 0):
            opts["ceil"] = True
        item = Item("avgpool", opts, node)
        if "pad" in opts and not node.attrs.get("count_include_pad", 0):  # the spec has no option: the same costs
            item.comment = "count_include_pad=0 in the graph: the padding is left out of each average"
        return item

    def op_GlobalAveragePool(self, node: Node) -> Item:
        return Item("global_avgpool", {}, node)

    def op_GlobalMaxPool(self, node: Node) -> Item:
        return Item("global_maxpool", {}, node)

    def _reduce(self, node: Node, kind: str) -> Item | list[Item]:
        """ReduceMean / ReduceMax over H and W (`x.mean((2, 3), keepdim=True)`): the global pool; without keepdims,
        the pool then a flatten (`x.mean([2, 3])`, ShuffleNetV2's head)."""
        shape = self.shape(node.inputs[0])
        axes = node.attrs.get("axes")
        if axes is None and len(node.inputs) > 1 and node.inputs[1]:
            axes = self.const(node.inputs[1])
        if shape is None or len(shape) != 4 or not isinstance(axes, list) or sorted(a % 4 for a in axes) != [2, 3]:
            raise self.unmapped(node, f"a reduction over axes {axes}; only over H and W is a global pool")
        pool = Item(kind, {}, node)
        return pool if node.attrs.get("keepdims", 1) else [pool, Item("flatten", {}, node)]

    def op_ReduceMean(self, node: Node) -> Item | list[Item]:
        return self._reduce(node, "global_avgpool")

    def op_ReduceMax(self, node: Node) -> Item | list[Item]:
        return self._reduce(node, "global_maxpool")

    def op_SpaceToDepth(self, node: Node) -> Item:
        raise self.unmapped(node, "the spec has no space_to_depth (pixel_unshuffle) layer")

    def _flat(self, node: Node) -> Item | None:
        before, after = self.shape(node.inputs[0]), self.shape(node.outputs[0])
        if before is None or after is None or len(after) != 2:
            raise self.unmapped(node, f"a reshape from {shape_text(before)} to {shape_text(after)}")
        if len(before) == 2:
            return None  # flat already
        if len(before) == 4 and after[1] == _product(before[1:]):
            return Item("flatten", {}, node)
        raise self.unmapped(node, f"a reshape from {shape_text(before)} to {shape_text(after)}")

    def op_Flatten(self, node: Node) -> Item | None:
        if node.attrs.get("axis", 1) != 1:
            raise self.unmapped(node, f"flatten from axis {node.attrs['axis']}")
        return self._flat(node)

    def op_Reshape(self, node: Node) -> Item | None:
        after = self.shape(node.outputs[0])
        if after is not None and len(after) == 2:
            return self._flat(node)
        return Item("reshape", {"to": after}, node)  # a channel shuffle's first or last step (to_spec.py)

    def op_Transpose(self, node: Node) -> Item:
        return Item("transpose", {"perm": node.attrs.get("perm")}, node)

    def op_Squeeze(self, node: Node) -> Item | None:
        return self._flat(node)

    def op_Pad(self, node: Node) -> Item:
        mode = node.attrs.get("mode", "constant")
        pads = node.attrs.get("pads") if "pads" in node.attrs else self.const(node.inputs[1])
        value = self._scalar(node, 2) if len(node.inputs) > 2 else node.attrs.get("value", 0.0)
        if mode != "constant" or value not in (0, 0.0, None) or not isinstance(pads, list) or len(pads) != 8 \
                or len(node.inputs) > 3 and node.inputs[3]:
            raise self.unmapped(node, f"{mode} padding with value {value} and pads {pads}; zeropad is constant zeros")
        if pads[0] or pads[1] or pads[4] or pads[5] or min(pads) < 0:
            raise self.unmapped(node, f"pads {pads} on the batch or channel axis, or negative")
        top, left, bottom, right = pads[2], pads[3], pads[6], pads[7]
        pad = top if top == bottom == left == right else [top, bottom, left, right]
        return Item("zeropad", {"pad": pad}, node)

    def op_Resize(self, node: Node) -> Item:
        mode = node.attrs.get("mode", "nearest")
        if mode not in ("nearest", "linear"):
            raise self.unmapped(node, f"{mode} interpolation")
        before, after = self.shape(node.inputs[0]), self.shape(node.outputs[0])
        opts: dict[str, Any] = {}
        if before and after and len(before) == 4 and len(after) == 4 and all(isinstance(d, int) for d in after[2:]):
            hw_in, hw_out = before[2:], after[2:]
            if all(isinstance(d, int) and d and o % d == 0 for d, o in zip(hw_in, hw_out)):
                sh, sw = (o // d for d, o in zip(hw_in, hw_out))  # type: ignore[operator]
                opts["scale"] = sh if sh == sw else [sh, sw]
            else:
                opts["size"] = list(hw_out)
        else:
            scales = self.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
            if not isinstance(scales, list) or len(scales) != 4 or any(s != int(s) for s in scales[2:]):
                raise self.unmapped(node, "a resize by unknown or fractional scales")
            sh, sw = int(scales[2]), int(scales[3])
            opts["scale"] = sh if sh == sw else [sh, sw]
        if mode == "linear":
            opts["mode"] = "bilinear"
            if node.attrs.get("coordinate_transformation_mode") == "align_corners":
                opts["align_corners"] = True
        return Item("upsample", opts, node)

    op_Upsample = op_Resize

    def op_DepthToSpace(self, node: Node) -> Item:
        return Item("pixel_shuffle", {"factor": self.need(node, "blocksize")}, node)

    def op_Dropout(self, node: Node) -> Item:
        ratio = node.attrs.get("ratio")
        if ratio is None and len(node.inputs) > 1 and node.inputs[1]:
            ratio = self._scalar(node, 1)
        return Item("dropout", {"p": float(f"{ratio if ratio is not None else 0.5:.6g}")}, node)

    def op_Identity(self, node: Node) -> None:
        return None

    # --- arithmetic with a constant: folded into the layer before (fc's bias) or a pattern (GELU) -----------------
    def _with_const(self, node: Node) -> Item:
        value = next((self.const(t) for t in node.inputs if self.const(t) is not None), None)
        dims = next((self.graph.initializers.get(t) for t in node.inputs if t in self.graph.initializers), None)
        return Item("const_op", {"op": node.op, "value": value, "dims": dims}, node)

    op_Add = op_Mul = op_Div = op_Sub = _with_const

    def op_Erf(self, node: Node) -> Item:
        return Item("erf", {}, node)


def _product(dims: tuple[Dim, ...]) -> Dim:
    n: Dim = 1
    for d in dims:
        if not isinstance(d, int) or not isinstance(n, int):
            return "?"
        n *= d
    return n
