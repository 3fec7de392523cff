"""Builders of the newer leaf layer types (activations, per-sample normalisations, layer scale, drop path,
resampling, adaptive max pooling, the linear layer over channels), each the real PyTorch op; registered in
cnncalc.verify.registry when cnncalc.verify.build imports this module."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from cnncalc.layers.activation import Activation, Identity, PReLU
from cnncalc.layers.elementwise import DropPath
from cnncalc.layers.norm import GroupNorm, InstanceNorm, LayerNorm, Scale
from cnncalc.layers.opaque import Opaque
from cnncalc.layers.pool import AdaptiveMaxPool, GlobalMaxPool
from cnncalc.layers.resample import ChannelShuffle, PixelShuffle, Upsample
from cnncalc.verify import modules
from cnncalc.verify.errors import NotBuildable
from cnncalc.verify.registry import Site, builds

ACTIVATIONS: dict[str, Callable[[Activation], nn.Module]] = {
    "relu": lambda a: nn.ReLU(inplace=a.inplace),
    "leaky_relu": lambda a: nn.LeakyReLU(a.slope if a.slope is not None else 0.01, inplace=a.inplace),
    "elu": lambda a: nn.ELU(a.slope if a.slope is not None else 1.0, inplace=a.inplace),
    "sigmoid": lambda a: nn.Sigmoid(),
    "tanh": lambda a: nn.Tanh(),
    "relu6": lambda a: nn.ReLU6(inplace=a.inplace),
    "hardswish": lambda a: nn.Hardswish(inplace=a.inplace),
    "hardsigmoid": lambda a: nn.Hardsigmoid(inplace=a.inplace),
    "silu": lambda a: nn.SiLU(inplace=a.inplace),
    "gelu": lambda a: nn.GELU(approximate=a.approximate),
    "mish": lambda a: nn.Mish(inplace=a.inplace),
    "softplus": lambda a: nn.Softplus(beta=a.slope if a.slope is not None else 1.0,
                                      threshold=a.threshold if a.threshold is not None else 20.0),
}


@builds(Activation)
def _activation(layer: Activation, at: Site) -> nn.Module:
    make = ACTIVATIONS.get(layer.fn)
    if make is None:
        raise NotBuildable(f"{at.path}: no torch module for the activation {layer.fn!r}")
    return make(layer)


@builds(PReLU)
def _prelu(layer: PReLU, at: Site) -> nn.Module:
    return nn.PReLU(at.shape[0] if layer.per_channel else 1)


@builds(Identity)
def _identity(layer: Identity, at: Site) -> nn.Module:
    return nn.Identity()


@builds(LayerNorm)
def _layernorm(layer: LayerNorm, at: Site) -> nn.Module:
    """LayerNorm2d (torchvision's, over the channels) on a map; nn.LayerNorm on a vector."""
    kind = modules.LayerNorm2d if len(at.shape) == 3 else nn.LayerNorm
    return kind(at.shape[0], eps=layer.eps, elementwise_affine=layer.affine)


@builds(GroupNorm)
def _groupnorm(layer: GroupNorm, at: Site) -> nn.Module:
    return nn.GroupNorm(layer.groups, at.shape[0], eps=layer.eps, affine=layer.affine)


@builds(InstanceNorm)
def _instancenorm(layer: InstanceNorm, at: Site) -> nn.Module:
    return nn.InstanceNorm2d(at.shape[0], eps=layer.eps, affine=layer.affine, track_running_stats=layer.track)


@builds(Scale)
def _scale(layer: Scale, at: Site) -> nn.Module:
    return modules.Scale(at.shape[0], spatial=len(at.shape) == 3)


@builds(DropPath)
def _droppath(layer: DropPath, at: Site) -> nn.Module:
    return modules.StochasticDepth(layer.p, layer.mode)


@builds(Upsample)
def _upsample(layer: Upsample, at: Site) -> nn.Module:
    align = True if layer.align_corners else None  # None: PyTorch's default (False) without its warning
    if layer.size is not None:
        return nn.Upsample(size=layer.size, mode=layer.mode, align_corners=align)
    assert layer.scale is not None
    return nn.Upsample(scale_factor=tuple(float(s) for s in layer.scale), mode=layer.mode, align_corners=align)


@builds(PixelShuffle)
def _pixel_shuffle(layer: PixelShuffle, at: Site) -> nn.Module:
    return nn.PixelShuffle(layer.factor)


@builds(ChannelShuffle)
def _channel_shuffle(layer: ChannelShuffle, at: Site) -> nn.Module:
    return nn.ChannelShuffle(layer.groups)


@builds(GlobalMaxPool)
def _global_maxpool(layer: GlobalMaxPool, at: Site) -> nn.Module:
    return nn.AdaptiveMaxPool2d(1)


@builds(AdaptiveMaxPool)
def _adaptive_maxpool(layer: AdaptiveMaxPool, at: Site) -> nn.Module:
    return nn.AdaptiveMaxPool2d(layer.output)


@builds(Opaque)
def _opaque(layer: Opaque, at: Site) -> nn.Module:
    """An imported op with no spec equivalent has no module to build either: verify refuses it by name."""
    raise NotBuildable(f"{at.path}: an opaque layer ({layer.op or 'unknown op'}) has no torch module to build; "
                       "verify the model itself with --against, or map the op")
