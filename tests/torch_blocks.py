"""Torch modules written as torchvision writes them, shared by the tests that compare cnncalc with torch
(torchvision itself cannot be installed beside CI's CPU torch)."""

from __future__ import annotations

import torch
from torch import nn


class InvertedResidual(nn.Module):
    """torchvision.models.mobilenetv2.InvertedResidual, its layers in one Sequential: expand 1x1 (t ≠ 1),
    depthwise 3x3, project 1x1; `x + self.conv(x)` when the stride is 1 and the channels stay."""

    def __init__(self, inp: int, oup: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = inp * expand
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [nn.Conv2d(inp, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True)]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                   nn.ReLU6(inplace=True), nn.Conv2d(hidden, oup, 1, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class SqueezeExcitation(nn.Module):
    """torchvision.ops.SqueezeExcitation: avgpool(1) → fc1 (1x1) → ReLU → fc2 (1x1) → sigmoid, `scale * input`."""

    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


def module_saved_bytes(net: nn.Module, shape: tuple[int, ...], batch: int = 2) -> int:
    """The memory oracle of tests/test_memory_autograd.py (`autograd_saved`) on a hand-written module: train mode,
    every tensor autograd packs counted once by its storage, parameters and buffers left out."""
    net.train()
    owned = {t.untyped_storage().data_ptr() for t in (*net.parameters(), *net.buffers())}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in owned:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    torch.manual_seed(0)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        net(torch.randn(batch, *shape))
    return sum(seen.values())
