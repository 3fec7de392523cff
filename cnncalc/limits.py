"""Hard limits on what a spec may ask for, each with its reason (docs/robustness.md explains them all).

A limit exists where a number the user typed would otherwise decide how much memory or time cnncalc spends.
Every other number is computed exactly with Python's unbounded integers.
"""

from __future__ import annotations

MAX_BYTES = 10_000_000
"""A spec file larger than 10 MB is not hand-written; reading it whole is still cheap."""

MAX_NODES = 100_000
"""YAML nodes, counted as the file is read and again as aliases are followed: an alias bomb ("billion laughs")
stops here after milliseconds, and a 10 MB file of tiny items is refused before it is composed (composing 100,000
nodes takes about half a second). A generated 10,000-layer chain has about 55,000."""

MAX_DEPTH = 64
"""YAML nesting levels: libyaml composes nodes recursively in C, so a deep document could crash the interpreter."""

MAX_SHOWN = 60
"""Characters of a value the user gave that a message quotes (cnncalc.errors.shown, issue 12): enough to recognise
it; a 5 MB `pad:` or a 100,000-digit number is named by its length instead of filling the terminal."""

MAX_SIZE = 2**64
"""The largest size anywhere (a dimension, channel count, kernel, stride, padding, unit count, batch): no machine
addresses more than 2^64 bytes, so no tensor has a longer axis. Products of sizes (params, MACs, bytes) are
computed exactly beyond it."""

MAX_SIZE_TEXT = "2^64 (18,446,744,073,709,551,616)"

MAX_REPEAT = 10**6
"""One `repeat:` or dense `count:`; the total below is what bounds the work."""

MAX_ROWS = 100_000
"""Rows (layers and joins) of the expanded network: analysing them takes about a second (benchmarks/), and every
row is kept in the report. Nested repeats multiply, so the product is checked before any row is analysed."""

MAX_EXPANSION = 50_000
"""Layers and containers built while parsing, each use of a block counted anew: a block used twice in a block used
twice... grows exponentially before any repeat is counted. Building one takes about 25 µs; `repeat` builds its
body once (twice with `first`), so long runs written with it cost nothing here."""

MAX_NESTING = 48
"""Containers and blocks inside one another: the parser and the analysis recurse once per level."""

MAX_NAME = 200
"""Characters in a model's or a layer's name and in a symbol of a symbolic size: every row prints its name, and
sympy's cost grows with a symbol's length (a 1 MB symbol took minutes)."""

MAX_VERIFY_BYTES = 8 * 10**9
"""`verify` on the CPU or a GPU really allocates: above 8 GB (parameters + activations + their gradients, as
estimated before torch is asked) it refuses unless --allow-large; --device meta allocates nothing."""

MAX_EXPRESSION = 200
"""Characters in one `$...` expression: Python's parser recurses on nested operators."""

MAX_SYMBOLIC_ROWS = 2_000
"""Rows analysed with a symbolic input (HxWx3): sympy takes about a millisecond per row, and a repeat's rows cannot
reuse each other's formulas as they reuse their numbers."""

MAX_ONNX_BYTES = 2**31 - 1
"""An .onnx file (`cnncalc import`, and every command given MODEL.onnx): protobuf cannot parse a message over 2 GiB,
so no ONNX file is larger (bigger models keep their weights in external data, which is never read). A limit of its
own, apart from the YAML spec's MAX_BYTES: the file is mostly weights, whose bytes are dropped once their shapes
are read."""

MAX_ONNX_NODES = 100_000
"""Nodes of an ONNX graph: as many as the rows a spec may expand to (MAX_ROWS); every node becomes at most one."""
