"""Torch's meta kernels, remembered for one verification: an op run on meta tensors gives the same output shapes,
strides and dtypes whenever it is given the same inputs, so an answer torch has given once is given again without
running the kernel.

Why: on the meta device torch works out many ops' results in Python (batch norm's decomposition takes about 2 ms a
call in torch 2.13, a ReLU's about 0.2 ms), and a `repeat:` of N identical blocks asks each question N times: on an
80,000-row residual network these kernels were most of `verify --device meta`'s time (benchmarks/bench_verify.py).

Exact: the key holds everything a meta kernel reads, the op and, for each argument, a tensor's shape, strides,
storage offset and dtype or a plain value, as torch's own FakeTensorMode keys its dispatch cache
(torch._subclasses.fake_tensor). Nothing is skipped: every module still runs, FlopCounterMode (entered after this
mode, so above it) still sees and counts every op, and every hook sees a tensor of the shape torch gave. What the
key cannot describe goes straight to torch, uncached: views and other aliasing ops, in-place ops that change their
input's metadata (resize_, transpose_), random and data-dependent ops, and arguments other than plain strided
meta tensors, numbers, strings, dtypes, devices, layouts and memory formats (and flat lists of them).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

PLAIN = (bool, int, str, type(None), torch.dtype, torch.device, torch.layout, torch.memory_format)
UNCACHED_TAGS = (torch.Tag.nondeterministic_seeded, torch.Tag.data_dependent_output, torch.Tag.dynamic_output_shape,
                 torch.Tag.inplace_view)
Answer = tuple[tuple[tuple[int, ...], tuple[int, ...], torch.dtype], ...]  # each result's size, strides, dtype


class MetaKernelCache(TorchDispatchMode):
    """While entered, meta ops are answered from what torch said for the same op on the same inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[tuple[Any, ...], Answer] = {}
        self.in_place: set[tuple[Any, ...]] = set()  # in-place calls that return their first argument, unchanged
        self.hits = 0
        self.misses = 0
        self._kinds: dict[Any, str] = {}  # op → "functional", "inplace" or "" (never cached)

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        kind = self._kinds.get(func)
        if kind is None:
            kind = self._kinds[func] = _kind(func)
        key = _key(func, args, kwargs) if kind else None
        if key is None:
            return func(*args, **kwargs)
        if key in self.in_place:
            self.hits += 1
            return args[0]
        answer = self.answers.get(key)
        if answer is not None:
            self.hits += 1
            out = tuple(torch.empty_strided(size, stride, dtype=dtype, device="meta") for size, stride, dtype in answer)
            return out[0] if len(func._schema.returns) == 1 else out
        self.misses += 1
        if kind == "inplace":
            before = _meta(args[0])
            out = func(*args, **kwargs)
            if out is args[0] and _meta(out) == before:
                self.in_place.add(key)
            return out
        out = func(*args, **kwargs)
        outs = out if isinstance(out, tuple) else (out,)
        if all(_fresh(o) for o in outs):
            self.answers[key] = tuple((tuple(o.shape), o.stride(), o.dtype) for o in outs)
        return out


def _kind(func: Any) -> str:
    """'functional' (fresh tensors out, nothing written), 'inplace' (writes its first argument and returns it,
    nothing else aliased), or '' for everything else."""
    if not isinstance(func, torch._ops.OpOverload) or any(tag in func.tags for tag in UNCACHED_TAGS):
        return ""
    schema = func._schema
    returns, arguments = schema.returns, schema.arguments
    if not returns or any(str(r.type) != "Tensor" for r in returns):
        return ""
    if all(a.alias_info is None for a in arguments) and all(r.alias_info is None for r in returns):
        return "functional"
    first = arguments[0].alias_info if arguments else None
    ret = returns[0].alias_info
    if (len(returns) == 1 and first is not None and first.is_write and ret is not None and ret.is_write
            and all(a.alias_info is None for a in arguments[1:])):
        return "inplace"
    return ""


def _key(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...] | None:
    """The op and everything its meta kernel reads, or None when an argument cannot be described."""
    parts: list[Any] = [func]
    for name, value in (*((None, a) for a in args), *kwargs.items()):
        part = _part(value)
        if part is None:
            return None
        parts.append((name, part))
    return tuple(parts)


def _part(value: Any, nested: bool = False) -> Any:
    if isinstance(value, torch.Tensor):
        return _meta(value) if _describable(value) else None
    if isinstance(value, float):
        return (float, repr(value))  # repr keeps -0.0 apart from 0.0
    if isinstance(value, PLAIN):
        return (type(value), value)  # the type keeps True apart from 1
    if isinstance(value, (list, tuple)) and not nested:
        items = [_part(v, nested=True) for v in value]
        return None if any(i is None for i in items) else (type(value), *items)
    return None


def _describable(t: torch.Tensor) -> bool:
    return (type(t) in (torch.Tensor, torch.nn.Parameter) and t.device.type == "meta" and t.layout == torch.strided
            and not t.is_conj() and not t.is_neg())


def _meta(t: torch.Tensor) -> tuple[Any, ...]:
    return (tuple(t.shape), t.stride(), t.storage_offset(), t.dtype)


def _fresh(t: Any) -> bool:
    """A result that empty_strided can make again: a plain strided meta tensor at the start of its storage."""
    return isinstance(t, torch.Tensor) and _describable(t) and t.storage_offset() == 0
