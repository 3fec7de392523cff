"""The classic torchvision models of issue 13 as zoo specs: VGG-BN, SqueezeNet, ResNeXt, Wide ResNet, RegNetX,
GoogLeNet and Inception v3 (torchvision 0.29, default arguments, weights=None; the Inception models without
their auxiliary heads, as their model cards count them).

Each spec is checked against figures from outside cnncalc only:

- torchvision's model cards: `weights.meta["num_params"]` exactly, and `_ops` (GFLOPS: multiply-accumulates of
  the convs and linears) at the card's two decimals;
- a cross-check module written here from torchvision's source (torchvision itself is not installed in CI):
  params, buffers, torch.utils.flop_counter's conv + mm MACs and every conv/linear output shape, built on the
  meta device, batch 1; and at a small input on the CPU, the bytes autograd saves for backward in train mode,
  against `cnncalc memory`.

The spec must also pass `verify` (meta device) and `summarize` with only the expected warnings (the half-pixel
floors of a 224 input under stride-2 layers with odd kernels).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
import torch
from conftest import SPECS
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from cnncalc import analyze, load_spec
from cnncalc.memory import memory
from cnncalc.spec.model import Spec
from cnncalc.verify import verify

# --- torchvision's model cards (IMAGENET1K_V1): num_params, GFLOPS -----------------------------------------------

CARDS: dict[str, tuple[int, float]] = {
    "vgg11_bn": (132_868_840, 7.61),
    "vgg13_bn": (133_053_736, 11.31),
    "vgg16_bn": (138_365_992, 15.47),
    "vgg19_bn": (143_678_248, 19.63),
    "squeezenet1_0": (1_248_424, 0.82),
    "squeezenet1_1": (1_235_496, 0.35),
    "resnext50_32x4d": (25_028_904, 4.23),
    "resnext101_32x8d": (88_791_336, 16.41),
    "resnext101_64x4d": (83_455_272, 15.46),
    "wide_resnet50_2": (68_883_240, 11.4),     # 11.398G: the card's 11.4 is the same two decimals
    "wide_resnet101_2": (126_886_696, 22.75),
    "regnet_x_400mf": (5_495_976, 0.41),
    "regnet_x_800mf": (7_259_656, 0.8),
    "regnet_x_1_6gf": (9_190_136, 1.6),
    "regnet_x_3_2gf": (15_296_552, 3.18),
    "googlenet_torchvision": (6_624_904, 1.5),  # the card counts GoogLeNet without aux1/aux2, as the spec is
    # inception_v3's card says 27,161,264 params: with AuxLogits (3,326,696 params), which the spec leaves out;
    # 23,834,568 is the card's figure less InceptionAux(768)'s, and the cross-check module below counts it too.
    "inception_v3": (23_834_568, 5.71),
}
INCEPTION_V3_CARD_WITH_AUX = 27_161_264

# --- cross-check modules, written from torchvision's source -------------------------------------------------------

VGG_CFGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """torchvision.models.vgg.VGG with make_layers(cfg, batch_norm)."""

    def __init__(self, cfg: list, batch_norm: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers.append(nn.Conv2d(c, v, kernel_size=3, padding=1))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(v))
                layers.append(nn.ReLU(inplace=True))
                c = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=0.5),
            nn.Linear(4096, 1000))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


class Fire(nn.Module):
    def __init__(self, inplanes: int, squeeze: int, expand1x1: int, expand3x3: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(inplanes, squeeze, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    def __init__(self, version: str) -> None:
        super().__init__()
        pool = partial(nn.MaxPool2d, kernel_size=3, stride=2, ceil_mode=True)
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                pool(), Fire(512, 64, 256, 256))
        else:
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(),
                Fire(128, 32, 128, 128), Fire(256, 32, 128, 128), pool(),
                Fire(256, 48, 192, 192), Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
        final_conv = nn.Conv2d(512, 1000, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.classifier(self.features(x)), 1)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    """torchvision.models.resnet.Bottleneck (v1.5: the stride on the 3x3)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int, downsample: nn.Module | None, groups: int,
                 base_width: int) -> None:
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, layers: list[int], groups: int, width_per_group: int) -> None:
        super().__init__()
        self.inplanes = 64
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * 4, 1000)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * 4:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * 4, stride), nn.BatchNorm2d(planes * 4))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, self.groups, self.base_width)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes, 1, None, self.groups, self.base_width) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def conv_norm_act(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                  act: bool = True) -> nn.Sequential:
    """torchvision.ops.Conv2dNormActivation with BatchNorm2d and ReLU(inplace=True): no conv bias."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(cout, eps=1e-05, momentum=0.1)]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class ResBottleneckBlock(nn.Module):
    """torchvision.models.regnet.ResBottleneckBlock, bottleneck multiplier 1, no SE."""

    def __init__(self, width_in: int, width_out: int, stride: int, group_width: int) -> None:
        super().__init__()
        self.proj = None
        if width_in != width_out or stride != 1:
            self.proj = conv_norm_act(width_in, width_out, 1, stride, act=False)
        w_b = round(width_out * 1.0)  # torchvision: int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        self.f = nn.Sequential(conv_norm_act(width_in, w_b, 1), conv_norm_act(w_b, w_b, 3, stride, groups=g),
                               conv_norm_act(w_b, width_out, 1, act=False))
        self.activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x) + self.f(x) if self.proj is not None else x + self.f(x)
        return self.activation(x)


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def regnet_block_params(depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                        bottleneck_multiplier: float = 1.0) -> tuple[list[int], list[int], list[int]]:
    """torchvision's BlockParams.from_init_params (with _adjust_widths_groups_compatibilty): stage widths,
    depths and group widths, computed as torchvision does, in float32 torch."""
    quant = 8
    widths_cont = torch.arange(depth) * w_a + w_0
    block_capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
    block_widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, block_capacity), quant)) * quant).int().tolist()
    split_helper = zip(block_widths + [0], [0] + block_widths, block_widths + [0], [0] + block_widths)
    splits = [w != wp or r != rp for w, wp, r, rp in split_helper]
    stage_widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
    stage_depths = torch.diff(torch.tensor([d for d, t in enumerate(splits) if t])).int().tolist()
    widths = [int(w * bottleneck_multiplier) for w in stage_widths]
    group_widths = [min(group_width, w) for w in widths]
    ws_bot = [_make_divisible(w, g) for w, g in zip(widths, group_widths)]
    stage_widths = [int(w / bottleneck_multiplier) for w in ws_bot]
    return stage_widths, stage_depths, group_widths


REGNET_X: dict[str, dict[str, Any]] = {  # torchvision's regnet_x_* builders: BlockParams.from_init_params(...)
    "regnet_x_400mf": {"depth": 22, "w_0": 24, "w_a": 24.48, "w_m": 2.54, "group_width": 16},
    "regnet_x_800mf": {"depth": 16, "w_0": 56, "w_a": 35.73, "w_m": 2.28, "group_width": 16},
    "regnet_x_1_6gf": {"depth": 18, "w_0": 80, "w_a": 34.01, "w_m": 2.25, "group_width": 24},
    "regnet_x_3_2gf": {"depth": 25, "w_0": 88, "w_a": 26.31, "w_m": 2.25, "group_width": 48},
}


class RegNet(nn.Module):
    def __init__(self, depth: int, w_0: int, w_a: float, w_m: float, group_width: int) -> None:
        super().__init__()
        self.stem = conv_norm_act(3, 32, 3, stride=2)
        with torch.device("cpu"):  # numbers, even when the module is built on the meta device
            widths, depths, group_widths = regnet_block_params(depth, w_0, w_a, w_m, group_width)
        stages, current = [], 32
        for w, d, g in zip(widths, depths, group_widths):
            blocks = [ResBottleneckBlock(current if i == 0 else w, w, 2 if i == 0 else 1, g) for i in range(d)]
            stages.append(nn.Sequential(*blocks))
            current = w
        self.trunk_output = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(current, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


class BasicConv2d(nn.Module):
    """torchvision's GoogLeNet / Inception3 BasicConv2d: conv without bias, BN eps 0.001, F.relu(inplace=True)."""

    def __init__(self, cin: int, cout: int, **kwargs: object) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kwargs)  # type: ignore[arg-type]
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


class GoogLeNetInception(nn.Module):
    def __init__(self, cin: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int,
                 pool_proj: int) -> None:
        super().__init__()
        self.branch1 = BasicConv2d(cin, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        # torchvision's "5x5" branch is a 3x3 (kept for its weights)
        self.branch3 = nn.Sequential(BasicConv2d(cin, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
                                     BasicConv2d(cin, pool_proj, kernel_size=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    """torchvision.models.GoogLeNet(aux_logits=False, transform_input=False)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = GoogLeNetInception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = GoogLeNetInception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = GoogLeNetInception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = GoogLeNetInception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = GoogLeNetInception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = GoogLeNetInception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = GoogLeNetInception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = GoogLeNetInception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = GoogLeNetInception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=0.2)
        self.fc = nn.Linear(1024, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        x = self.inception4e(self.inception4d(self.inception4c(self.inception4b(x))))
        x = self.maxpool4(x)
        x = self.inception5b(self.inception5a(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(self.dropout(x))


class InceptionA(nn.Module):
    def __init__(self, cin: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    def __init__(self, cin: int, c7: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        bd = self.branch7x7dbl_5(self.branch7x7dbl_4(self.branch7x7dbl_3(self.branch7x7dbl_2(bd))))
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        bp = self.branch_pool(F.avg_pool2d(x, kernel_size=3, stride=1, padding=1))
        return torch.cat([b1, b3, bd, bp], 1)


class InceptionAux(nn.Module):
    """Only to count the card's params with the aux head; not part of the spec."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.conv0 = BasicConv2d(cin, 128, kernel_size=1)
        self.conv1 = BasicConv2d(128, 768, kernel_size=5)
        self.fc = nn.Linear(768, 1000)


class Inception3(nn.Module):
    """torchvision.models.Inception3(aux_logits=False, transform_input=False)."""

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.maxpool2 = nn.MaxPool2d(kernel_size=3, stride=2)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, c7=128)
        self.Mixed_6c = InceptionC(768, c7=160)
        self.Mixed_6d = InceptionC(768, c7=160)
        self.Mixed_6e = InceptionC(768, c7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280)
        self.Mixed_7c = InceptionE(2048)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=0.5)
        self.fc = nn.Linear(2048, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.maxpool1(x)
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))
        x = self.Mixed_6a(x)
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))
        x = self.dropout(self.avgpool(x))
        return self.fc(torch.flatten(x, 1))


RESNETS = {  # layers, groups, width_per_group (torchvision's builders)
    "resnext50_32x4d": ([3, 4, 6, 3], 32, 4),
    "resnext101_32x8d": ([3, 4, 23, 3], 32, 8),
    "resnext101_64x4d": ([3, 4, 23, 3], 64, 4),
    "wide_resnet50_2": ([3, 4, 6, 3], 1, 128),
    "wide_resnet101_2": ([3, 4, 23, 3], 1, 128),
}
MODELS: dict[str, Callable[[], nn.Module]] = {
    **{f"{v}_bn": partial(VGG, VGG_CFGS[v], True) for v in VGG_CFGS},
    "squeezenet1_0": partial(SqueezeNet, "1_0"),
    "squeezenet1_1": partial(SqueezeNet, "1_1"),
    **{n: partial(ResNet, *a) for n, a in RESNETS.items()},
    **{n: partial(RegNet, **a) for n, a in REGNET_X.items()},
    "googlenet_torchvision": GoogLeNet,
    "inception_v3": Inception3,
}
NAMES = list(CARDS)
# The small input at which autograd's saved bytes are measured on the CPU (inception_v3 needs 75 or more).
MEMORY_SIDE = {"inception_v3": 96}


def build_meta(name: str) -> nn.Module:
    with torch.device("meta"):
        return MODELS[name]()


def spec_of(name: str) -> Spec:
    return load_spec(SPECS / f"{name}.yaml")


def torch_figures(net: nn.Module, shape: tuple[int, ...]) -> tuple[int, int, int, list[tuple[str, tuple]]]:
    """params, buffers, conv + mm MACs (FlopCounterMode's FLOPs / 2) and the conv/linear outputs in run order."""
    outputs: list[tuple[str, tuple]] = []

    def hook(module: nn.Module, _inputs: object, out: torch.Tensor) -> None:
        outputs.append(("conv" if isinstance(module, nn.Conv2d) else "fc", tuple(out.shape[1:])))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    net.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        net(torch.empty(1, *shape, device="meta"))
    for h in handles:
        h.remove()
    counts = counter.get_flop_counts()["Global"]
    assert set(map(str, counts)) <= {"aten.convolution", "aten.addmm", "aten.mm"}, counts
    flops = sum(counts.values())
    assert flops % 2 == 0
    params = sum(p.numel() for p in net.parameters())
    buffers = sum(b.numel() for b in net.buffers())
    return params, buffers, flops // 2, outputs


# --- the checks ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_spec_matches_the_model_card(name: str) -> None:
    params, gflops = CARDS[name]
    t = analyze(spec_of(name)).totals
    assert t.params == params
    assert round(t.macs / 1e9, 2) == gflops, t.macs


def test_inception_v3_card_counts_the_aux_head() -> None:
    with torch.device("meta"):
        aux = sum(p.numel() for p in InceptionAux(768).parameters())
    assert aux == 3_326_696
    assert CARDS["inception_v3"][0] + aux == INCEPTION_V3_CARD_WITH_AUX


@pytest.mark.parametrize("name", NAMES)
def test_spec_matches_the_torchvision_module(name: str) -> None:
    spec = spec_of(name)
    report = analyze(spec)
    params, buffers, macs, outputs = torch_figures(build_meta(name), tuple(report.input))
    rows = [(r.kind, tuple(r.output)) for r in report.layers if r.kind in ("conv", "fc")]
    assert (report.totals.params, report.totals.buffers, report.totals.macs) == (params, buffers, macs)
    assert rows == outputs  # RegNet's proj(x) + f(x) too: its specs say `add: new`, the shortcut first


@pytest.mark.parametrize("name", NAMES)
def test_saved_for_backward_matches_autograd_on_the_torchvision_module(name: str) -> None:
    """Train mode, CPU, fp32, batch 2, at a small input: the bytes of the distinct storages autograd keeps on
    the cross-check module (parameters and buffers left out) equal `cnncalc memory`'s."""
    side = MEMORY_SIDE.get(name, 64)
    report = analyze(spec_of(name), input_shape=(3, side, side), batch=2)
    torch.manual_seed(0)
    net = build_meta(name).to_empty(device="cpu")
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(0.01)  # the values do not change what autograd keeps; filling is cheaper than drawing
        for b in net.buffers():
            if b.dtype.is_floating_point:
                b.fill_(1.0)
    net.train()
    owned = {t.untyped_storage().data_ptr() for t in (*net.parameters(), *net.buffers())}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in owned:
            seen[s.data_ptr()] = s.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        net(torch.randn(2, 3, side, side))
    assert memory(report).saved_bytes == sum(seen.values())


@pytest.mark.parametrize("name", NAMES)
def test_spec_verifies_on_the_meta_device(name: str) -> None:
    v = verify(spec_of(name), device="meta")
    bad = [(r.name, r.mismatches) for r in v.failed]
    assert v.ok and not bad and not v.totals_mismatches, bad


def test_regnet_widths_are_torchvisions() -> None:
    """The stage widths and depths written in the RegNetX specs are BlockParams.from_init_params'."""
    for name, init in REGNET_X.items():
        widths, depths, group_widths = regnet_block_params(**init)
        stages = [m for m in analyze(spec_of(name)).modules if m.name.count(".") == 0 and m.name.startswith("block")]
        assert [m.output[0] for m in stages] == widths
        blocks = Counter(r.name.split(".")[0] for r in analyze(spec_of(name)).layers if r.name.endswith(".add"))
        assert [blocks[m.name] for m in stages] == depths
        assert set(group_widths) == {init["group_width"]}


# Half-pixel floors at 224 (a stride-2 window with an even leftover): PyTorch floors them, as torchvision does.
EXPECTED_FLOORS = {
    **{n: [] for n in ("vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "inception_v3")},
    "squeezenet1_0": ["conv1"],
    "squeezenet1_1": ["conv1"],
    **{n: ["conv1", "maxpool", *(f"layer{i}.0.{c}" for i in (2, 3, 4) for c in ("conv2", "shortcut.conv"))]
       for n in RESNETS},
    "googlenet_torchvision": ["conv1.conv"],
}


@pytest.mark.parametrize("name", NAMES)
def test_summarize_warns_only_of_the_expected_floors(name: str, run: Callable[..., Any]) -> None:
    report = analyze(spec_of(name))
    assert not report.misaligned
    floors = sorted({w.layer for w in report.warnings})
    if name.startswith("regnet"):
        first = "block1" if regnet_block_params(**REGNET_X[name])[1][0] == 1 else "block1.0"
        expected = ["stem", f"{first}.b", f"{first}.shortcut.conv",
                    *(f"block{i}.0.{c}" for i in (2, 3, 4) for c in ("b", "shortcut.conv"))]
    else:
        expected = EXPECTED_FLOORS[name]
    assert floors == sorted(expected)
    result = run("summarize", SPECS / f"{name}.yaml")
    assert result.exit_code == 0
    warnings = [line for line in result.output.splitlines() if line.startswith(("warning", "hint"))]
    if expected:
        assert [w.split(":")[0] for w in warnings] == ["warning", "hint"]
        assert "floor a half pixel" in warnings[0] or "floors a half pixel" in warnings[0]
    else:
        assert warnings == []
