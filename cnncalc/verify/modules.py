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
    """A residual addition: in place as torchvision's ResNet writes it (`out += identity`), or a new tensor
    (`proj(x) + f(x)`, RegNet, MobileNetV2)."""

    def __init__(self, inplace: bool = True) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, out: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        if not self.inplace:
            return identity + out
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
        shortcut_first = not self.get_submodule("add").inplace  # `proj(x) + f(x)` runs the projection first
        identity = self.get_submodule("shortcut")(x) if self.has_shortcut and shortcut_first else x
        out = x
        for name in self.body_names:
            out = self.get_submodule(name)(out)
        if self.has_shortcut and not shortcut_first:
            identity = self.get_submodule("shortcut")(x)
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


class LayerNorm2d(nn.LayerNorm):
    """torchvision's LayerNorm2d (ConvNeXt): F.layer_norm over the channels of each position of an N×C×H×W map,
    written as permute → layer_norm → permute back. The result is made contiguous again, so that the network
    stays in PyTorch's default memory layout (channels-last memory would change what later layers copy)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return y.permute(0, 3, 1, 2).contiguous()


class PerPositionLinear(nn.Module):
    """nn.Linear over the channels at every position (ConvNeXt's point-wise Linear on a channels-last tensor):
    permute → Linear → permute back (contiguous again, as LayerNorm2d). The Linear is the child `linear`."""

    def __init__(self, in_channels: int, units: int, bias: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(in_channels, units, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).contiguous()


class Scale(nn.Module):
    """ConvNeXt's layer scale: `self.layer_scale * x` with a learnable C×1×1 parameter (C for a vector)."""

    def __init__(self, channels: int, spatial: bool, init: float = 1e-6) -> None:
        super().__init__()
        self.init = init
        self.layer_scale = nn.Parameter(torch.empty(channels, 1, 1) if spatial else torch.empty(channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.constant_(self.layer_scale, self.init)  # torchvision's layer_scale=1e-6

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_scale * x


class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth, written out (torchvision is not a dependency): the identity at inference
    or at p = 0; in training input·noise/(1 − p), one Bernoulli value per sample (row) or per batch."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(1.0 - self.p)
        noise.div_(1.0 - self.p)
        return x * noise
