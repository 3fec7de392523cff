"""Models that exist as an ONNX file or a PyTorch module, read as specs (`cnncalc import`, and every command's
SPEC argument). Nothing heavy is imported here: the onnx package and torch are imported only when a model is read.

A model becomes a `Graph` (graph.py: ONNX's operator vocabulary; onnx_graph.py reads a .onnx file, torch_graph.py
traces a module), the graph becomes spec items with containers recovered (to_spec.py, ops.py), and the items
become YAML text (spec_yaml.py), which the ordinary parser reads: an imported model is a spec like any other.
Reading a .onnx file parses it; nothing in it is executed.
"""

from __future__ import annotations

from pathlib import Path

from cnncalc.errors import SpecError


def is_model(ref: str) -> bool:
    """A SPEC argument that names a model to import rather than a YAML spec."""
    return ref.lower().endswith(".onnx") or ref.startswith("torch:")


def read_graph(ref: str, input_size: str | None = None):  # type: ignore[no-untyped-def]
    """The graph of `ref`: a .onnx file, or torch:MODULE:FACTORY traced at `input_size` (HxWxC)."""
    if ref.startswith("torch:"):
        from cnncalc.importers import torch_graph

        return torch_graph.read(ref, input_size)
    from cnncalc.importers import onnx_graph

    try:
        return onnx_graph.read(ref)
    except SpecError as exc:
        raise exc.located(file=ref) from None


def import_text(ref: str, *, input_size: str | None = None, opaque: bool = False) -> tuple[str, list[str]]:
    """The YAML spec `ref` imports to, and the warnings to show (opaque layers, nodes left out)."""
    from cnncalc.importers import spec_yaml, to_spec

    graph = read_graph(ref, input_size)
    try:
        items, warnings = to_spec.build(graph, opaque=opaque)
        return spec_yaml.write(graph, items, warnings), warnings
    except SpecError as exc:
        raise exc.located(file=ref) from None


def spec_text(ref: str) -> str:
    """The YAML spec that `ref` (a .onnx file or torch:MODULE:FACTORY) imports to."""
    if not ref.startswith("torch:") and not Path(ref).exists():
        raise SpecError("no such file", file=ref)
    return import_text(ref)[0]
