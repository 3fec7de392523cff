"""A traced torch.fx graph (shapes known from ShapeProp) → ONNX-vocabulary nodes: one handler per nn module class
(a call_module node) and per function or method (call_function / call_method), as graph.py describes them.

Imported by torch_graph.py only once torch is known to import. A node no handler takes is an error that names it,
its target and its input shapes, never a skip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn

from cnncalc.errors import CnnCalcError
from cnncalc.importers.graph import Node


class Unsupported(CnnCalcError, ValueError):
    """A traced node cnncalc has no layer for."""


def _shape(node: Any) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta") if isinstance(node, fx.Node) else None
    return tuple(int(d) for d in meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _pair(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, (tuple, list)) else [int(v)] * n


class Emitter:
    """Collects nodes, initializer shapes, constants and value shapes while walking the fx graph in order."""

    def __init__(self, gm: fx.GraphModule) -> None:
        self.modules = dict(gm.named_modules())
        self.nodes: list[Node] = []
        self.initializers: dict[str, tuple[int, ...]] = {}
        self.constants: dict[str, Any] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        self.names: set[str] = set()
        self.alias: dict[str, str] = {}  # fx value → the value it is (contiguous, Identity, getitem of a Split)

    def value(self, arg: Any) -> str:
        name = arg.name
        while self.alias.get(name, name) != name:
            name = self.alias[name]
        return name

    def weight(self, name: str, tensor: torch.Tensor | None) -> str:
        if tensor is None:
            return ""  # not learned (bias=False, affine=False): an omitted input
        self.initializers[name] = tuple(int(d) for d in tensor.shape)
        return name

    def const(self, name: str, value: Any) -> str:
        self.constants[name] = value
        return name

    def add(self, op: str, name: str, inputs: list[str], n: fx.Node, outputs: tuple[str, ...] | None = None,
            **attrs: Any) -> None:
        outs = outputs or (n.name,)
        if outputs is None and (shape := _shape(n)) is not None:
            self.shapes[n.name] = shape
        while inputs and inputs[-1] == "":
            inputs = inputs[:-1]  # an omitted optional input at the end is left out, as exporters do
        if name and name in self.modules:
            name = onnx_scope(name, op)
        unique, k = name, 0
        while unique in self.names:  # a module called twice (torchvision's one `relu` per block)
            k += 1
            unique = f"{name}_{k}"
        self.names.add(unique)
        self.nodes.append(Node(unique, op, tuple(inputs), outs, attrs))


def onnx_scope(target: str, op: str) -> str:
    """A module's node named as torch.onnx.export names it, '/layer1/layer1.0/conv1/Conv' for `layer1.0.conv1`,
    so that spec_yaml reads one naming scheme (module paths become row and block names) for both importers."""
    parts = target.split(".")
    scopes = [".".join(parts[:i + 1]) if part.isdigit() else part for i, part in enumerate(parts)]
    return "/" + "/".join(scopes) + "/" + op


# --- modules (call_module) -----------------------------------------------------------------------------------

def _conv_pads(m: Any, n: int) -> tuple[list[int], list[int]]:
    if m.padding == "valid":
        return [0] * n, [0] * n
    if m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        return [t // 2 for t in total], [t - t // 2 for t in total]
    p = _pair(m.padding, n)
    return p, list(p)


PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _conv(e: Emitter, n: fx.Node, m: Any, x: str) -> None:
    k = len(m.kernel_size)
    begin, end = _conv_pads(m, k)
    if m.padding_mode != "zeros":  # a Pad node of that mode, then a convolution without padding
        padded = f"{n.name}_padded"
        e.add("Pad", f"{n.target}.pad", [x, e.const(f"{n.name}_pads", [0, 0, *begin, 0, 0, *end])], n, (padded,),
              mode=PAD_MODES[m.padding_mode])
        shape = _shape(n.args[0])
        e.shapes[padded] = (*shape[:2], *(s + b + a for s, b, a in zip(shape[2:], begin, end)))
        x, begin, end = padded, [0] * k, [0] * k
    attrs = {"kernel_shape": list(m.kernel_size), "strides": list(m.stride), "pads": begin + end,
             "dilations": list(m.dilation), "group": m.groups}
    op = "Conv"
    if isinstance(m, nn.modules.conv._ConvTransposeNd):
        op, attrs["output_padding"] = "ConvTranspose", list(m.output_padding)
    e.add(op, n.target, [x, e.weight(f"{n.target}.weight", m.weight), e.weight(f"{n.target}.bias", m.bias)], n,
          **attrs)


def _linear(e: Emitter, n: fx.Node, name: str, x: str, w: str, b: str) -> None:
    if len(_shape(n.args[0]) or ()) == 2:
        e.add("Gemm", name, [x, w, b], n, alpha=1.0, beta=1.0, transB=1)
    else:  # on the last axis of a larger tensor (channels-last, as ConvNeXt's permuted blocks)
        e.add("PointwiseLinear", name, [x, w, b], n, axis=-1)


def _norm(e: Emitter, n: fx.Node, m: Any, x: str) -> None:
    t = n.target
    w, b = e.weight(f"{t}.weight", m.weight), e.weight(f"{t}.bias", m.bias)
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        mean = e.weight(f"{t}.running_mean", m.running_mean)
        var = e.weight(f"{t}.running_var", m.running_var)
        e.add("BatchNormalization", t, [x, w, b, mean, var], n, epsilon=float(m.eps),
              momentum=1.0 - float(m.momentum if m.momentum is not None else 0.1))
    elif isinstance(m, nn.LayerNorm):
        e.add("LayerNormalization", t, [x, w, b], n, axis=-len(m.normalized_shape), epsilon=float(m.eps))
    else:
        e.add("GroupNormalization", t, [x, w, b], n, num_groups=int(m.num_groups), epsilon=float(m.eps))


def _pool(e: Emitter, n: fx.Node, name: str, x: str, op: str, kernel: Any, stride: Any, padding: Any,
          **extra: Any) -> None:
    k = len(_shape(n.args[0])) - 2
    pads = _pair(padding, k)
    attrs = {"kernel_shape": _pair(kernel, k), "strides": _pair(stride if stride not in (None, []) else kernel, k),
             "pads": pads + pads, **extra}
    e.add(op, name, [x], n, **attrs)


def _adaptive(e: Emitter, n: fx.Node, name: str, x: str, size: Any, kind: str) -> None:
    src = _shape(n.args[0])
    want = _pair(size, len(src) - 2)
    want = [s if w is None else w for w, s in zip(want, src[2:])]
    if all(w == 1 for w in want):
        e.add("GlobalAveragePool" if kind == "avg" else "GlobalMaxPool", name, [x], n)
    elif all(s % w == 0 for s, w in zip(src[2:], want)):  # exactly a pool of kernel = stride = input / output
        k = [s // w for s, w in zip(src[2:], want)]
        e.add("AveragePool" if kind == "avg" else "MaxPool", name, [x], n, kernel_shape=k, strides=k,
              pads=[0] * (2 * len(k)), ceil_mode=0)
    else:
        e.add("AdaptiveAvgPool" if kind == "avg" else "AdaptiveMaxPool", name, [x], n, output_size=want)


def _resize(e: Emitter, n: fx.Node, name: str, x: str, scale: Any, mode: str, align: Any) -> None:
    onnx_mode = {"nearest": "nearest", "nearest-exact": "nearest", "bicubic": "cubic"}.get(mode, "linear")
    how = "align_corners" if align else ("asymmetric" if onnx_mode == "nearest" else "half_pixel")
    out = _shape(n)
    if scale is not None:
        k = len(out) - 2
        inputs = [x, "", e.const(f"{n.name}_scales", [1.0, 1.0, *(float(s) for s in _pair_f(scale, k))])]
    else:
        inputs = [x, "", "", e.const(f"{n.name}_sizes", list(out))]
    e.add("Resize", name, inputs, n, mode=onnx_mode, coordinate_transformation_mode=how, nearest_mode="floor")


def _pair_f(v: Any, n: int) -> list[float]:
    return [float(x) for x in v] if isinstance(v, (tuple, list)) else [float(v)] * n


def _clip(e: Emitter, n: fx.Node, name: str, x: str, low: float, high: float) -> None:
    e.add("Clip", name, [x, e.const(f"{n.name}_min", float(low)), e.const(f"{n.name}_max", float(high))], n)


def _flatten(e: Emitter, n: fx.Node, name: str, x: str, start: int, end: int) -> None:
    rank = len(_shape(n.args[0]))
    if end % rank != rank - 1:
        return _reshape(e, n, name, x)
    e.add("Flatten", name, [x], n, axis=start % rank)
    return None


def _reshape(e: Emitter, n: fx.Node, name: str, x: str) -> None:
    src, out = _shape(n.args[0]), _shape(n)
    size = 1
    for d in src[1:]:
        size *= d
    if len(out) == 2 and out[0] == src[0] and out[1] == size:  # x.view(x.size(0), -1)
        e.add("Flatten", name, [x], n, axis=1)
    else:
        e.add("Reshape", name, [x, e.const(f"{n.name}_shape", list(out))], n)


def _module_unary(op: str, attrs: Callable[[Any], dict] | None = None) -> Callable[..., None]:
    def handle(e: Emitter, n: fx.Node, m: Any, x: str) -> None:
        e.add(op, n.target, [x], n, **(attrs(m) if attrs else {}))
    return handle


def _silu(e: Emitter, n: fx.Node, name: str, x: str) -> None:
    """x · sigmoid(x), as exporters write SiLU (ONNX has no SiLU before opset 24's Swish)."""
    e.add("Sigmoid", f"{name}.sigmoid", [x], n, (f"{n.name}_sigmoid",))
    e.shapes[f"{n.name}_sigmoid"] = _shape(n)
    e.add("Mul", name, [x, f"{n.name}_sigmoid"], n)


def _shuffle(e: Emitter, n: fx.Node, name: str, x: str, groups: int) -> None:
    """Reshape to (N, g, C/g, H, W), swap the two channel axes, reshape back: ShuffleNet's channel_shuffle as an
    exporter writes it (to_spec.py reads the three as one channel_shuffle)."""
    b, c, *hw = _shape(n)
    split, swapped = (b, groups, c // groups, *hw), (b, c // groups, groups, *hw)
    e.add("Reshape", f"{name}.split", [x, e.const(f"{n.name}_split_shape", list(split))], n, (f"{n.name}_split",))
    e.add("Transpose", f"{name}.swap", [f"{n.name}_split"], n, (f"{n.name}_swap",), perm=[0, 2, 1, 3, 4])
    e.shapes[f"{n.name}_split"], e.shapes[f"{n.name}_swap"] = split, swapped
    e.add("Reshape", name, [f"{n.name}_swap", e.const(f"{n.name}_shape", [b, c, *hw])], n)


def _alias(e: Emitter, n: fx.Node, _m: Any, x: str) -> None:
    e.alias[n.name] = x


def _pixel(op: str) -> Callable[..., None]:
    def handle(e: Emitter, n: fx.Node, m: Any, x: str) -> None:
        factor = m.upscale_factor if op == "DepthToSpace" else m.downscale_factor
        e.add(op, n.target, [x], n, blocksize=int(factor), **({"mode": "CRD"} if op == "DepthToSpace" else {}))
    return handle


def _pad_module(e: Emitter, n: fx.Node, m: Any, x: str) -> None:
    p = _pair(m.padding, 4)  # (left, right, top, bottom)
    mode = {"ZeroPad2d": "constant", "ConstantPad2d": "constant", "ReflectionPad2d": "reflect",
            "ReplicationPad2d": "edge", "CircularPad2d": "wrap"}[type(m).__name__]
    e.add("Pad", n.target, [x, e.const(f"{n.name}_pads", [0, 0, p[2], p[0], 0, 0, p[3], p[1]])], n, mode=mode)


MODULES: dict[str, Callable[[Emitter, fx.Node, Any, str], None]] = {
    **{name: _conv for name in ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
                                "ConvTranspose3d")},
    "Linear": lambda e, n, m, x: _linear(e, n, n.target, x, e.weight(f"{n.target}.weight", m.weight),
                                         e.weight(f"{n.target}.bias", m.bias)),
    **{name: _norm for name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm")},
    "ReLU": _module_unary("Relu"),
    "ReLU6": lambda e, n, m, x: _clip(e, n, n.target, x, 0.0, 6.0),
    "Hardtanh": lambda e, n, m, x: _clip(e, n, n.target, x, m.min_val, m.max_val),
    "LeakyReLU": _module_unary("LeakyRelu", lambda m: {"alpha": float(m.negative_slope)}),
    "ELU": _module_unary("Elu", lambda m: {"alpha": float(m.alpha)}),
    "Sigmoid": _module_unary("Sigmoid"),
    "Tanh": _module_unary("Tanh"),
    "Hardsigmoid": _module_unary("HardSigmoid", lambda m: {"alpha": 1 / 6, "beta": 0.5}),
    "Hardswish": _module_unary("HardSwish"),
    "SiLU": lambda e, n, m, x: _silu(e, n, n.target, x),
    "GELU": _module_unary("Gelu", lambda m: {"approximate": m.approximate}),
    "Mish": _module_unary("Mish"),
    "Softplus": _module_unary("Softplus", lambda m: {"beta": float(m.beta), "threshold": float(m.threshold)}),
    "Softmax": _module_unary("Softmax", lambda m: {"axis": -1 if m.dim is None else int(m.dim)}),
    "LogSoftmax": _module_unary("LogSoftmax", lambda m: {"axis": -1 if m.dim is None else int(m.dim)}),
    "PReLU": lambda e, n, m, x: e.add("PRelu", n.target, [x, e.weight(f"{n.target}.weight", m.weight)], n),
    "Identity": _alias,
    **{name: _module_unary("Dropout", lambda m: {"ratio": float(m.p)})
       for name in ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout")},
    **{name: lambda e, n, m, x: _pool(e, n, n.target, x, "MaxPool", m.kernel_size, m.stride, m.padding,
                                      dilations=_pair(m.dilation, len(_shape(n)) - 2), ceil_mode=int(m.ceil_mode))
       for name in ("MaxPool1d", "MaxPool2d", "MaxPool3d")},
    **{name: lambda e, n, m, x: _pool(e, n, n.target, x, "AveragePool", m.kernel_size, m.stride, m.padding,
                                      ceil_mode=int(m.ceil_mode), count_include_pad=int(m.count_include_pad))
       for name in ("AvgPool1d", "AvgPool2d", "AvgPool3d")},
    **{name: lambda e, n, m, x: _adaptive(e, n, n.target, x, m.output_size, "avg")
       for name in ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")},
    **{name: lambda e, n, m, x: _adaptive(e, n, n.target, x, m.output_size, "max")
       for name in ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")},
    "LocalResponseNorm": _module_unary("LRN", lambda m: {"size": int(m.size), "alpha": float(m.alpha),
                                                          "beta": float(m.beta), "bias": float(m.k)}),
    "Upsample": lambda e, n, m, x: _resize(e, n, n.target, x, m.scale_factor, m.mode, m.align_corners),
    "PixelShuffle": _pixel("DepthToSpace"),
    "PixelUnshuffle": _pixel("SpaceToDepth"),
    "ChannelShuffle": lambda e, n, m, x: _shuffle(e, n, n.target, x, int(m.groups)),
    "Flatten": lambda e, n, m, x: _flatten(e, n, n.target, x, m.start_dim, m.end_dim),
    **{name: _pad_module for name in ("ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d",
                                      "CircularPad2d")},
}
