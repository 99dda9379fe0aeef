"""A local Grafana simulator for the dashboard endpoints `gitea-monitoring push` uses.

Every request it receives and every response it sends is checked against
`grafana-openapi.dashboards-subset.json` (Grafana 12.x shapes); problems land in `violations` and fail
the test. It keeps dashboards and versions as Grafana does: a save increments `version`; a save whose
`version` differs from the stored one fails with 412 `version-mismatch` unless `overwrite`; a new
dashboard whose title already exists in the folder fails with 412 `name-exists`; a save without `id`
for an existing uid fails with 400 unless `overwrite`.

Auth: `Authorization: Bearer <token>` (or basic auth `user:password`); tokens in `viewer_tokens` may read
but get 403 on writes. Faults: `fail_uids` (saves of these dashboards answer 500), `drop_uids` (the
connection is closed without an answer), `unavailable` (every call 503/500), `delay` seconds per call.
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.sim.openapi import SwaggerSpec


class GrafanaSimulator:
    def __init__(self, spec_path: Path | None, token: str = "glsa_test_token", basic: tuple[str, str] | None = None) -> None:
        self.spec = SwaggerSpec(spec_path) if spec_path else None  # None: run without validating
        self.token, self.basic = token, basic
        self.viewer_tokens: set[str] = set()
        self.folders: dict[str, dict] = {}  # uid -> {uid, title, id}
        self.dashboards: dict[str, dict] = {}  # uid -> {"dashboard": {...}, "folderUid": str, "id": int}
        self.history: list[tuple[str, str]] = []  # (method, path) of every request
        self.fail_uids: set[str] = set()
        self.drop_uids: set[str] = set()
        self.unavailable = False
        self.delay = 0.0
        self.violations: list[str] = []
        self.last_org_header: str | None = None
        self._next_id = 1
        self._lock = threading.RLock()
        sim = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802
                sim._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                sim._handle(self, "POST")

            def do_DELETE(self) -> None:  # noqa: N802
                sim._handle(self, "DELETE")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests ------------------------------------------------------------------------
    def edit_in_ui(self, uid: str, **changes: object) -> None:
        """What a user saving in the UI does: change the model, bump the version."""
        with self._lock:
            stored = self.dashboards[uid]
            stored["dashboard"].update(changes)
            stored["dashboard"]["version"] += 1

    def put(self, dashboard: dict, folder_uid: str = "") -> None:
        """Seed a dashboard as if somebody else had created it."""
        with self._lock:
            d = copy.deepcopy(dashboard)
            d["id"], d["version"] = self._next_id, 1
            self.dashboards[d["uid"]] = {"dashboard": d, "folderUid": folder_uid, "id": self._next_id}
            self._next_id += 1

    def writes_to(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.history if m == method and p.startswith(prefix))

    # -- request handling --------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self._lock:
            self.history.append((method, path))
            self.last_org_header = h.headers.get("X-Grafana-Org-Id")
        for problem in self.spec.check_request(method, path, query, body or None) if self.spec else ():
            self._violation(problem)
        if self.delay:
            time.sleep(self.delay)
        if path == "/api/dashboards/db" and body:
            uid = (json.loads(body).get("dashboard") or {}).get("uid")
            if uid in self.drop_uids:
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            if uid in self.fail_uids:
                return self._send(h, method, path, 500, {"message": "Internal Server Error"})
        if self.unavailable:
            status = 503 if path == "/api/health" else 500
            return self._send(h, method, path, status, {"message": "database is not reachable"})
        if path != "/api/health":
            role = self._role(h.headers.get("Authorization", ""))
            if role is None:
                return self._send(h, method, path, 401, {"message": "Unauthorized"})
            if role == "viewer" and method != "GET":
                return self._send(h, method, path, 403, {"message": "You'll need additional permissions to perform "
                                                                   "this action. Permissions needed: dashboards:write"})
        status, out = self._route(method, path, query, body)
        self._send(h, method, path, status, out)

    def _role(self, authorization: str) -> str | None:
        if authorization == f"Bearer {self.token}":
            return "editor"
        if authorization.removeprefix("Bearer ") in self.viewer_tokens:
            return "viewer"
        if self.basic and authorization.startswith("Basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if (user, password) == self.basic:
                return "editor"
        return None

    def _route(self, method: str, path: str, query: dict, body: bytes) -> tuple[int, object]:
        with self._lock:
            if path == "/api/health":
                return 200, {"commit": "abc123", "database": "ok", "version": "12.3.3"}
            if path == "/api/folders" and method == "GET":
                return 200, [{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in self.folders.values()]
            if path == "/api/folders" and method == "POST":
                cmd = json.loads(body)
                if cmd.get("uid") in self.folders:
                    return 409, {"message": "a folder with the same uid already exists"}
                folder = {"id": self._next_id, "uid": cmd.get("uid") or f"f{self._next_id}", "title": cmd["title"]}
                self._next_id += 1
                self.folders[folder["uid"]] = folder
                return 200, {**folder, "url": f"/dashboards/f/{folder['uid']}/", "version": 1}
            if path == "/api/search":
                return 200, self._search(query)
            if path.startswith("/api/dashboards/uid/"):
                uid = path.rsplit("/", 1)[1]
                stored = self.dashboards.get(uid)
                if stored is None:
                    return 404, {"message": "Dashboard not found"}
                if method == "GET":
                    return 200, {"dashboard": stored["dashboard"], "meta": self._meta(stored)}
                del self.dashboards[uid]
                title = stored["dashboard"].get("title", "")
                return 200, {"uid": uid, "title": title, "message": f"Dashboard {title} deleted"}
            if path == "/api/dashboards/db":
                return self._save(json.loads(body))
        return 404, {"message": "Not found"}

    def _meta(self, stored: dict) -> dict:
        d = stored["dashboard"]
        folder = self.folders.get(stored["folderUid"], {})
        return {"type": "db", "canSave": True, "canEdit": True, "slug": d.get("title", "").lower().replace(" ", "-"),
                "url": f"/d/{d['uid']}/x", "version": d["version"], "folderUid": stored["folderUid"],
                "folderTitle": folder.get("title", "General"), "provisioned": False}

    def _search(self, query: dict) -> list[dict]:
        tags = set(query.get("tag", []))
        folders = set(query.get("folderUIDs", []))
        hits = []
        for uid, stored in sorted(self.dashboards.items()):
            d = stored["dashboard"]
            if tags and not tags <= set(d.get("tags", [])):
                continue
            if folders and stored["folderUid"] not in folders:
                continue
            hits.append({"id": stored["id"], "uid": uid, "title": d.get("title", ""), "type": "dash-db",
                         "tags": d.get("tags", []), "folderUid": stored["folderUid"], "uri": f"db/{uid}",
                         "url": f"/d/{uid}/x", "isStarred": False})
        return hits

    def _save(self, cmd: dict) -> tuple[int, object]:
        d = copy.deepcopy(cmd["dashboard"])
        uid, overwrite, folder = d.get("uid"), bool(cmd.get("overwrite")), cmd.get("folderUid", "")
        if folder and folder not in self.folders:
            return 400, {"message": "folder not found", "status": "folder-not-found"}
        existing = self.dashboards.get(uid)
        if existing is None:
            for other in self.dashboards.values():
                if other["folderUid"] == folder and other["dashboard"].get("title") == d.get("title") and not overwrite:
                    return 412, {"message": "A dashboard with the same name in the folder already exists",
                                 "status": "name-exists"}
            new_id, version = self._next_id, 1
            self._next_id += 1
        else:
            if not overwrite:
                if not d.get("id"):
                    return 400, {"message": "A dashboard with the same uid already exists"}
                if d.get("version") != existing["dashboard"]["version"]:
                    return 412, {"message": "The dashboard has been changed by someone else",
                                 "status": "version-mismatch"}
            new_id, version = existing["id"], existing["dashboard"]["version"] + 1
        d["id"], d["version"] = new_id, version
        self.dashboards[uid] = {"dashboard": d, "folderUid": folder, "id": new_id}
        return 200, {"id": new_id, "uid": uid, "url": f"/d/{uid}/x", "status": "success", "version": version,
                     "title": d.get("title", "").lower().replace(" ", "-"), "folderUid": folder}

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _send(self, h: BaseHTTPRequestHandler, method: str, path: str, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        for problem in self.spec.check_response(method, path, status, data, fallback_error={
                "$ref": "#/definitions/ErrorResponseBody"}) if self.spec else ():
            self._violation(problem)
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
