"""One writer per text format, each turning any `Document` (cnncalc/document.py) into text.

`write(document, fmt)` gives Markdown, LaTeX or CSV as a string; the terminal writer prints to a rich console
(it needs the console's width). JSON is not here: it is each command's data contract, built in cnncalc/views/.
"""

from __future__ import annotations

from importlib import import_module

from cnncalc.document import Document

_MODULES = {"markdown": "cnncalc.writers.markdown", "latex": "cnncalc.writers.latex", "csv": "cnncalc.writers.csvtext"}


def write(document: Document, fmt: str) -> str:
    """The document as Markdown, LaTeX or CSV (`fmt`: markdown, latex, csv), ending in a newline. The formats
    every command offers are named once, in cli_output.FORMATS."""
    return import_module(_MODULES[fmt]).write(document)  # type: ignore[no-any-return]
