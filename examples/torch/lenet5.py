"""LeNet-5 as seed 003 prints it (specs/lenet5.yaml), written as a PyTorch module, for
`cnncalc verify specs/lenet5.yaml --against torch:examples/torch/lenet5.py:lenet5` (docs/verify.md) and
`cnncalc import torch:examples/torch/lenet5.py:lenet5 --input 32x32x1` (docs/import.md).
`lenet5_c5` is the variant whose third convolution has 120 5x5 filters where the spec has fc 120."""

import torch
from torch import nn


class LeNet5(nn.Module):
    def __init__(self, c5_conv: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.AvgPool2d(2, 2), nn.Sigmoid(),
            nn.Conv2d(6, 16, 5), nn.AvgPool2d(2, 2), nn.Sigmoid())
        self.c5 = nn.Conv2d(16, 120, 5) if c5_conv else None
        self.classifier = nn.Sequential(
            nn.Linear(16 * 5 * 5, 120) if not c5_conv else nn.Identity(), nn.Sigmoid(),
            nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        if self.c5 is not None:
            x = self.c5(x)
        return self.classifier(torch.flatten(x, 1))


def lenet5() -> nn.Module:
    return LeNet5()


def lenet5_c5() -> nn.Module:
    return LeNet5(c5_conv=True)
