"""Builders of the containers (sequence, repeat, concat, residual, dense, gate, split), of the crop and of the
items parsed at their input shape (graph.Deferred): nested modules whose names mirror analysis' dotted row
paths (`conv3_x.0.conv1`, `inception_4a.b2.conv3x3`, `dense1.5.concat`, `se.mul`, `unit.b2.conv1`).

Shapes flow as in build.py: every child is built from the shape torch gives it, each join (concatenation,
addition) is run on meta tensors, and a residual's automatic projection is chosen from torch's shapes, not from
the calculator's.
"""

from __future__ import annotations

import torch
from torch import nn

from cnncalc.layers.base import Layer, Shape
from cnncalc.layers.crop import Crop
from cnncalc.layers.graph import (
    Concat,
    Deferred,
    Dense,
    Gate,
    Repeat,
    Residual,
    Sequence,
    Split,
    crop_to,
    crops_to_match,
    projection,
    resolve,
)
from cnncalc.verify import modules
from cnncalc.verify.errors import NotBuildable, TorchRefused
from cnncalc.verify.registry import Built, Site, attach, build, build_chain, builds, probe


def add_items(block: torch.nn.Module, items: tuple[Layer, ...], shape: Shape, at: Site, names: list[str]) -> Shape:
    """Build `items` in order as children of `block` (left-out conditional items skipped), recording their names in
    `names` (the order `forward` calls them); the shape they end with."""
    for item in items:
        found = resolve(item, shape)
        if found is None:
            continue
        module, shape = build(found, shape, at.child(found.name))
        attach(block, found.name, module, at.path)
        names.append(found.name)
    return shape


@builds(Sequence)
def _sequence(node: Sequence, at: Site) -> Built:
    chain, shape = build_chain(node.items, at.shape, at.path)
    return Built(chain, shape)


@builds(Repeat)
def _repeat(node: Repeat, at: Site) -> Built:
    """Copies `0`..`count−1`, each with its own weights (the first may differ: a stage's strided block)."""
    chain = modules.Chain()
    shape = at.shape
    for i in range(node.count):
        module, shape = build(node.first if i == 0 else node.rest, shape, at.child(str(i)))
        attach(chain, str(i), module, at.path)
        chain.order.append(str(i))
    return Built(chain, shape)


@builds(Concat)
def _concat(node: Concat, at: Site) -> Built:
    """Branches that crop to match are built last, to the height and width torch gave the others."""
    block = modules.Branches()
    outs: dict[int, Shape] = {}
    later = [crops_to_match(b) for b in node.branches]
    for i in sorted(range(len(node.branches)), key=lambda i: later[i]):
        branch = node.branches[i]
        if later[i]:
            target = next((o for o in outs.values() if len(o) == 3), None)
            if target is None:
                raise NotBuildable(f"{at.child(branch.name)}: crop: match has no other branch to match")
            branch = crop_to(branch, (target[1], target[2]))
        module, outs[i] = build(branch, at.shape, at.child(branch.name))
        attach(block, branch.name, module, at.path)
    block.branch_names.extend(b.name for b in node.branches)
    join = modules.Cat()
    attach(block, "concat", join, at.path)
    return Built(block, probe(join, *(outs[i] for i in range(len(node.branches))), path=at.child("concat"),
                              node=node, packed=True))


class CenterCrop(nn.Module):
    """x[:, :, top:top + h, left:left + w] with top = (H − h)//2, left = (W − w)//2: a view (slicing)."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.size
        top, left = (x.shape[-2] - h) // 2, (x.shape[-1] - w) // 2
        if top < 0 or left < 0:
            raise ValueError(f"cannot crop {tuple(x.shape[-2:])} to {self.size}")
        return x[:, :, top:top + h, left:left + w]


@builds(Crop)
def _crop(layer: Crop, at: Site) -> nn.Module:
    if layer.size is None:
        raise NotBuildable(f"{at.path}: crop: match outside a concat's branch")
    return CenterCrop(layer.size)


class Mul(nn.Module):
    """A gate's product, as torchvision's SqueezeExcitation writes it: `scale * input`, a new tensor."""

    def forward(self, scale: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return scale * x


class GateModule(nn.Module):
    """mul(body(x), x), the body's items and `mul` named as the spec's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.body_names: list[str] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x
        for name in self.body_names:
            scale = self.get_submodule(name)(scale)
        return self.get_submodule("mul")(scale, x)


@builds(Gate)
def _gate(node: Gate, at: Site) -> Built:
    block = GateModule()
    shape = add_items(block, node.body.items, at.shape, at, block.body_names)
    mul = Mul()
    attach(block, "mul", mul, at.path)
    return Built(block, probe(mul, shape, at.shape, path=at.child("mul"), node=node))


class SplitModule(nn.Module):
    """cat(branch_i(chunk_i)) over the channel chunks (ShuffleNetV2: `x.chunk(2, dim=1)`; given sizes:
    torch.split), the join named `concat`."""

    def __init__(self, sizes: tuple[int, ...] | None, chunks: int) -> None:
        super().__init__()
        self.sizes, self.chunks = sizes, chunks
        self.branch_names: list[str] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.get_submodule("split")(x)
        parts = x.chunk(self.chunks, dim=1) if self.sizes is None else torch.split(x, list(self.sizes), dim=1)
        if len(parts) != len(self.branch_names):
            raise ValueError(f"{x.shape[1]} channels give {len(parts)} chunks for {len(self.branch_names)} branches")
        return self.get_submodule("concat")([self.get_submodule(n)(p) for n, p in zip(self.branch_names, parts)])


@builds(Split)
def _split(node: Split, at: Site) -> Built:
    block = SplitModule(node.sizes, node.chunks)
    attach(block, "split", nn.Identity(), at.path)  # the row `name.split`: the input, before it is cut
    sizes = node.chunk_sizes(at.shape[0])
    if isinstance(sizes, str):
        raise TorchRefused(at.path, sizes)
    outs: list[Shape] = []
    for c, branch in zip(sizes, node.branches):
        module, out = build(branch, (c, *at.shape[1:]), at.child(branch.name))
        attach(block, branch.name, module, at.path)
        block.branch_names.append(branch.name)
        outs.append(out)
    join = modules.Cat()
    attach(block, "concat", join, at.path)
    return Built(block, probe(join, *outs, path=at.child("concat"), node=node, packed=True))


@builds(Deferred)
def _deferred(node: Deferred, at: Site) -> Built:
    """An item parsed at the shape torch gives it; left out, nothing (an empty chain)."""
    found = resolve(node, at.shape)
    if found is None:
        return Built(modules.Chain(), at.shape)
    module, shape = build(found, at.shape, at.path)
    return Built(module, shape)


@builds(Residual)
def _residual(node: Residual, at: Site) -> Built:
    block = modules.Residual()
    shape = add_items(block, node.body.items, at.shape, at, block.body_names)
    shortcut = node.shortcut
    if shortcut is None and node.auto and shape != at.shape:
        shortcut = projection(at.shape, shape)  # the paper's option B, for the shapes torch produced
        if shortcut is None:
            raise TorchRefused(at.path, f"no 1x1 projection maps {at.shape} to the body's output {shape}")
    skip = at.shape
    if shortcut is not None:
        module, skip = build(shortcut, at.shape, at.child("shortcut"))
        attach(block, "shortcut", module, at.path)
        block.has_shortcut = True
    add = modules.Add(inplace=node.add == "inplace")
    attach(block, "add", add, at.path)
    shape = probe(add, shape, skip, path=at.child("add"), node=node)
    if node.after is not None:
        shape = add_items(block, node.after.items, shape, at, block.after_names)
    return Built(block, shape)


@builds(Dense)
def _dense(node: Dense, at: Site) -> Built:
    block = modules.DenseBlock(node.count)
    shape = at.shape
    for i in range(node.count):
        path = at.child(str(i))
        module, grown = build(node.body, shape, path)
        join = modules.Cat()
        attach(module, "concat", join, path)
        attach(block, str(i), module, at.path)
        shape = probe(join, shape, grown, path=f"{path}.concat", node=node, packed=True)
    return Built(block, shape)
