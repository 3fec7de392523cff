"""Every layer type, each with its shape rule, parameters, MACs/FLOPs and memory in one class."""

# importing registers the types (opaque: an imported model's op whose costs are not counted)
from cnncalc.layers import activation, conv, dense, elementwise, norm, opaque, pool, resample  # noqa: F401
from cnncalc.layers.base import LAYER_TYPES, Facts, Layer, Shape, numel, show_shape

__all__ = ["LAYER_TYPES", "Facts", "Layer", "Shape", "numel", "show_shape"]
