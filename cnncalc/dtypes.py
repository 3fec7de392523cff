"""Bytes per value of each dtype the commands take (--dtype): a module of its own, with no imports, so that the
command line can offer the choices without loading the analysis."""

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "fp64": 8, "int8": 1}
DTYPES = tuple(DTYPE_BYTES)
