"""The HTML page around a payload: the style and script inlined from assets/, the data as inline JSON."""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib.resources import files
from typing import Any


@cache
def asset(name: str) -> str:
    """A file of cnncalc/report/assets (package data)."""
    return (files("cnncalc.report") / "assets" / name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON that is safe inside <script>: no '</' can close the element, no '<!--' can open a comment."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def page(data: dict[str, Any], serve: dict[str, Any] | None = None) -> str:
    """The report page; with `serve` (the editor's text, the zoo, the file name) the live editor is shown too."""
    title = escape(f"{data['model']} — cnncalc report")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title><style>{asset('report.css')}</style></head>"
        f"<body class=\"{'serve' if serve else 'report'}\">{asset('body.html')}"
        f"<script type=\"application/json\" id=\"cnncalc-data\">{script_json(data)}</script>"
        f"<script type=\"application/json\" id=\"cnncalc-serve\">{script_json(serve)}</script>"
        f"<script>{asset('report.js')}</script></body></html>\n"
    )
