"""torch.fx call_function / call_method nodes (F.relu, torch.cat, x.view, operator.add, ...) → ONNX-vocabulary
nodes, keyed by the function's or method's name (in-place forms included: add_ is add). torch_ops.py has the
modules' handlers and the Emitter both use.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from torch import fx

from cnncalc.importers.torch_ops import (
    Emitter,
    Unsupported,
    _adaptive,
    _clip,
    _flatten,
    _linear,
    _pair,
    _pool,
    _reshape,
    _resize,
    _shape,
    _shuffle,
    _silu,
)

# --- functions and methods (call_function / call_method) -----------------------------------------------------

OPERATORS = {operator.add: "add", operator.iadd: "add", operator.mul: "mul", operator.imul: "mul",
             operator.sub: "sub", operator.isub: "sub", operator.truediv: "div", operator.itruediv: "div",
             operator.getitem: "getitem"}


def key(n: fx.Node) -> str:
    if n.op == "call_method":
        return str(n.target).rstrip("_")
    return OPERATORS.get(n.target) or getattr(n.target, "__name__", str(n.target)).rstrip("_")


def _arg(n: fx.Node, i: int, name: str, default: Any = None) -> Any:
    return n.args[i] if len(n.args) > i else n.kwargs.get(name, default)


def _dims(v: Any, rank: int) -> list[int]:
    return sorted(int(d) % rank for d in (v if isinstance(v, (list, tuple)) else [v]))


def _binary(op: str) -> Callable[[Emitter, fx.Node], None]:
    def handle(e: Emitter, n: fx.Node) -> None:
        inputs = []
        for k, a in enumerate(n.args[:2]):
            if isinstance(a, fx.Node) and _shape(a) is not None:
                inputs.append(e.value(a))
            else:  # a number: a constant input, as an exporter writes it
                inputs.append(e.const(f"{n.name}_{'ab'[k]}", float(a) if not isinstance(a, fx.Node) else None))
        e.add(op, n.name, inputs, n)
    return handle


def _fn_unary(op: str, attrs: Callable[[fx.Node], dict] | None = None) -> Callable[[Emitter, fx.Node], None]:
    return lambda e, n: e.add(op, n.name, [e.value(n.args[0])], n, **(attrs(n) if attrs else {}))


def _mean(e: Emitter, n: fx.Node) -> None:
    rank = len(_shape(n.args[0]))
    dims = _dims(_arg(n, 1, "dim", list(range(rank))), rank)
    keep = bool(_arg(n, 2, "keepdim", False))
    x = e.value(n.args[0])
    if dims != list(range(2, rank)) or rank < 3:
        e.add("ReduceMean", n.name, [x, e.const(f"{n.name}_axes", dims)], n, keepdims=int(keep))
    elif keep:
        e.add("GlobalAveragePool", n.name, [x], n)
    else:  # x.mean((2, 3)): the global pool, then its N×C×1×1 flattened
        pooled = f"{n.name}_pooled"
        e.add("GlobalAveragePool", f"{n.name}.pool", [x], n, (pooled,))
        e.shapes[pooled] = (*_shape(n.args[0])[:2], *[1] * (rank - 2))
        e.add("Flatten", n.name, [pooled], n, axis=1)


def _split(e: Emitter, n: fx.Node) -> None:
    """torch.split / chunk: one Split node (ONNX 18: the sizes as a constant input); getitem takes its pieces."""
    metas = n.meta.get("tensor_meta") or ()
    axis = int(_arg(n, 2, "dim", 0)) % len(_shape(n.args[0]))
    outs = tuple(f"{n.name}_{i}" for i in range(len(metas)))
    for name, m in zip(outs, metas):
        e.shapes[name] = tuple(int(d) for d in m.shape)
    sizes = [int(m.shape[axis]) for m in metas]
    e.add("Split", n.name, [e.value(n.args[0]), e.const(f"{n.name}_split", sizes)], n, outs, axis=axis,
          num_outputs=len(outs))


def _getitem(e: Emitter, n: fx.Node) -> None:
    src, index = n.args
    if isinstance(src, fx.Node) and isinstance(index, int) and key(src) in ("split", "chunk", "unbind") \
            and src.op != "call_module":
        e.alias[n.name] = f"{src.name}_{index % len(src.meta['tensor_meta'])}"
        return
    raise Unsupported(f"indexing ({n.name} = {src}[{index}]) has no cnncalc layer; only the pieces of "
                      "torch.split / torch.chunk can be taken apart")


def _transpose(e: Emitter, n: fx.Node) -> None:
    rank = len(_shape(n.args[0]))
    if key(n) == "permute":
        dims = n.args[1:] if len(n.args) > 2 else _arg(n, 1, "dims")
        perm = [int(d) % rank for d in (dims[0] if len(dims) == 1 and isinstance(dims[0], (list, tuple))
                                         else dims)]
    else:
        a, b = int(_arg(n, 1, "dim0")) % rank, int(_arg(n, 2, "dim1")) % rank
        perm = list(range(rank))
        perm[a], perm[b] = b, a
    e.add("Transpose", n.name, [e.value(n.args[0])], n, perm=perm)


def _cat(e: Emitter, n: fx.Node) -> None:
    parts = _arg(n, 0, "tensors")
    rank = len(_shape(n))
    e.add("Concat", n.name, [e.value(p) for p in parts], n, axis=int(_arg(n, 1, "dim", 0)) % rank)


def _weights(e: Emitter, *args: Any) -> list[str]:
    return [e.value(a) if isinstance(a, fx.Node) else "" for a in args]


def _conv_fn(e: Emitter, n: fx.Node) -> None:
    w = _shape(n.args[1])
    k = len(w) - 2
    pad = _arg(n, 4, "padding", 0)
    if isinstance(pad, str):
        dil = _pair(_arg(n, 5, "dilation", 1), k)
        total = [0] * k if pad == "valid" else [d * (s - 1) for d, s in zip(dil, w[2:])]
        begin, end = [t // 2 for t in total], [t - t // 2 for t in total]
    else:
        begin = end = _pair(pad, k)
    e.add("Conv", n.name, [e.value(n.args[0]), *_weights(e, n.args[1], _arg(n, 2, "bias"))], n,
          kernel_shape=list(w[2:]), strides=_pair(_arg(n, 3, "stride", 1), k), pads=list(begin) + list(end),
          dilations=_pair(_arg(n, 5, "dilation", 1), k), group=int(_arg(n, 6, "groups", 1)))


def _layer_norm(e: Emitter, n: fx.Node) -> None:
    shape = _arg(n, 1, "normalized_shape")
    e.add("LayerNormalization", n.name, [e.value(n.args[0]), *_weights(e, _arg(n, 2, "weight"), _arg(n, 3, "bias"))],
          n, axis=-len(shape), epsilon=float(_arg(n, 4, "eps", 1e-5)))


def _gelu(n: fx.Node) -> dict:
    return {"approximate": _arg(n, 1, "approximate", "none")}


def _softplus(n: fx.Node) -> dict:
    return {"beta": float(_arg(n, 1, "beta", 1.0)), "threshold": float(_arg(n, 2, "threshold", 20.0))}


def _alias_fn(e: Emitter, n: fx.Node) -> None:
    e.alias[n.name] = e.value(n.args[0])


FUNCTIONS: dict[str, Callable[[Emitter, fx.Node], None]] = {
    "add": _binary("Add"), "mul": _binary("Mul"), "sub": _binary("Sub"), "div": _binary("Div"),
    "relu": _fn_unary("Relu"), "sigmoid": _fn_unary("Sigmoid"), "tanh": _fn_unary("Tanh"),
    "relu6": lambda e, n: _clip(e, n, n.name, e.value(n.args[0]), 0.0, 6.0),
    "hardtanh": lambda e, n: _clip(e, n, n.name, e.value(n.args[0]), _arg(n, 1, "min_val", -1.0),
                                   _arg(n, 2, "max_val", 1.0)),
    "leaky_relu": _fn_unary("LeakyRelu", lambda n: {"alpha": float(_arg(n, 1, "negative_slope", 0.01))}),
    "elu": _fn_unary("Elu", lambda n: {"alpha": float(_arg(n, 1, "alpha", 1.0))}),
    "hardsigmoid": _fn_unary("HardSigmoid", lambda n: {"alpha": 1 / 6, "beta": 0.5}),
    "hardswish": _fn_unary("HardSwish"), "silu": lambda e, n: _silu(e, n, n.name, e.value(n.args[0])), "mish": _fn_unary("Mish"),
    "softplus": _fn_unary("Softplus", _softplus), "gelu": _fn_unary("Gelu", _gelu),
    "softmax": _fn_unary("Softmax", lambda n: {"axis": int(_arg(n, 1, "dim", -1))}),
    "log_softmax": _fn_unary("LogSoftmax", lambda n: {"axis": int(_arg(n, 1, "dim", -1))}),
    **{name: _fn_unary("Dropout", lambda n: {"ratio": float(_arg(n, 1, "p", 0.5))})
       for name in ("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout")},
    **{name: _alias_fn for name in ("contiguous", "clone", "stochastic_depth", "detach")},
    "cat": _cat, "concat": _cat, "concatenate": _cat,
    "flatten": lambda e, n: _flatten(e, n, n.name, e.value(n.args[0]), int(_arg(n, 1, "start_dim", 0)),
                                     int(_arg(n, 2, "end_dim", -1))),
    "view": lambda e, n: _reshape(e, n, n.name, e.value(n.args[0])),
    "reshape": lambda e, n: _reshape(e, n, n.name, e.value(n.args[0])),
    "mean": _mean, "chunk": _split, "split": _split, "getitem": _getitem,
    "permute": _transpose, "transpose": _transpose,
    "adaptive_avg_pool2d": lambda e, n: _adaptive(e, n, n.name, e.value(n.args[0]), _arg(n, 1, "output_size"), "avg"),
    "adaptive_max_pool2d": lambda e, n: _adaptive(e, n, n.name, e.value(n.args[0]), _arg(n, 1, "output_size"), "max"),
    "max_pool2d": lambda e, n: _pool(e, n, n.name, e.value(n.args[0]), "MaxPool", _arg(n, 1, "kernel_size"),
                                     _arg(n, 2, "stride"), _arg(n, 3, "padding", 0),
                                     dilations=_pair(_arg(n, 4, "dilation", 1), 2),
                                     ceil_mode=int(bool(_arg(n, 5, "ceil_mode", False)))),
    "avg_pool2d": lambda e, n: _pool(e, n, n.name, e.value(n.args[0]), "AveragePool", _arg(n, 1, "kernel_size"),
                                     _arg(n, 2, "stride"), _arg(n, 3, "padding", 0),
                                     ceil_mode=int(bool(_arg(n, 4, "ceil_mode", False))),
                                     count_include_pad=int(bool(_arg(n, 5, "count_include_pad", True)))),
    "interpolate": lambda e, n: _resize(e, n, n.name, e.value(n.args[0]), _arg(n, 2, "scale_factor"),
                                        _arg(n, 3, "mode", "nearest"), _arg(n, 4, "align_corners")),
    "conv2d": _conv_fn,
    "linear": lambda e, n: _linear(e, n, n.name, e.value(n.args[0]),
                                   *_weights(e, n.args[1], _arg(n, 2, "bias"))),
    "layer_norm": _layer_norm,
    "pixel_shuffle": lambda e, n: e.add("DepthToSpace", n.name, [e.value(n.args[0])], n,
                                        blocksize=int(_arg(n, 1, "upscale_factor")), mode="CRD"),
    "channel_shuffle": lambda e, n: _shuffle(e, n, n.name, e.value(n.args[0]), int(_arg(n, 1, "groups"))),
}
