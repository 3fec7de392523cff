"""`cnncalc serve`: the report page with the spec in an editor, re-drawn as the user types.

The standard library's ThreadingHTTPServer, on loopback unless the user says --public. The page POSTs the
editor's text; the server parses it with the same parser as the CLI (loads_spec) and answers the page's data, or
the error with its line and the CLI's own message ("Error: file.yaml:12: field: message"). Save writes only the
file the server was started with; the browser never names a path.

Requests that change something (save) or compute (render, report) must carry the X-Cnncalc header and, when the
browser sends one, an Origin of this server: a page from elsewhere can send neither without the browser asking
first (CORS), which this server never allows, and a Host header other than this server's (DNS rebinding) is
refused on loopback.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from cnncalc import zoo
from cnncalc.errors import CnnCalcError, SpecError, shown
from cnncalc.limits import MAX_BYTES

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Session:
    """What the server was started with: the one file it may write, the spec's name, the analysis options."""

    def __init__(self, file: str | None, variant: str | None = None, input_size: str | None = None) -> None:
        self.file = file
        self.variant = variant
        self.input_size = input_size
        self.name = Path(file).name if file else "spec.yaml"

    def initial_text(self) -> str:
        if self.file:
            return Path(self.file).read_text(encoding="utf-8")
        return zoo.text("alexnet") or "input: 227x227x3\nlayers:\n  - conv: {filters: 96, kernel: 11, stride: 4}\n"

    def data(self, text: str) -> dict[str, Any]:
        """The page's data for the editor's text; a CnnCalcError names this session's file, as the CLI would."""
        from cnncalc.report import payload
        from cnncalc.spec import loads_spec, parse_input

        try:
            model = loads_spec(text, name=Path(self.name).stem, variant=self.variant)
            shape = None
            if self.input_size:
                shape = parse_input(self.input_size, line=None, field="--input", channels=model.input[0])
            return payload(model, shape)
        except SpecError as exc:
            raise exc.located(file=self.file or self.name) from None

    def render(self, text: str) -> dict[str, Any]:
        try:
            return {"ok": True, "data": self.data(text)}
        except CnnCalcError as exc:
            return {"ok": False, "error": f"Error: {exc}", "line": getattr(exc, "line", None)}

    def page(self, text: str | None = None) -> str:
        from cnncalc.report.page import page

        text = self.initial_text() if text is None else text
        result = self.render(text)
        data = result["data"] if result["ok"] else _empty(result["error"])
        return page(data, {"text": text, "zoo": zoo.names(), "file": self.file, "error": result.get("error"),
                           "line": result.get("line")})

    def save(self, text: str) -> dict[str, Any]:
        if not self.file:
            return {"ok": False, "error": "started without a file: nothing to save to (cnncalc serve SPEC)"}
        Path(self.file).write_text(text, encoding="utf-8")
        return {"ok": True, "file": self.file}


def _empty(error: str) -> dict[str, Any]:
    """The page's data before any spec has parsed: nothing drawn, the error shown."""
    return {"model": "(does not parse)", "symbolic": False, "metrics": [], "setting": "input ?", "rows": [],
            "blocks": [], "tree": [], "steps": {}, "top": [], "totals": {}, "warnings": [error], "table": "",
            "facts": "", "rf": "", "charts": ""}


def handler(session: Session, public: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "cnncalc"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the terminal shows the URL and errors only

        def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, data: dict[str, Any], status: int = 200) -> None:
            self._send(status, json.dumps(data).encode(), "application/json")

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
            return public or is_loopback(host)

        def _body(self) -> str | None:
            origin = self.headers.get("Origin")
            own = f"http://{self.headers.get('Host')}"
            if self.headers.get("X-Cnncalc") != "1" or (origin and origin != own):
                self._json({"ok": False, "error": "refused: not from this page"}, 403)
                return None
            size = int(self.headers.get("Content-Length") or 0)
            if size > MAX_BYTES:
                self._json({"ok": False, "error": f"larger than {MAX_BYTES:,} bytes"}, 413)
                return None
            return self.rfile.read(size).decode("utf-8", errors="replace")

        def do_GET(self) -> None:
            self._guarded(self._get)

        def do_POST(self) -> None:
            self._guarded(self._post)

        def _guarded(self, method: Any) -> None:
            """A bug must answer 500 with its message (the page shows it), never drop the connection."""
            try:
                method()
            except Exception as exc:  # noqa: BLE001 (the server outlives one bad request)
                self._json({"ok": False, "error": f"internal error: {type(exc).__name__}: {exc}", "line": None}, 500)

        def _get(self) -> None:
            if not self._host_ok():
                return self._send(403, b"refused: unknown Host", "text/plain")
            path = self.path.split("?", 1)[0]
            if path == "/":
                return self._send(200, session.page().encode(), "text/html; charset=utf-8")
            if path == "/favicon.ico":
                return self._send(204, b"", "image/x-icon")
            if path.startswith("/api/zoo/"):
                text = zoo.text(unquote(path[len("/api/zoo/"):]))
                if text is None:
                    return self._json({"ok": False, "error": "no such spec in the zoo"}, 404)
                return self._json({"ok": True, "text": text})
            return self._send(404, b"not found", "text/plain")

        def _post(self) -> None:
            if not self._host_ok():
                return self._send(403, b"refused: unknown Host", "text/plain")
            text = self._body()
            if text is None:
                return None
            if self.path == "/api/render":
                return self._json(session.render(text))
            if self.path == "/api/save":
                return self._json(session.save(text))
            if self.path == "/api/report":
                from cnncalc.report.page import page

                result = session.render(text)
                if not result["ok"]:
                    return self._json(result, 422)
                return self._send(200, page(result["data"]).encode(), "text/html; charset=utf-8",
                                  {"Content-Disposition": 'attachment; filename="report.html"'})
            return self._send(404, b"not found", "text/plain")

    return Handler


def make_server(session: Session, host: str = "127.0.0.1", port: int = 0, public: bool = False) -> ThreadingHTTPServer:
    """The server, bound (port 0: a free one); refuses a host other than loopback unless `public`."""
    if not public and not is_loopback(host):
        raise SpecError(f"refusing to serve on {shown(host)}, which is not loopback: anyone who can reach it could read "
                        "and overwrite the spec file; add --public if that is what you want", field="--host")
    server = ThreadingHTTPServer((host, port), handler(session, public))
    server.daemon_threads = True
    return server


def url(server: ThreadingHTTPServer) -> str:
    host, port = (str(x) for x in server.server_address[:2])
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run(server: ThreadingHTTPServer, out: Any = sys.stderr) -> None:
    """Serve until interrupted (Ctrl-C)."""
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped", file=out)
    finally:
        server.server_close()


