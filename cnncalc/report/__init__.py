"""`cnncalc report` and `cnncalc serve`'s page: one self-contained HTML file (inline script, style and data; no
network) with the architecture drawn, summarize's table beside it, the charts, warnings and receptive fields.

content.py makes the data (every number from the library's views), tree.py the drawing's series-parallel
structure, charts.py the SVG profile, page.py the HTML; assets/ holds the hand-written script and style.
"""

from __future__ import annotations

from typing import Any

from cnncalc.spec.model import Spec


def payload(spec: Spec, input_shape: tuple[Any, ...] | None = None, **analysis: Any) -> dict[str, Any]:
    """The page's data for `spec` (an --input override, and analyze()'s dtype, batch, count_biases)."""
    from cnncalc.report import content as build

    shape = input_shape or spec.input
    if not all(isinstance(d, int) for d in shape):
        return build.symbolic(spec, tuple(shape))
    from cnncalc.analysis import analyze

    return build.numeric(spec, analyze(spec, input_shape=input_shape, **analysis))


def html(spec: Spec, input_shape: tuple[Any, ...] | None = None, **analysis: Any) -> str:
    """The whole report page as one HTML string."""
    from cnncalc.report.page import page

    return page(payload(spec, input_shape, **analysis))
