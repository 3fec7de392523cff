"""cnncalc: exact CNN architecture arithmetic from a short YAML spec.

    >>> from cnncalc import load_spec, analyze
    >>> report = analyze(load_spec("specs/vgg16.yaml"))
    >>> report.totals.params
    138357544
"""

from cnncalc.analysis import analyze
from cnncalc.errors import CnnCalcError, DoesNotFit, ShapeError, SpecError
from cnncalc.results import LayerResult, Report, TilingWarning, Totals
from cnncalc.spec import Spec, load_spec, loads_spec

__all__ = [
    "CnnCalcError", "DoesNotFit", "LayerResult", "Report", "ShapeError", "Spec", "SpecError", "TilingWarning",
    "Totals", "analyze", "load_spec", "loads_spec",
]
