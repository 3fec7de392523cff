"""The one graph both importers produce and the spec writer reads: ONNX's own operator vocabulary.

`onnx_graph.py` reads a .onnx file into it, `torch_graph.py` traces a PyTorch module into it, and `to_spec.py`
turns it into a readable spec. Using ONNX's operator names and attribute names (https://onnx.ai/onnx/operators/)
for both keeps one mapping from graph to spec: a traced `nn.Conv2d` becomes a "Conv" node with `kernel_shape`,
`strides`, `pads` (ONNX order: [top, left, bottom, right]), `dilations` and `group`, as an exporter would write
it. No weights are held: initializers are names and shapes only; small constants that ops read as inputs
(Reshape's shape, Clip's bounds, Pad's pads, Resize's scales) are kept by value.

cnncalc-specific ops and attributes, where ONNX has no equivalent (torch_graph.py writes them; an importer that
meets one maps it like its ONNX relative):

- "AdaptiveAvgPool" / "AdaptiveMaxPool", attr `output_size` [h, w]: nn.AdaptiveAvgPool2d(k) whose k does not divide
  the input (when it does, an AveragePool of kernel = stride = input / k is written, as exporters do).
- "PointwiseLinear", inputs (X, W [out, in], B), attr `axis` (-1): nn.Linear on the last axis of a tensor of rank
  > 2. Inside ConvNeXt's permute pair it becomes a "Conv" with kernel_shape [1, 1] and attr `linear: 1` (its W
  keeps the [out, in] shape: the same count as [out, in, 1, 1]).
- "LayerNormalization" with attrs `axis: 1, channels_only: 1`: normalisation over the channels alone at each
  position of NCHW (ConvNeXt's LayerNorm2d; ONNX's axis=1 would also take H and W).
- "BatchNormalization" etc. with "" for scale/B (affine=False) or mean/var (track_running_stats=False): not learned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Dim = int | str
"""A size: a number, or a symbol from a dynamic axis ('N', 'H', 'batch_size')."""


@dataclass(frozen=True)
class Node:
    name: str  # the node's name in the graph ('/layer1/layer1.0/conv1/Conv'), or one made from its outputs
    op: str  # ONNX op type: "Conv", "Relu", "Add", ...
    inputs: tuple[str, ...]  # tensor names; "" for an omitted optional input
    outputs: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)  # ONNX attribute names → ints, floats, strings, lists


@dataclass(frozen=True)
class Graph:
    name: str
    inputs: dict[str, tuple[Dim, ...]]  # the graph's data inputs (not initializers), NCHW
    outputs: tuple[str, ...]
    nodes: tuple[Node, ...]  # in topological order
    initializers: dict[str, tuple[int, ...]] = field(default_factory=dict)  # weight name → shape (no data)
    constants: dict[str, Any] = field(default_factory=dict)  # small tensors read by value: name → nested list
    shapes: dict[str, tuple[Dim, ...]] = field(default_factory=dict)  # shape inference's value shapes, where known
    source: str = ""  # what it was read from: 'model.onnx', 'torch:torchvision.models:resnet50'
