"""Read a .onnx file into a `Graph` (importers/graph.py) with the onnx package: ops, attributes, shapes; no weights.

Nothing in the file is executed: the protobuf is parsed, attributes and declared shapes are read, and onnx's shape
inference (a C++ pass over the declared types) fills in the value shapes. Initializers are read as names and shapes
(`dims`); their bytes are dropped as soon as the dims are read (so weights are not held twice, and external weight
files need not exist: `load_external_data=False`). Small tensors that ops read by value (Reshape's shape, Clip's
bounds, Pad's pads, Resize's scales, Slice's starts/ends, Split's sizes) are kept as lists.

Every way a file can be wrong is a SpecError naming what is wrong: bytes that are not an ONNX model, a file over
limits.MAX_ONNX_BYTES, a cycle, a declared size outside 1..limits.MAX_SIZE, a nested subgraph (If, Loop, Scan).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from cnncalc.errors import SpecError
from cnncalc.importers.graph import Dim, Graph, Node
from cnncalc.limits import MAX_NAME, MAX_ONNX_BYTES, MAX_ONNX_NODES, MAX_SIZE, MAX_SIZE_TEXT

SMALL = 64
"""Tensors of at most this many values are kept by value (shapes, bounds, pads, scales): a weight is larger."""

WEIGHT_SLOTS = {"Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (1, 2), "BatchNormalization": (1, 2, 3, 4),
                "InstanceNormalization": (1, 2), "LayerNormalization": (1, 2), "GroupNormalization": (1, 2),
                "PRelu": (1,), "MatMul": (1,), "Add": (1,), "Mul": (1,)}
"""Input slots that hold parameters: a model exported without its weights (export_params=False) declares them as
graph inputs, and a graph input read only through these slots is a weight, not the data."""

VIEWS = {"Identity", "Unsqueeze", "Transpose"}
"""Ops that pass a weight on as a weight (`_weight_inputs`)."""

NEEDS_ONNX = "reading ONNX needs the onnx package: pip install 'cnncalc[onnx]'"


def onnx_module() -> Any:
    """The onnx package's protobuf and shape inference (importers/onnx_proto.py: without `import onnx`)."""
    from cnncalc.importers import onnx_proto

    try:
        return onnx_proto.load()
    except ImportError:
        raise SpecError(NEEDS_ONNX) from None


def read(path: str) -> Graph:
    """The graph of the ONNX model at `path`."""
    onnx = onnx_module()
    model = _load(onnx, path)
    graph = model.graph
    if not model.HasField("graph") or (not graph.node and not graph.input):
        raise SpecError("not an ONNX model: the file holds no graph (is it an ONNX file?)")
    if len(graph.node) > MAX_ONNX_NODES:
        raise SpecError(f"the graph has {len(graph.node):,} nodes; at most {MAX_ONNX_NODES:,} are read")
    initializers: dict[str, tuple[int, ...]] = {}
    constants: dict[str, Any] = {}
    for tensor in graph.initializer:
        dims = tuple(int(d) for d in tensor.dims)
        _check_dims(dims, f"initializer {_quote(tensor.name)}")
        initializers[tensor.name] = dims
        if _numel(dims) <= SMALL:
            value = _small_value(onnx, tensor)
            if value is not None:
                constants[tensor.name] = value
        else:  # the weights' bytes are never needed: drop them before shape inference copies the model
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
                tensor.ClearField(field)
    nodes = [_node(onnx, n, i, constants) for i, n in enumerate(graph.node)]
    ordered = _topological(nodes, {*initializers, *(i.name for i in graph.input)})
    shapes = _inferred_shapes(onnx, model)
    declared = {i.name: _dims(i.type, f"input {_quote(i.name)}") for i in graph.input}
    shapes.update({k: v for k, v in declared.items() if v is not None})
    inputs: dict[str, tuple[Dim, ...]] = {}
    weight_only = _weight_inputs(ordered, set(declared) - set(initializers))
    for name, dims in declared.items():
        if name in initializers:
            continue
        if name in weight_only:
            initializers[name] = tuple(d for d in (dims or ()) if isinstance(d, int))
            continue
        if dims is None:
            raise SpecError(f"input {_quote(name)} declares no shape; cnncalc needs its [N, C, H, W]")
        inputs[name] = dims
    return Graph(name=graph.name or Path(path).stem, inputs=inputs, outputs=tuple(o.name for o in graph.output),
                 nodes=tuple(ordered), initializers=initializers, constants=constants, shapes=shapes, source=path)


def _load(onnx: Any, path: str) -> Any:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SpecError("no such file") from None
    except OSError as exc:
        raise SpecError(f"cannot read it: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SpecError("is a directory, not an ONNX file")
    if not stat.S_ISREG(info.st_mode):
        raise SpecError("is not a regular file (a pipe or a device?); give an ONNX file")
    if info.st_size > MAX_ONNX_BYTES:
        raise SpecError(f"the file is {info.st_size:,} bytes; an ONNX file is read up to {MAX_ONNX_BYTES:,} bytes "
                        "(protobuf's own limit); keep the weights in external data (they are never read)")
    if info.st_size == 0:
        raise SpecError("the file is empty, not an ONNX model")
    try:
        model = onnx.ModelProto()
        with open(path, "rb") as f:
            model.ParseFromString(f.read())  # what onnx.load(path, load_external_data=False) does
        return model
    except Exception as exc:  # noqa: BLE001  (protobuf's DecodeError, onnx's own errors: not an ONNX model)
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise SpecError(f"not a readable ONNX model ({reason}); is the file truncated?") from None


def _quote(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _numel(dims: tuple[int, ...]) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def _check_dims(dims: tuple[Dim, ...], what: str) -> None:
    for d in dims:
        if isinstance(d, int) and not 0 <= d <= MAX_SIZE:
            raise SpecError(f"{what} declares a size of {d:,}; sizes are from 0 to {MAX_SIZE_TEXT}")


def _dims(type_proto: Any, what: str) -> tuple[Dim, ...] | None:
    """A value's declared shape: ints, symbols for dynamic axes ('N', 'H'), '?' for an unnamed unknown one."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims: list[Dim] = []
    for d in type_proto.tensor_type.shape.dim:
        if d.HasField("dim_value"):
            dims.append(int(d.dim_value))
        elif d.HasField("dim_param") and d.dim_param:
            if len(d.dim_param) > MAX_NAME:
                raise SpecError(f"{what}: a symbolic size is at most {MAX_NAME} characters")
            dims.append(d.dim_param)
        else:
            dims.append("?")
    _check_dims(tuple(dims), what)
    return tuple(dims)


_DTYPES = {1: "<f4", 2: "u1", 3: "i1", 4: "<u2", 5: "<i2", 6: "<i4", 7: "<i8", 9: "?", 11: "<f8",
           12: "<u4", 13: "<u8"}
"""TensorProto's element types that ops read by value, as numpy dtypes (onnx.numpy_helper's table)."""
_FIELDS = {1: "float_data", 6: "int32_data", 2: "int32_data", 3: "int32_data", 4: "int32_data", 5: "int32_data",
           9: "int32_data", 7: "int64_data", 11: "double_data", 12: "uint64_data", 13: "uint64_data"}


def _small_value(onnx: Any, tensor: Any) -> Any:
    """A small tensor's values as nested lists (a scalar for a 0-d tensor), or None when they are not in the file
    (external data) or of a type no mapped op reads."""
    import numpy

    dtype = _DTYPES.get(tensor.data_type)
    if dtype is None or tensor.data_location == onnx.TensorProto.EXTERNAL:
        return None
    dims = tuple(int(d) for d in tensor.dims)
    try:
        if tensor.raw_data:
            values = numpy.frombuffer(tensor.raw_data, dtype=dtype)
        else:
            values = numpy.array(list(getattr(tensor, _FIELDS.get(tensor.data_type, "float_data"))), dtype=dtype)
        return values.reshape(dims).tolist()
    except ValueError:  # fewer values than the dims say: unknown, the shape is known
        return None


def _attribute(onnx: Any, node: Any, attr: Any, where: str) -> Any:
    kind = onnx.AttributeProto
    t = attr.type
    if t in (kind.GRAPH, kind.GRAPHS):
        raise SpecError(f"{where}: node {_quote(node.name)} ({node.op_type}) holds a nested graph (If, Loop, Scan): "
                        "control flow cannot be written as a spec")
    if t == kind.INT:
        return int(attr.i)
    if t == kind.FLOAT:
        return float(attr.f)
    if t == kind.STRING:
        return attr.s.decode("utf-8", "replace")[:MAX_NAME]
    if t == kind.INTS:
        return [int(v) for v in attr.ints]
    if t == kind.FLOATS:
        return [float(v) for v in attr.floats]
    if t == kind.STRINGS:
        return [s.decode("utf-8", "replace")[:MAX_NAME] for s in attr.strings]
    if t == kind.TENSOR:
        dims = tuple(int(d) for d in attr.t.dims)
        _check_dims(dims, where)
        return _small_value(onnx, attr.t) if _numel(dims) <= SMALL else ("tensor", dims)
    return None  # sparse tensors, type protos: no op cnncalc maps reads them


def _node(onnx: Any, proto: Any, index: int, constants: dict[str, Any]) -> Node:
    op = proto.op_type if proto.domain in ("", "ai.onnx") else f"{proto.domain}.{proto.op_type}"
    name = proto.name or (proto.output[0] if proto.output else f"{op}_{index}")
    where = f"node {index}"
    attrs = {a.name: _attribute(onnx, proto, a, where) for a in proto.attribute}
    node = Node(name=name[:MAX_NAME], op=op[:MAX_NAME], inputs=tuple(proto.input), outputs=tuple(proto.output),
                attrs=attrs)
    if op == "Constant" and node.outputs:
        for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
            if key in attrs and not isinstance(attrs[key], tuple):
                constants[node.outputs[0]] = attrs[key]
    return node


def _topological(nodes: list[Node], given: set[str]) -> list[Node]:
    """The nodes in an order where each runs after the nodes it reads from (Kahn); a cycle is an error."""
    producer: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for out in n.outputs:
            if out:
                producer[out] = i
    waiting = [0] * len(nodes)
    readers: dict[int, list[int]] = {}
    for i, n in enumerate(nodes):
        for name in set(n.inputs):
            j = producer.get(name)
            if j is not None and name not in given:
                waiting[i] += 1
                readers.setdefault(j, []).append(i)
    ready = [i for i in range(len(nodes)) if waiting[i] == 0]
    ready.reverse()
    order: list[Node] = []
    while ready:
        i = ready.pop()
        order.append(nodes[i])
        for k in reversed(readers.get(i, [])):
            waiting[k] -= 1
            if waiting[k] == 0:
                ready.append(k)
    if len(order) < len(nodes):
        stuck = next(nodes[i] for i in range(len(nodes)) if waiting[i])
        raise SpecError(f"the graph has a cycle (node {_quote(stuck.name)}, {stuck.op}, reads its own output "
                        "through other nodes): an ONNX graph must be acyclic")
    return order


def _inferred_shapes(onnx: Any, model: Any) -> dict[str, tuple[Dim, ...]]:
    try:
        inferred = onnx.infer_shapes(model.SerializeToString())
    except Exception:  # noqa: BLE001  (an op inference does not know a model it rejects: declared shapes only)
        inferred = model
    shapes: dict[str, tuple[Dim, ...]] = {}
    for value in (*inferred.graph.value_info, *inferred.graph.output):
        dims = _dims(value.type, f"value {_quote(value.name)}")
        if dims is not None:
            shapes[value.name] = dims
    return shapes


def _weight_inputs(nodes: list[Node], candidates: set[str]) -> set[str]:
    """Graph inputs read only through parameter slots (a model exported without its weights), directly or through
    Identity, Unsqueeze or Transpose nodes of their own (PyTorch's exporter copies batch norm's parameters so, and
    unsqueezes PReLU's and GroupNorm's, and transposes a Linear's on a 4-d tensor). An element-wise Add or Mul
    reads a weight in either slot when its other operand is computed (`self.layer_scale * x`)."""
    origin = {name: name for name in candidates}
    data_use: set[str] = set()
    weight_use: set[str] = set()
    for n in nodes:
        if n.op in VIEWS and n.inputs and n.inputs[0] in origin and n.outputs:
            origin[n.outputs[0]] = origin[n.inputs[0]]
            continue
        slots = WEIGHT_SLOTS.get(n.op, ())
        for i, name in enumerate(n.inputs):
            if name not in origin:
                continue
            others = [t for k, t in enumerate(n.inputs) if k != i and t]
            elementwise = n.op in ("Add", "Mul") and len(others) == 1 and others[0] not in origin
            (weight_use if i in slots or elementwise else data_use).add(origin[name])
    return candidates - data_use
