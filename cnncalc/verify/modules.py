"""The few torch modules PyTorch does not ship: a locally connected layer, maxout, and the glue of containers.

Imported only through cnncalc.verify, after the torch import has been checked.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class LocallyConnected2d(nn.Module):
    """A convolution whose weights are not shared: each output position has its own filters and its own bias,
    as Keras' LocallyConnected2D (biases H_out·W_out·K).

    unfold turns the input into one column of k_h·k_w·C values per output position; an einsum then applies
    each position's own (k_h·k_w·C)×K matrix, which aten runs as a batched matmul, so FlopCounterMode counts
    2 FLOPs per multiply-accumulate, as for a convolution.
    """

    def __init__(self, in_channels: int, out_channels: int, in_size: tuple[int, int], kernel: tuple[int, int],
                 stride: tuple[int, int], pad: tuple[tuple[int, int], tuple[int, int]],
                 dilation: tuple[int, int], bias: bool) -> None:
        super().__init__()
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        (top, bottom), (left, right) = pad
        self.pad = (left, right, top, bottom)  # F.pad's order: last axis first
        # Torch, not our formula, says how many windows there are: a meta convolution of the same geometry.
        probe = F.conv2d(torch.empty(1, 1, in_size[0] + top + bottom, in_size[1] + left + right, device="meta"),
                         torch.empty(1, 1, *kernel, device="meta"), stride=stride, dilation=dilation)
        self.out_size = (int(probe.shape[-2]), int(probe.shape[-1]))
        positions = self.out_size[0] * self.out_size[1]
        fan_in = in_channels * kernel[0] * kernel[1]
        self.weight = nn.Parameter(torch.empty(positions, fan_in, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels, *self.out_size)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in ±1/√fan_in, the bound nn.Conv2d uses for its bias (and, in effect, its weights)."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        cols = F.unfold(F.pad(x, self.pad), self.kernel, dilation=self.dilation, stride=self.stride)  # (B, F, L)
        out = torch.einsum("bfl,lfk->bkl", cols, self.weight)
        out = out.reshape(x.shape[0], -1, *self.out_size)
        out = out + self.bias if self.bias is not None else out
        # the einsum's result is a permuted view (positions outermost): a contiguous output, as a convolution's,
        # so that a later flatten is a view, not a copy that autograd would keep
        return out.contiguous()


class Maxout(nn.Module):
    """The max over each group of `pieces` consecutive channels (Goodfellow et al. 2013)."""

    def __init__(self, pieces: int) -> None:
        super().__init__()
        self.pieces = pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unflatten(1, (x.shape[1] // self.pieces, self.pieces)).amax(dim=2)


class Chain(nn.Module):
    """Children run in order. Unlike nn.Sequential it runs only `order`, so a container may hang a join module
    (a dense block's `concat`) under a child's path without that module joining the chain."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[str] = []

    def append(self, name: str, module: nn.Module) -> None:
        self.add_module(name, module)
        self.order.append(name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.order:
            x = self.get_submodule(name)(x)
        return x


class Cat(nn.Module):
    """Channel concatenation of branches: a new tensor (torch.cat copies)."""

    def forward(self, parts: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(parts, dim=1)


class Add(nn.Module):
    """A residual addition, in place as torchvision writes it (`out += identity`)."""

    def forward(self, out: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        out += identity
        return out


class Branches(nn.Module):
    """Parallel branches on the same input, joined by the `concat` child (an inception block)."""

    def __init__(self) -> None:
        super().__init__()
        self.branch_names: list[str] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.get_submodule("concat")([self.get_submodule(name)(x) for name in self.branch_names])


class Residual(nn.Module):
    """after(add(body(x), shortcut(x))), children named as the spec names them (body and after items,
    `shortcut`, `add`), so that each row's path is a submodule."""

    def __init__(self) -> None:
        super().__init__()
        self.body_names: list[str] = []
        self.after_names: list[str] = []
        self.has_shortcut = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for name in self.body_names:
            out = self.get_submodule(name)(out)
        identity = self.get_submodule("shortcut")(x) if self.has_shortcut else x
        out = self.get_submodule("add")(out, identity)
        for name in self.after_names:
            out = self.get_submodule(name)(out)
        return out


class DenseBlock(nn.Module):
    """x ← concat(x, body_i(x)) for i = 0..count−1; body i (child `i`) holds its own `concat` child, so that the
    join's row `block.i.concat` is a submodule path."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i in range(self.count):
            body = self.get_submodule(str(i))
            x = body.get_submodule("concat")([x, body(x)])
        return x
