"""`cnncalc serve` without a browser: the HTTP API on a free loopback port, what it refuses, what Save writes."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import SPECS

from cnncalc import zoo
from cnncalc.serve import Session, is_loopback, make_server

OURS = {"X-Cnncalc": "1"}


def call(base: str, path: str, body: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = None if body is None else body.encode()
    request = urllib.request.Request(base + path.lstrip("/"), data=data, headers=headers or {},
                                     method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_binds_to_loopback_on_a_free_port(served: tuple[str, Path]) -> None:
    base, _ = served
    assert base.startswith("http://127.0.0.1:") and not base.endswith(":0/")
    status, page = call(base, "/")
    assert status == 200 and b'id="yaml"' in page and b"ResNet-50" in page


def test_render_answers_the_new_params(served: tuple[str, Path]) -> None:
    base, spec = served
    text = spec.read_text().replace("fc: {units: 1000}", "fc: {units: 10}")
    status, body = call(base, "/api/render", text, OURS)
    answer = json.loads(body)
    # 25,557,032 (torchvision's ResNet-50) less the 990 dropped classes' 2048 weights and bias each
    assert status == 200 and answer["ok"] and answer["data"]["totals"]["params"] == 25_557_032 - 990 * 2049


def test_an_error_comes_with_its_line_and_the_clis_message(served: tuple[str, Path], run) -> None:
    base, spec = served
    lines = spec.read_text().splitlines(keepends=True)
    broken_at = next(i for i, line in enumerate(lines) if "name: fc," in line)
    lines[broken_at] = "  - {name: fc, fc: {units: -3}}\n"
    text = "".join(lines)
    answer = json.loads(call(base, "/api/render", text, OURS)[1])
    assert not answer["ok"] and answer["line"] == broken_at + 1
    spec.write_text(text)
    cli = run("summarize", spec)
    assert answer["error"] == cli.stderr.strip()  # the same words, the same file:line


def test_save_writes_only_the_started_file(served: tuple[str, Path]) -> None:
    base, spec = served
    before = sorted(p.name for p in spec.parent.iterdir())
    answer = json.loads(call(base, "/api/save", "# edited\n" + spec.read_text(), OURS)[1])
    assert answer == {"ok": True, "file": str(spec)}
    assert spec.read_text().startswith("# edited\n")
    assert sorted(p.name for p in spec.parent.iterdir()) == before


def test_without_a_file_save_refuses() -> None:
    assert not Session(None).save("input: 8x8x1\nlayers: [relu]\n")["ok"]


@pytest.mark.parametrize(("headers", "why"), [
    ({}, "no X-Cnncalc header: a form from another site"),
    ({"X-Cnncalc": "1", "Origin": "http://evil.example"}, "another origin"),
    ({"X-Cnncalc": "1", "Host": "evil.example"}, "DNS rebinding: a Host that is not loopback"),
], ids=["no-header", "other-origin", "other-host"])
def test_requests_from_elsewhere_are_refused(served: tuple[str, Path], headers: dict[str, str], why: str) -> None:
    base, spec = served
    original = spec.read_text()
    status, _ = call(base, "/api/save", "overwritten", headers)
    assert status == 403, why
    assert spec.read_text() == original


def test_zoo_serves_shipped_specs_only(served: tuple[str, Path]) -> None:
    base, _ = served
    status, body = call(base, "/api/zoo/vgg16")
    assert status == 200 and json.loads(body)["text"] == (SPECS / "vgg16.yaml").read_text()
    assert call(base, "/api/zoo/..%2F..%2Fpyproject")[0] == 404
    assert zoo.path("../pyproject") is None


def test_download_is_the_report_page(served: tuple[str, Path]) -> None:
    base, spec = served
    status, page = call(base, "/api/report", spec.read_text(), OURS)
    assert status == 200 and page.startswith(b"<!DOCTYPE html>") and b'id="cnncalc-serve">null<' in page


def test_refuses_a_public_host_unless_asked(run) -> None:
    result = run("serve", "--host", "0.0.0.0")
    assert result.exit_code == 2 and "--public" in result.stderr
    with pytest.raises(Exception, match="not loopback"):
        make_server(Session(None), host="0.0.0.0")


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                                ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                                ("example.org", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_missing_spec_is_the_usual_error(run, tmp_path: Path) -> None:
    result = run("serve", tmp_path / "nope.yaml")
    assert result.exit_code == 1 and result.stderr.startswith("Error: ") and "no such file" in result.stderr


def test_public_says_the_risk(run, monkeypatch, tmp_path: Path) -> None:
    import cnncalc.serve as server_module

    monkeypatch.chdir(tmp_path)  # a shipped spec by name is edited as a copy here (./vgg16.yaml)

    served = []
    real = server_module.make_server
    # the test itself binds to loopback only: what is checked is that --public lets 0.0.0.0 through, with a warning
    monkeypatch.setattr(server_module, "make_server", lambda session, host, port, public: real(session, port=port))
    monkeypatch.setattr(server_module, "run", lambda server: (served.append(server), server.server_close()))
    result = run("serve", "vgg16", "--host", "0.0.0.0", "--public")
    assert result.exit_code == 0 and len(served) == 1
    assert "Warning: serving on 0.0.0.0 (--public): anyone who can reach this address" in result.stderr
