"""Every layer type, each with its shape rule, parameters, MACs/FLOPs and memory in one class."""

from cnncalc.layers import conv, dense, elementwise, pool  # noqa: F401  (importing registers the types)
from cnncalc.layers.base import LAYER_TYPES, Facts, Layer, Shape, numel, show_shape

__all__ = ["LAYER_TYPES", "Facts", "Layer", "Shape", "numel", "show_shape"]
