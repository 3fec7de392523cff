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
