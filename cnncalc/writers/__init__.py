"""One writer per text format, each turning any `Document` (cnncalc/document.py) into text.

`write(document, fmt)` gives Markdown, LaTeX or CSV as a string; the terminal writer prints to a rich console
(it needs the console's width). JSON is not here: it is each command's data contract, built in cnncalc/views/.
"""

from __future__ import annotations

from importlib import import_module

from cnncalc.document import Document

TEXT_FORMATS = ("markdown", "latex", "csv")
FORMATS = ("table", *TEXT_FORMATS, "json")  # what every command's --format offers

_MODULES = {"markdown": "cnncalc.writers.markdown", "latex": "cnncalc.writers.latex", "csv": "cnncalc.writers.csvtext"}


def write(document: Document, fmt: str) -> str:
    """The document in one of TEXT_FORMATS, ending in a newline."""
    return import_module(_MODULES[fmt]).write(document)  # type: ignore[no-any-return]
