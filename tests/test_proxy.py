"""Proxy mode: the provider's calls pass through unchanged and are counted per kind and operation."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from gitea_provider_monitoring.exporters.gitea_api.metrics import PROXY_KINDS
from gitea_provider_monitoring.exporters.gitea_api.proxy import LITERAL_OTHER, ROUTES, classify
from tests.sim.gitea import API_ROUTES, GiteaSimulator, api_route, simulated_gitea
from tests.sim.openapi import spec_file
from tests.sim.processes import ExporterProcess, free_port, sample

TOKEN = "proxy-s3cr3t-token"
AUTH = {"Authorization": f"token {TOKEN}"}


@pytest.fixture(scope="module")
def swagger(specs: Path) -> dict:
    return json.loads((specs / "gitea-swagger.json").read_text())


def test_every_route_template_is_in_the_gitea_api(swagger: dict) -> None:
    for template, kind in ROUTES:
        assert template in swagger["paths"], template
        assert kind in PROXY_KINDS
    for template in LITERAL_OTHER:
        assert template in swagger["paths"], template


def test_every_gitea_route_gets_the_kind_of_its_own_template(swagger: dict) -> None:
    """Instantiate every path of the API: only our templates give a kind, nothing else is caught by them."""
    ours = dict(ROUTES)
    wrong = []
    for template, item in swagger["paths"].items():
        path = "/api/v1" + re.sub(r"\{[^}]+\}", "x1", template)
        for method in (m for m in item if m != "parameters"):
            kind, operation = classify(method.upper(), path)
            if kind != ours.get(template, "other"):
                wrong.append(f"{method.upper()} {template} -> {kind}")
            assert operation in ("observe", "create", "update", "delete")
    assert not wrong, "routes caught by the wrong template (add them to LITERAL_OTHER):\n" + "\n".join(wrong)


def test_simulator_routes_answer_what_the_gitea_api_documents(swagger: dict) -> None:
    """Conformance of the simulator's own route table (it runs without the specs) with the swagger."""
    checked = 0
    for template, (kind, collection) in API_ROUTES.items():
        item = swagger["paths"][template]
        for method in (m for m in item if m != "parameters"):
            path = "/api/v1" + re.sub(r"\{[^}]+\}", "x1", template.replace("{filepath}", "dir/file.bin"))
            documented = sorted(c for c in item[method]["responses"] if c.startswith("2"))
            response = item[method]["responses"][documented[0]]
            while "$ref" in response:
                response = swagger["responses"][response["$ref"].rsplit("/", 1)[1]]
            schema = response.get("schema") or {}
            if kind == "FileResponse" and method in ("get", "delete"):
                continue  # the simulator only stores files (POST/PUT); the provider never reads them back
            status = api_route(method.upper(), path)[1]
            assert str(status) in documented, (method, template, documented)
            if kind == "raw":
                assert schema.get("type") == "file"
            elif status == 204:
                assert not schema
            else:
                ref = schema.get("$ref") or schema.get("items", {}).get("$ref", "")
                assert ref.rsplit("/", 1)[1] == kind, (method, template, ref)
                assert (schema.get("type") == "array") == (collection and method == "get"), (method, template)
            checked += 1
    assert checked > 25


def test_operation_comes_from_the_method() -> None:
    assert classify("POST", "/api/v1/orgs/acme/repos") == ("Repository", "create")
    assert classify("PATCH", "/api/v1/repos/acme/site?x=1") == ("Repository", "update")
    assert classify("PUT", "/api/v1/repos/acme/site") == ("Repository", "update")
    assert classify("DELETE", "/api/v1/orgs/acme/hooks/3") == ("Webhook", "delete")
    assert classify("GET", "/api/v1/users/alice") == ("User", "observe")
    assert classify("GET", "/api/v1/version") == ("other", "observe")


@pytest.fixture(scope="module")
def gitea() -> Iterator[GiteaSimulator]:
    with simulated_gitea(spec_file("gitea-swagger.json"), TOKEN, hang_seconds=2.0) as sim:
        yield sim


@pytest.fixture(scope="module")
def proxy(gitea: GiteaSimulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ExporterProcess, str]]:
    port = free_port()
    exp = ExporterProcess(gitea.url, tmp_path_factory.mktemp("proxy") / "log", "--mode", "proxy",
                          "--proxy-listen-address", f"127.0.0.1:{port}", "--proxy-timeout", "1s")
    yield exp, f"http://127.0.0.1:{port}"
    assert exp.stop() == 0
    logs = exp.logs()
    assert TOKEN not in logs and "Traceback" not in logs and "platform" not in logs


def requests_total(exp: ExporterProcess, kind: str, operation: str, code: str) -> float:
    return sample(exp.metrics(), "gitea_api_requests_total", kind=kind, operation=operation, code=code) or 0.0


CALLS = [
    ("POST", "/api/v1/orgs/platform/repos", {"name": "site"}, "Repository", "create", "201"),
    ("GET", "/api/v1/repos/platform/site", None, "Repository", "observe", "200"),
    ("PATCH", "/api/v1/repos/platform/site", {"description": "d"}, "Repository", "update", "200"),
    ("DELETE", "/api/v1/repos/platform/site", None, "Repository", "delete", "204"),
    ("POST", "/api/v1/repos/platform/site/hooks", {"type": "gitea", "config": {"url": "https://ci", "content_type":
                                                                                "json"}}, "Webhook", "create", "201"),
    ("PATCH", "/api/v1/orgs/platform/hooks/9", {"active": False}, "Webhook", "update", "200"),
    ("POST", "/api/v1/orgs", {"username": "platform"}, "Organization", "create", "201"),
    ("GET", "/api/v1/orgs/platform", None, "Organization", "observe", "200"),
    ("POST", "/api/v1/admin/users", {"username": "alice", "email": "a@example.com"}, "User", "create", "201"),
    ("DELETE", "/api/v1/admin/users/alice", None, "User", "delete", "204"),
    ("GET", "/api/v1/version", None, "other", "observe", "200"),
]


@pytest.mark.parametrize("method, path, body, kind, operation, code", CALLS)
def test_provider_routes_pass_through_and_are_counted(proxy, method, path, body, kind, operation, code) -> None:
    exp, url = proxy
    before = requests_total(exp, kind, operation, code)
    r = requests.request(method, url + path, json=body, headers=AUTH, timeout=5)
    assert str(r.status_code) == code, r.text
    assert requests_total(exp, kind, operation, code) == before + 1
    text = exp.metrics()
    assert "platform" not in text and "alice" not in text and TOKEN not in text


def test_large_bodies_stream_through_unchanged(proxy, gitea: GiteaSimulator) -> None:
    _, url = proxy
    content = base64.b64encode(bytes(range(256)) * 20000).decode()  # ~6.8 MiB of JSON
    payload = json.dumps({"content": content, "message": "big"}).encode()
    r = requests.post(url + "/api/v1/repos/platform/site/contents/big.bin", data=payload,
                      headers={**AUTH, "Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 201
    assert gitea.received[-1][2:] == (hashlib.sha256(payload).hexdigest(), len(payload))
    r = requests.get(url + "/api/v1/repos/platform/site/raw/big.bin", headers=AUTH, timeout=30)
    assert r.status_code == 200 and len(r.content) == gitea.raw_size
    assert r.content == bytes(range(256)) * (gitea.raw_size // 256)


def test_chunked_request_bodies_are_forwarded(proxy, gitea: GiteaSimulator) -> None:
    _, url = proxy
    parts = [json.dumps({"name": "chunky", "description": "x" * 300000})[i:i + 70000].encode()
             for i in range(0, 300100, 70000)]
    r = requests.post(url + "/api/v1/orgs/platform/repos", data=iter(parts),
                      headers={**AUTH, "Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 201
    assert gitea.received[-1][2] == hashlib.sha256(b"".join(parts)).hexdigest()


def test_hop_by_hop_headers_are_not_forwarded(proxy, gitea: GiteaSimulator) -> None:
    _, url = proxy
    requests.get(url + "/api/v1/repos/platform/site", timeout=5,
                 headers={**AUTH, "Connection": "keep-alive, X-Hop", "X-Hop": "1", "X-End-To-End": "1"})
    seen = {k.lower() for k in gitea.last_headers}
    assert "x-hop" not in seen and "x-end-to-end" in seen and "authorization" in seen


def test_redirects_are_passed_back_not_followed(proxy, gitea: GiteaSimulator) -> None:
    _, url = proxy
    gitea.set_fault("redirect_loop", "/api/v1/repos/platform/moved")
    try:
        r = requests.get(url + "/api/v1/repos/platform/moved", headers=AUTH, timeout=5, allow_redirects=False)
    finally:
        gitea.set_fault("none")
    assert r.status_code == 302 and r.headers["Location"] == "/api/v1/repos/platform/moved"


def test_concurrent_requests(proxy) -> None:
    exp, url = proxy
    before = requests_total(exp, "Repository", "observe", "200")
    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(lambda _: requests.get(url + "/api/v1/repos/platform/site", headers=AUTH,
                                                     timeout=10).status_code, range(200)))
    assert codes == [200] * 200
    assert requests_total(exp, "Repository", "observe", "200") == before + 200


def test_gitea_timeout_is_a_504_and_down_is_a_502(proxy, gitea: GiteaSimulator) -> None:
    exp, url = proxy
    gitea.set_fault("hang", "/api/v1/repos/platform/slow")
    try:
        r = requests.get(url + "/api/v1/repos/platform/slow", headers=AUTH, timeout=10)
    finally:
        gitea.set_fault("none")
    assert r.status_code == 504 and "did not answer within 1s" in r.text
    assert requests_total(exp, "Repository", "observe", "504") >= 1
    gitea.stop()
    try:
        r = requests.delete(url + "/api/v1/repos/platform/site", headers=AUTH, timeout=10)
    finally:
        gitea.start()
    assert r.status_code == 502 and "cannot reach Gitea" in r.text and "connection refused" in r.text
    assert requests_total(exp, "Repository", "delete", "502") == 1
    assert requests.get(url + "/api/v1/version", timeout=5).status_code == 200  # still serving
    assert "proxy upstream failing" in exp.logs()


def test_proxy_port_taken_exits_non_zero(gitea: GiteaSimulator) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "gitea_provider_monitoring.exporters.gitea_api.main",
                              "--gitea-url", gitea.url, "--mode", "both", "--listen-address", f"127.0.0.1:{free_port()}",
                              "--proxy-listen-address", f"127.0.0.1:{port}"], capture_output=True, text=True,
                             timeout=10)
    assert out.returncode == 1 and f"cannot listen on 127.0.0.1:{port}" in out.stderr
