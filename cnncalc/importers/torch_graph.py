"""A PyTorch module → a Graph in ONNX's vocabulary (graph.py), for `cnncalc import torch:MODULE:FACTORY`.

`torch:torchvision.models:resnet50` imports the module `torchvision.models`, `torch:./mynet.py:Net` (or an
absolute path) runs the file; either way FACTORY is called with no arguments under `torch.device("meta")`, so no
weight is allocated and no initialisation computes anything. Importing a torch: ref therefore RUNS PYTHON CODE
(the module or file named, and its factory) with your privileges; a .onnx file is only read, never run.

Tracing: torch.fx.symbolic_trace, then torch.fx.passes.shape_prop.ShapeProp on a meta tensor of the --input size
(batch 1) for every value's shape. Chosen over torch.export after measuring both on a torchvision-style
ResNet-50 built on the meta device (torch 2.13 CPU, 2 shared cores; tests/test_import_torch.py has the model):

| | fx.symbolic_trace + ShapeProp | torch.export.export |
| --- | --- | --- |
| warm (second call in a process) | 0.13–0.18 s | 0.7–1.1 s |
| fresh process (import torch excluded) | 1.9 s | 2.3–2.9 s |
| graph | 177 nodes: one `call_module` per nn.Module | 497 aten nodes |

(Of the fresh-process time, about 1.7 s is torch's first meta-device forward, paid by both.) Beyond speed, fx
keeps every torch.nn module as one node whose attributes (kernel_size, stride, padding, groups, eps...) are an
ONNX node's, and names it by its module path (`layer1.0.conv1`, written `/layer1/layer1.0/conv1/Conv` as torch.onnx names it), which names the spec's rows and stages; export
lowers to aten convolution / batch_norm calls whose module had to be recovered from metadata. fx's limit is
data-dependent control flow (`if x.sum() > 0:`): such a model fails to trace with a clear error that says to
export it to ONNX instead. Python control flow on attributes or shapes (torchvision's `if self.downsample`,
`x.size()`) traces fine.

After the walk (torch_ops.py), `rewrite.channels_first` turns ConvNeXt's permute … permute into channels-first
layers.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

from cnncalc.errors import CnnCalcError, clipped, shown
from cnncalc.importers.graph import Graph

PREFIX = "torch:"
TORCH_HINT = "importing from PyTorch needs torch: pip install 'cnncalc[torch]'"


class TorchImportError(CnnCalcError, ValueError):
    """A torch: ref that cannot be read: torch missing, no such module or factory, a factory that fails or
    returns no nn.Module, a model fx cannot trace, or a layer cnncalc has no equivalent for (exit 1)."""


def require_torch() -> Any:
    try:
        import torch
    except (ImportError, OSError):
        raise TorchImportError(TORCH_HINT) from None
    return torch


def parse_ref(ref: str) -> tuple[str, str]:
    """'torch:a.b:make' → ('a.b', 'make'); the target may be a path with ':' in it, the factory may be dotted."""
    body = ref.removeprefix(PREFIX)
    target, sep, factory = body.rpartition(":")
    if not sep or not target or not all(p.isidentifier() for p in factory.split(".")):
        raise TorchImportError(f"{clipped(ref)}: expected torch:MODULE:FACTORY or torch:FILE.py:FACTORY "
                               "(as torch:torchvision.models:resnet50 or torch:./mynet.py:Net)")
    return target, factory


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _is_path(target: str) -> bool:
    return target.endswith(".py") or "/" in target or "\\" in target


def load_module(ref: str, target: str) -> Any:
    """The module a ref names: a dotted module imported, or a .py file run (its folder on sys.path meanwhile)."""
    if not _is_path(target):
        try:
            return importlib.import_module(target)
        except ModuleNotFoundError as exc:
            raise TorchImportError(f"{clipped(ref)}: no module named {shown(exc.name or target)}") from None
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - whatever the module's own code raises
            raise TorchImportError(f"{clipped(ref)}: importing {clipped(target)} failed: {_first_line(exc)}") from None
    path = Path(target).expanduser()
    if not path.is_file():
        raise TorchImportError(f"{clipped(ref)}: no such file {clipped(target)}")
    name = "cnncalc_torch_" + hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TorchImportError(f"{clipped(ref)}: {clipped(target)} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # noqa: BLE001
        sys.modules.pop(name, None)
        raise TorchImportError(f"{clipped(ref)}: running {clipped(target)} failed: {_first_line(exc)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def load_model(ref: str) -> Any:
    """The nn.Module a ref names, built on the meta device (no weights allocated), in eval mode."""
    torch = require_torch()
    target, factory_name = parse_ref(ref)
    factory: Any = load_module(ref, target)
    for part in factory_name.split("."):
        if not hasattr(factory, part):
            raise TorchImportError(f"{clipped(ref)}: {clipped(target)} has no attribute {shown(factory_name)}")
        factory = getattr(factory, part)
    if not callable(factory):
        raise TorchImportError(f"{clipped(ref)}: {clipped(target)}.{clipped(factory_name)} is not callable")
    try:
        with torch.device("meta"):
            model = factory()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the factory is the user's code
        raise TorchImportError(f"{clipped(ref)}: calling {clipped(factory_name)}() failed: {_first_line(exc)}") from None
    if not isinstance(model, torch.nn.Module):
        raise TorchImportError(f"{clipped(ref)}: {clipped(factory_name)}() returned {type(model).__name__}, not a torch.nn.Module")
    return model.eval()


def read(ref: str, input_size: tuple[int, int, int] | str | None) -> Graph:
    """`torch:MODULE:FACTORY` (or FILE.py) at a (C, H, W) input (or the text of --input, HxWxC) → its Graph.
    Runs the module's code (see above)."""
    if input_size is None:
        raise TorchImportError(f"{clipped(ref)}: a PyTorch module has no input size of its own; give one with --input "
                               "(as --input 224x224x3)")
    if isinstance(input_size, str):
        from cnncalc.spec.inputs import parse_input

        input_size = parse_input(input_size, line=None, field="--input", channels=3)  # '224' is 224x224x3
    model = load_model(ref)
    return trace(model, input_size, name=parse_ref(ref)[1].split(".")[-1], source=ref)


def trace(model: Any, input_size: tuple[int, ...], *, name: str = "", source: str = "") -> Graph:
    """An nn.Module (best built on the meta device) at a per-sample input shape → its Graph (batch 1)."""
    torch = require_torch()
    from torch.fx.passes.shape_prop import ShapeProp

    from cnncalc.importers import rewrite, torch_functions, torch_ops

    label = source or type(model).__name__
    if any(t.device.type != "meta" for t in (*model.parameters(), *model.buffers())):
        model = model.to("meta")  # shapes only: nothing is computed
    try:
        gm = torch.fx.symbolic_trace(model)
    except Exception as exc:  # noqa: BLE001 - fx raises TraceError, TypeError, NotImplementedError...
        raise TorchImportError(
            f"{label}: torch.fx cannot trace {type(model).__name__}: {_first_line(exc)} (a forward whose control "
            "flow depends on tensor values cannot be traced; export the model with torch.onnx.export and import "
            "the .onnx file)") from None
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise TorchImportError(f"{label}: forward takes {len(placeholders)} inputs; cnncalc imports models with "
                               "one input tensor")
    x = torch.empty((1, *input_size), device="meta")
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints a traceback before it re-raises
            ShapeProp(gm).propagate(x)
    except Exception as exc:  # noqa: BLE001 - the model's own shape checks
        raise TorchImportError(f"{label}: running {type(model).__name__} on a 1x{'x'.join(map(str, input_size))} "
                               f"input failed: {_first_line(exc.__cause__ or exc)}") from None
    graph = _walk(gm, torch_ops, torch_functions, name or type(model).__name__, source)
    return rewrite.channels_first(graph)


def _input_shapes(n: Any, shape_of: Any) -> str:
    shapes = [shape_of(a) for a in n.all_input_nodes]
    return ", ".join("x".join(map(str, s)) if s is not None else str(a) for s, a in zip(shapes, n.all_input_nodes))


def _walk(gm: Any, ops: Any, fns: Any, name: str, source: str) -> Graph:
    e = ops.Emitter(gm)
    inputs: dict[str, tuple[int, ...]] = {}
    outputs: tuple[str, ...] = ()
    for n in gm.graph.nodes:
        shape = ops._shape(n)
        if n.op == "placeholder":
            inputs[n.name] = shape
            e.shapes[n.name] = shape
            continue
        if n.op == "get_attr":
            if shape is not None:
                e.initializers[str(n.target)] = shape
                e.alias[n.name] = str(n.target)
            continue
        if n.op == "output":
            flat: list[Any] = []
            _flatten_args(n.args[0], flat)
            outputs = tuple(e.value(a) for a in flat)
            continue
        what = f"{n.target}" if n.op != "call_module" else f"{n.target} ({type(e.modules[n.target]).__name__})"
        if shape is None and not isinstance(n.meta.get("tensor_meta"), (tuple, list)):
            continue  # not a tensor: x.size(), a channel count divided by groups... (used only through shapes)
        try:
            if n.op == "call_module":
                module = e.modules[n.target]
                handler = ops.MODULES.get(type(module).__name__)
                if handler is None or not type(module).__module__.startswith("torch.nn"):
                    raise ops.Unsupported(f"no cnncalc layer for {type(module).__module__}.{type(module).__name__}")
                handler(e, n, module, e.value(n.args[0]))
            else:
                handler = fns.FUNCTIONS.get(fns.key(n))
                if handler is None:
                    raise ops.Unsupported(f"no cnncalc layer for {n.op} {fns.key(n)!r}")
                handler(e, n)
        except CnnCalcError as exc:
            raise TorchImportError(f"{source or name}: node {n.name} ({what}) on input {_input_shapes(n, ops._shape)}:"
                                   f" {exc}") from None
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise TorchImportError(f"{source or name}: node {n.name} ({what}) on input {_input_shapes(n, ops._shape)}:"
                                   f" cannot be read as an ONNX node ({_first_line(exc)})") from None
    return Graph(name=name, inputs=inputs, outputs=outputs, nodes=tuple(e.nodes), initializers=e.initializers,
                 constants=e.constants, shapes=e.shapes, source=source)


def _flatten_args(a: Any, out: list[Any]) -> None:
    if isinstance(a, (tuple, list)):
        for b in a:
            _flatten_args(b, out)
    elif isinstance(a, dict):
        for b in a.values():
            _flatten_args(b, out)
    elif a is not None and hasattr(a, "name"):
        out.append(a)
