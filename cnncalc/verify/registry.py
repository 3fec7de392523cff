"""The registry of torch builders (layer class → builder) and the machinery every builder uses.

A builder turns one validated layer or container into a torch module; `build` dispatches on the node's exact
class and learns the module's output shape by running a meta tensor through it (`probe`; within one build a node met
again at the same input shape is answered from the first time, `remembered_probes`), so that each module is built
from the shape *torch* feeds it, not from the calculator's. The builders register themselves here:
the layers' in cnncalc.verify.build, the containers' in cnncalc.verify.containers (which uses `build` for its
children), and cnncalc.verify.build imports both before it builds a network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import torch
from torch import nn

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import Layer, Shape
from cnncalc.layers.graph import resolve
from cnncalc.verify.errors import NotBuildable, TorchRefused
from cnncalc.verify.metacache import MetaKernelCache
from cnncalc.verify.modules import Chain


@dataclass(frozen=True)
class Site:
    """Where a module is being built: its dotted path (the report row's name) and the per-sample input shape
    torch produces there."""

    path: str
    shape: Shape

    def child(self, name: str) -> str:
        return f"{self.path}.{name}"


@dataclass(frozen=True)
class Built:
    """What a container's builder returns: its module and the output shape torch gave its last child (or its
    join), so that a container is not run again just to learn what its children already told."""

    module: nn.Module
    output: Shape


Builder = Callable[[Any, Site], "nn.Module | Built"]
BUILDERS: dict[type[Layer], Builder] = {}
B = TypeVar("B", bound=Builder)


def builds(*classes: type[Layer]) -> Callable[[B], B]:
    """Register the builder of these exact layer classes; registering a class twice is a bug."""

    def add(fn: B) -> B:
        for cls in classes:
            if cls in BUILDERS:
                raise RuntimeError(f"a torch builder for {cls.__name__} is registered twice")
            BUILDERS[cls] = fn
        return fn

    return add


def build(node: Layer, shape: Shape, path: str) -> tuple[nn.Module, Shape]:
    """One layer or container → its module and the output shape torch gives it."""
    builder = BUILDERS.get(type(node))  # the exact class: a subclass may mean something else
    if builder is None:
        raise NotBuildable(f"{path}: cnncalc verify has no torch builder for {type(node).__name__} "
                           f"({node.kind}); add one to cnncalc/verify/build.py")
    try:
        made = builder(node, Site(path, shape))
    except CnnCalcError:
        raise  # already located: a container passes on what its child's build said
    except (RuntimeError, ValueError) as exc:  # torch's own argument checks
        raise TorchRefused(path, _first_line(exc)) from None
    if isinstance(made, Built):
        return made.module, made.output
    return made, probe(made, shape, path=path, node=node)


def build_chain(items: tuple[Layer, ...], shape: Shape, prefix: str) -> tuple[Chain, Shape]:
    """Items in order, each under its own name (`prefix.name`, or `name` at the top)."""
    chain = Chain()
    for item in items:
        found = resolve(item, shape)  # an item parsed at its input shape ($in_channels); None: left out
        if found is None:
            continue
        item = found
        module, shape = build(item, shape, f"{prefix}.{item.name}" if prefix else item.name)
        attach(chain, item.name, module, prefix)
        chain.order.append(item.name)
    return chain, shape


def attach(parent: nn.Module, name: str, module: nn.Module, where: str) -> None:
    """add_module, refusing what it would silently overwrite and names torch cannot take ('a.b', 'forward')."""
    if name in parent._modules:
        raise NotBuildable(f"{where or 'the network'}: two modules would be named {name!r}")
    try:
        parent.add_module(name, module)
    except (KeyError, TypeError) as exc:
        raise NotBuildable(f"{where + '.' if where else ''}{name}: not usable as a torch module name "
                           f"({_first_line(exc)})") from None


ProbeKey = tuple[int, tuple[Shape, ...]]


@dataclass
class _Probes:
    """What one build has asked torch: each node's output at the input shapes it was probed at (with the node, so
    that a freed node's id given to a new one is not mistaken for it), and the meta kernels' answers."""

    outputs: dict[ProbeKey, tuple[Layer, Shape]] = field(default_factory=dict)
    kernels: MetaKernelCache = field(default_factory=MetaKernelCache)


_PROBES: ContextVar[_Probes | None] = ContextVar("cnncalc_probes", default=None)


@contextmanager
def remembered_probes() -> Iterator[None]:
    """Within one build, a node probed again at the same input shapes gets the output torch gave it the first
    time, and the probes' meta kernels are remembered (cnncalc/verify/metacache.py).

    Why: a `repeat:` of N copies of a shape-keeping block would otherwise run the same meta kernels N times while
    building (batch norm's takes about 2 ms, in Python). A builder is a function of (node, input shape) alone, so
    the module and torch's answer are the same each time. Nothing is skipped from the check: the probes only size
    the next module, and measure.py's forward pass runs every module of the finished network and records what
    each one really outputs."""
    token = _PROBES.set(_Probes())
    try:
        yield
    finally:
        _PROBES.reset(token)


def probe(module: nn.Module, *shapes: Shape, path: str, node: Layer | None = None, packed: bool = False) -> Shape:
    """Run one-sample meta tensors of `shapes` through the module: torch's own output shape, no memory, no
    arithmetic. `packed`: the tensors go in as one list (a concatenation's input), else as separate arguments.
    `node` is the spec node whose module (or whose join, for a container) this is: within remembered_probes,
    (node, shapes) seen before is answered from what torch said then."""
    probes = _PROBES.get()
    key: ProbeKey = (id(node), shapes)
    if probes is not None and node is not None and key in probes.outputs:
        known, output = probes.outputs[key]
        if known is node:
            return output  # not run, so left in training mode: build_network sets eval mode on the whole network
    module.eval()  # batch norm refuses a single sample in training mode

    def meta(s: Shape) -> torch.Tensor:
        return torch.empty((1, *s), device="meta")

    try:
        with torch.no_grad(), probes.kernels if probes is not None else nullcontext():
            tensors = [meta(s) for s in shapes]
            out = module(tensors) if packed else module(*tensors)
    except (RuntimeError, ValueError, IndexError) as exc:
        raise TorchRefused(path, _first_line(exc)) from None
    output = tuple(int(d) for d in out.shape[1:])
    if probes is not None and node is not None:
        probes.outputs[key] = (node, output)
    return output


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
