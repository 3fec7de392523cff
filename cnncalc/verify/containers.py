"""Builders of the containers (sequence, repeat, concat, residual, dense): nested modules whose names mirror
analysis' dotted row paths (`conv3_x.0.conv1`, `inception_4a.b2.conv3x3`, `dense1.5.concat`).

Shapes flow as in build.py: every child is built from the shape torch gives it, each join (concatenation,
addition) is run on meta tensors, and a residual's automatic projection is chosen from torch's shapes, not from
the calculator's.
"""

from __future__ import annotations

import torch

import cnncalc.verify.modules as modules
from cnncalc.layers.base import Shape
from cnncalc.layers.graph import Concat, Dense, Repeat, Residual, Sequence, projection
from cnncalc.verify.errors import TorchRefused
from cnncalc.verify.registry import Built, Site, attach, build, build_chain, builds, probe


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
    block = modules.Branches()
    outs: list[Shape] = []
    for branch in node.branches:
        module, out = build(branch, at.shape, at.child(branch.name))
        attach(block, branch.name, module, at.path)
        block.branch_names.append(branch.name)
        outs.append(out)
    join = modules.Cat()
    attach(block, "concat", join, at.path)
    return Built(block, probe(join, outs, at.child("concat")))


@builds(Residual)
def _residual(node: Residual, at: Site) -> Built:
    block = modules.Residual()
    shape = at.shape
    for item in node.body.items:
        module, shape = build(item, shape, at.child(item.name))
        attach(block, item.name, module, at.path)
        block.body_names.append(item.name)
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
    add = modules.Add()
    attach(block, "add", add, at.path)
    try:
        with torch.no_grad():
            joined = add(*(torch.empty((1, *s), device="meta") for s in (shape, skip)))
    except RuntimeError as exc:
        raise TorchRefused(at.child("add"), str(exc).strip().splitlines()[0]) from None
    shape = tuple(int(d) for d in joined.shape[1:])
    if node.after is not None:
        for item in node.after.items:
            module, shape = build(item, shape, at.child(item.name))
            attach(block, item.name, module, at.path)
            block.after_names.append(item.name)
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
        shape = probe(join, [shape, grown], f"{path}.concat")
    return Built(block, shape)
