"""The registry of torch builders (layer class → builder) and the machinery every builder uses.

A builder turns one validated layer or container into a torch module; `build` dispatches on the node's exact
class and learns the module's output shape by running a meta tensor through it (`probe`), so that each module
is built from the shape *torch* feeds it, not from the calculator's. The builders register themselves here:
the layers' in cnncalc.verify.build, the containers' in cnncalc.verify.containers (which uses `build` for its
children), and cnncalc.verify.build imports both before it builds a network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
from torch import nn

from cnncalc.errors import CnnCalcError
from cnncalc.layers.base import Layer, Shape
from cnncalc.layers.graph import resolve
from cnncalc.verify.errors import NotBuildable, TorchRefused
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
    return made, probe(made, shape, path)


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


def probe(module: nn.Module, shape: Shape | list[Shape], path: str) -> Shape:
    """Run one-sample meta tensors through the module: torch's own output shape, no memory, no arithmetic.
    A list of shapes is passed as one list of tensors (a concatenation's input)."""
    module.eval()  # batch norm refuses a single sample in training mode

    def meta(s: Shape) -> torch.Tensor:
        return torch.empty((1, *s), device="meta")

    try:
        with torch.no_grad():
            if isinstance(shape, list):
                out = module([meta(s) for s in shape])
            else:
                out = module(meta(shape))
    except (RuntimeError, ValueError, IndexError) as exc:
        raise TorchRefused(path, _first_line(exc)) from None
    return tuple(int(d) for d in out.shape[1:])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
