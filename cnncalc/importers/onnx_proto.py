"""The onnx package's protobuf classes and its C++ shape inference, without `import onnx`.

`import onnx` costs 1.3 s on the 2-core development machine, nearly all of it the `ml_dtypes` extension that
onnx/__init__ loads for its helpers; the importer needs none of them. What it needs are two modules of the onnx
package that stand alone: `onnx_ml_pb2` (the generated protobuf classes: 0.04 s) and `onnx_cpp2py_export` (the
C++ shape inference: 0.004 s). They are loaded as submodules of a bare stand-in for the `onnx` package, which is
taken away again at once, so that a later `import onnx` (by the user, or torch.onnx) runs onnx/__init__ as usual
and finds these two modules already loaded, as it would have loaded them itself (one ModelProto class, one
protobuf descriptor). Where the package's layout differs (another onnx version), plain `import onnx` is used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any


class Proto:
    """ModelProto, AttributeProto, TensorProto and `infer_shapes(model_bytes) -> bytes`."""

    def __init__(self, pb2: Any, infer: Any) -> None:
        self.ModelProto, self.AttributeProto, self.TensorProto = pb2.ModelProto, pb2.AttributeProto, pb2.TensorProto
        self.infer = infer

    def infer_shapes(self, model: bytes) -> Any:
        """The model with onnx's inferred value shapes (check_type off, not strict, data propagation on)."""
        inferred = self.ModelProto()
        inferred.ParseFromString(self.infer(model, False, False, True))
        return inferred


def load() -> Proto:
    """The onnx package's protobuf and shape inference; ImportError when the package is not installed."""
    if "onnx" in sys.modules:  # already imported in full: use it
        return _full()
    spec = importlib.util.find_spec("onnx")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("onnx")
    stand_in = types.ModuleType("onnx")
    stand_in.__path__ = list(spec.submodule_search_locations)
    sys.modules["onnx"] = stand_in
    try:
        pb2 = importlib.import_module("onnx.onnx_ml_pb2")
        native = importlib.import_module("onnx.onnx_cpp2py_export")
        infer = native.shape_inference.infer_shapes
    except (ImportError, AttributeError):
        for name in [n for n in sys.modules if n == "onnx" or n.startswith("onnx.")]:
            del sys.modules[name]
        return _full()
    finally:
        if sys.modules.get("onnx") is stand_in:
            del sys.modules["onnx"]
    return Proto(pb2, infer)


def _full() -> Proto:
    import onnx
    from onnx import onnx_cpp2py_export

    return Proto(onnx, onnx_cpp2py_export.shape_inference.infer_shapes)
