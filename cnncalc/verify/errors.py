"""Why a verification could not run (exit 1) or why torch refused a network the calculator accepted (exit 3).

Torch-free, so that the CLI and the tests can name these errors without importing torch.
"""

from __future__ import annotations

from cnncalc.errors import CnnCalcError

INSTALL_HINT = "pip install -e '.[torch]' (or pip install torch)"


class TorchMissing(CnnCalcError, ImportError):
    """`verify` runs the network in PyTorch, an optional dependency that is not installed."""

    def __init__(self, reason: str = "") -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(f"cnncalc verify needs PyTorch, which cannot be imported{detail}; install it with "
                         f"{INSTALL_HINT}")


class DeviceUnavailable(CnnCalcError, ValueError):
    """The requested device does not exist here (--device cuda without a GPU)."""


class NotBuildable(CnnCalcError, TypeError):
    """The spec cannot be mirrored as torch modules: a layer type without a builder (an error, never a silent
    skip), or a layer name torch cannot take as a module name."""


class TooLarge(CnnCalcError, ValueError):
    """The network would not fit in torch (a size past int64) or would allocate more than the limit on a real
    device: refused before torch is asked, with the estimate (exit 1)."""


class TorchRefused(CnnCalcError, RuntimeError):
    """PyTorch rejects a layer that the calculator accepted: a disagreement, so a negative answer (exit 3)."""

    exit_code = 3

    def __init__(self, layer: str, reason: str) -> None:
        super().__init__(f"{layer}: PyTorch refuses this layer, which cnncalc accepted: {reason}")
        self.layer = layer
        self.reason = reason
