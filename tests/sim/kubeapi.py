"""A read-only Kubernetes API server, just enough for kube-state-metrics' custom-resource-state mode.

kube-state-metrics v2.20.0 (client-go v0.36) discovers CRDs with a dynamic informer on
apiextensions.k8s.io/v1 customresourcedefinitions (internal/discovery/discovery.go) and lists and watches
each configured kind with a dynamic reflector. This server answers exactly those calls from fixed objects:
GET list (with a resourceVersion), and watch, either plain (kept open, no events) or with
sendInitialEvents (client-go's watch-list: ADDED per object, then the initial-events-end bookmark).
Plus /version, /api and /apis. Plain HTTP on 127.0.0.1; nothing is written.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RESOURCE_VERSION = "7"
_PATH = re.compile(r"^/apis/(?P<group>[^/]+)/(?P<version>[^/]+)(?:/namespaces/[^/]+)?/(?P<plural>[^/]+)$")


class KubeAPI:
    """Serve `crds` (CustomResourceDefinition objects) and `objects` (custom resources) until stop()."""

    def __init__(self, crds: list[dict], objects: list[dict]) -> None:
        self.crds = crds
        self.by_resource: dict[tuple[str, str, str], list[dict]] = {}
        plurals = {(c["spec"]["group"], c["spec"]["names"]["kind"]): c["spec"]["names"]["plural"] for c in crds}
        for obj in objects:
            group, version = obj["apiVersion"].split("/")
            self.by_resource.setdefault((group, version, plurals[(group, obj["kind"])]), []).append(obj)
        self.requests: list[str] = []
        self._stop = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                api.requests.append(self.path)
                api.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> KubeAPI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    # -----------------------------------------------------------------------------------------

    def _items(self, group: str, version: str, plural: str) -> tuple[str, list[dict]] | None:
        if (group, version, plural) == ("apiextensions.k8s.io", "v1", "customresourcedefinitions"):
            return "CustomResourceDefinition", self.crds
        for crd in self.crds:
            s = crd["spec"]
            if s["group"] == group and s["names"]["plural"] == plural and any(v["name"] == version for v in s["versions"]):
                return s["names"]["kind"], self.by_resource.get((group, version, plural), [])
        return None

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlparse(h.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/version":
            return _send(h, 200, {"major": "1", "minor": "36", "gitVersion": "v1.36.3"})
        if url.path == "/api":
            return _send(h, 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []})
        if url.path == "/apis":
            groups = sorted({c["spec"]["group"] for c in self.crds} | {"apiextensions.k8s.io"})
            return _send(h, 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}]} for g in groups]})
        m = _PATH.match(url.path)
        found = self._items(m["group"], m["version"], m["plural"]) if m else None
        if found is None:
            return _send(h, 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                                  "code": 404, "message": f"{url.path} not found"})
        kind, items = found
        api_version = f"{m['group']}/{m['version']}"
        if query.get("watch") in ("1", "true"):
            return self._watch(h, kind, api_version, items, query.get("sendInitialEvents") == "true")
        return _send(h, 200, {"kind": f"{kind}List", "apiVersion": api_version,
                              "metadata": {"resourceVersion": RESOURCE_VERSION}, "items": items})

    def _watch(self, h: BaseHTTPRequestHandler, kind: str, api_version: str, items: list[dict], initial: bool) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

        def chunk(data: bytes) -> None:
            h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            h.wfile.flush()

        try:
            if initial:
                for item in items:
                    chunk(json.dumps({"type": "ADDED", "object": item}).encode() + b"\n")
                bookmark = {"kind": kind, "apiVersion": api_version, "metadata": {
                    "resourceVersion": RESOURCE_VERSION, "annotations": {"k8s.io/initial-events-end": "true"}}}
                chunk(json.dumps({"type": "BOOKMARK", "object": bookmark}).encode() + b"\n")
            self._stop.wait(float(parse_qs(urlparse(h.path).query).get("timeoutSeconds", ["60"])[-1]))
            chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            pass


def _send(h: BaseHTTPRequestHandler, code: int, body: dict) -> None:
    data = json.dumps(body).encode()
    h.send_response(code)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def crd(group: str, version: str, kind: str, plural: str, namespaced: bool) -> dict:
    """A CustomResourceDefinition with the fields kube-state-metrics' discovery reads (extractGVKPs)."""
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}", "resourceVersion": RESOURCE_VERSION, "uid": f"uid-{plural}.{group}"},
            "spec": {"group": group, "scope": "Namespaced" if namespaced else "Cluster",
                     "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": f"{kind}List"},
                     "versions": [{"name": version, "served": True, "storage": True,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}
