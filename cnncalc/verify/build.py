"""Spec → torch.nn.Module: `build_network`, and one builder per layer class, registered in the explicit registry
of cnncalc.verify.registry (the containers' builders are in cnncalc.verify.containers).

Each module is built from the shape *torch* feeds it, not from the calculator's shapes: every module is
constructed on the meta device and a meta tensor is run through it to learn its output, which becomes the next
module's input (once per spec node and input shape: registry.remembered_probes). A wrong formula in the calculator therefore cannot leak into the network that checks it.

Modules are named after the spec's layers, so that a report row `conv2` (or, inside a container,
`conv2_x.0.conv1`) is `net.get_submodule(row.name)`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

import cnncalc.verify.containers  # noqa: F401  (importing registers the container builders)
from cnncalc.layers.base import Layer, Shape
from cnncalc.layers.conv import Conv, ConvTranspose, LocallyConnected
from cnncalc.layers.dense import Flatten, Linear
from cnncalc.layers.elementwise import LRN, BatchNorm, Dropout, Maxout, Softmax, ZeroPad
from cnncalc.layers.pool import AdaptiveAvgPool, GlobalAvgPool, Pool
from cnncalc.verify import build_modern  # noqa: F401  (importing registers the newer layer types' builders)
from cnncalc.verify.modules import Chain, LocallyConnected2d, PerPositionLinear
from cnncalc.verify.modules import Maxout as MaxoutModule
from cnncalc.verify.registry import Site, build_chain, builds, remembered_probes


def build_network(layers: tuple[Layer, ...], input_shape: Shape) -> Chain:
    """The whole spec as a chain of named modules, on the meta device (materialise with to_empty), in eval mode
    (as every probe leaves its module; a node whose probe was remembered was not run, so is set here)."""
    with torch.device("meta"), remembered_probes():
        net, _ = build_chain(layers, input_shape, prefix="")
    return net.eval()


def _hw_pad(pad: tuple[tuple[int, int], tuple[int, int]]) -> tuple[int, int, int, int]:
    """((top, bottom), (left, right)) → ZeroPad2d's (left, right, top, bottom)."""
    (top, bottom), (left, right) = pad
    return left, right, top, bottom


# --- layers ------------------------------------------------------------------------------------------------

@builds(Conv)
def _conv(layer: Conv, at: Site) -> nn.Module:
    """Conv2d; 'same' as PyTorch's padding='same'; an asymmetric explicit pad as a ZeroPad2d before it."""
    c = at.shape[0]
    groups = c if layer.groups == "depthwise" else int(layer.groups)
    compress = getattr(layer, "compress", None)  # DenseNet's θ: ⌊θ·C_in⌋ filters (Huang et al. 2017, Sec. 3)
    filters = layer.filters or (math.floor(compress * c) if compress else c)

    def conv(padding: str | tuple[int, int]) -> nn.Conv2d:
        return nn.Conv2d(c, filters, layer.kernel, stride=layer.stride, padding=padding, dilation=layer.dilation,
                         groups=groups, bias=layer.bias)

    (top, bottom), (left, right) = layer.pad
    if layer.pad_mode == "same":
        return conv("same")
    if top == bottom and left == right:
        return conv((top, left))
    chain = Chain()
    chain.append("pad", nn.ZeroPad2d(_hw_pad(layer.pad)))
    chain.append("conv", conv((0, 0)))
    return chain


@builds(ConvTranspose)
def _deconv(layer: ConvTranspose, at: Site) -> nn.Module:
    return nn.ConvTranspose2d(at.shape[0], layer.filters, layer.kernel, stride=layer.stride, padding=layer.pad,
                              output_padding=layer.output_padding, groups=layer.groups, bias=layer.bias,
                              dilation=layer.dilation)


@builds(LocallyConnected)
def _local(layer: LocallyConnected, at: Site) -> nn.Module:
    c, h, w = at.shape
    return LocallyConnected2d(c, layer.filters, (h, w), layer.kernel, layer.stride, layer.pad, layer.dilation,
                              layer.bias)


@builds(Linear)
def _linear(layer: Linear, at: Site) -> nn.Module:
    """nn.Linear; on a C×H×W input the layer flattens implicitly (as Caffe's InnerProduct), so a Flatten
    runs inside the same module and the row's params and FLOPs stay the Linear's."""
    if layer.per_position:
        return PerPositionLinear(at.shape[0], layer.units, layer.bias)
    n_in = 1
    for d in at.shape:
        n_in *= d
    linear = nn.Linear(n_in, layer.units, bias=layer.bias)
    if len(at.shape) == 1:
        return linear
    chain = Chain()
    chain.append("flatten", nn.Flatten())
    chain.append("linear", linear)
    return chain


@builds(Flatten)
def _flatten(layer: Flatten, at: Site) -> nn.Module:
    return nn.Flatten()


@builds(Pool)
def _pool(layer: Pool, at: Site) -> nn.Module:
    if layer.op == "max":
        return nn.MaxPool2d(layer.kernel, layer.stride, padding=layer.pad, dilation=layer.dilation,
                            ceil_mode=layer.ceil)
    return nn.AvgPool2d(layer.kernel, layer.stride, padding=layer.pad, ceil_mode=layer.ceil)


@builds(GlobalAvgPool)
def _gap(layer: GlobalAvgPool, at: Site) -> nn.Module:
    return nn.AdaptiveAvgPool2d(1)


@builds(AdaptiveAvgPool)
def _adaptive(layer: AdaptiveAvgPool, at: Site) -> nn.Module:
    return nn.AdaptiveAvgPool2d(layer.output)


@builds(Maxout)
def _maxout(layer: Maxout, at: Site) -> nn.Module:
    return MaxoutModule(layer.pieces)


@builds(LRN)
def _lrn(layer: LRN, at: Site) -> nn.Module:
    return nn.LocalResponseNorm(layer.size, alpha=layer.alpha, beta=layer.beta, k=layer.k)


@builds(BatchNorm)
def _batchnorm(layer: BatchNorm, at: Site) -> nn.Module:
    """BatchNorm2d on a feature map, BatchNorm1d on a vector; running mean/var and num_batches_tracked are
    its buffers (2C + 1)."""
    kind = nn.BatchNorm2d if len(at.shape) == 3 else nn.BatchNorm1d
    return kind(at.shape[0], eps=layer.eps, affine=layer.affine)


@builds(Dropout)
def _dropout(layer: Dropout, at: Site) -> nn.Module:
    return nn.Dropout(layer.p, inplace=layer.inplace)


@builds(Softmax)
def _softmax(layer: Softmax, at: Site) -> nn.Module:
    return nn.Softmax(dim=1)  # over the features, or the channels of a feature map


@builds(ZeroPad)
def _zeropad(layer: ZeroPad, at: Site) -> nn.Module:
    return nn.ZeroPad2d(_hw_pad(layer.pad))
