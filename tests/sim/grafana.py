"""A local Grafana simulator for the endpoints `gitea-monitoring push` uses, per Grafana version.

Behaviour comes from Grafana's source, one rule per behaviour (tests/sim/grafana_rules.py, each citing the
file and function, tabulated in docs/grafana-compatibility.md); a profile (10.4, 11.x, 12.x, 13.x) selects
the rules that apply. It runs without the OpenAPI documents; when ../shared/specs is present every request
and response is also checked against `grafana-openapi.dashboards-subset.json` (the full
`grafana-openapi.json` for operations the subset lacks) and problems land in `violations`.

Auth: `Authorization: Bearer <token>` (a token of org `token_org`) or basic auth; tokens in
`viewer_tokens` may read but get 403 on writes and canSave=false on folders. Test faults (not Grafana
behaviour): `fail_uids` (saves answer 500), `drop_uids` (connection closed without an answer),
`unavailable` (every call 503/500), `delay` seconds per call, `empty_answers` (paths answered 200 `{}`),
`echo_credentials` (401 bodies quote the Authorization header, as some proxies do).
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.sim.grafana_rules import PROFILES, RULES, Profile

SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, TAG_MAX = 1000, 5000, 50


def go_float64(value: object) -> object:
    """A JSON value after a Go map[string]interface{} round trip: every number a float64, written the Go way."""
    if isinstance(value, dict):
        return {k: go_float64(v) for k, v in value.items()}
    if isinstance(value, list):
        return [go_float64(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        f = float(value)
        return int(f) if f.is_integer() and abs(f) < 1e21 else f
    return value


class GrafanaSimulator:
    def __init__(self, profile: str = "12.x", spec_dir: Path | None = None, token: str = "glsa_test_token",
                 basic: tuple[str, str] | None = None, token_org: int = 1) -> None:
        self.profile: Profile = PROFILES[profile]
        self.specs = []
        if spec_dir is not None:
            from tests.sim.openapi import SwaggerSpec

            self.specs = [SwaggerSpec(spec_dir / "grafana-openapi.dashboards-subset.json"),
                          SwaggerSpec(spec_dir / "grafana-openapi.json")]
        self.token, self.basic, self.token_org = token, basic, token_org
        self.viewer_tokens: set[str] = set()
        self.folders: dict[str, dict] = {}  # uid -> {uid, title, id, parentUid}
        self.dashboards: dict[str, dict] = {}  # uid -> {"dashboard", "folderUid", "id", "version"}
        self.history: list[tuple[str, str]] = []  # (method, path) of every request
        self.fail_uids: set[str] = set()
        self.drop_uids: set[str] = set()
        self.lose_answer_uids: set[str] = set()  # saves applied, then the connection closed without an answer
        self.on_save: Callable[[dict], None] | None = None  # called with each save command before it is applied
        self.empty_answers: set[str] = set()  # path prefixes answered 200 {}
        self.echo_credentials = False
        self.unavailable = False
        self.delay = 0.0
        self.search_lag = 2 if self.profile.has("search-eventual") else 0  # writes the index is behind
        self.violations: list[str] = []
        self.last_org_header: str | None = None
        self.applied: set[str] = set()  # rule ids that changed an answer (tests check each is exercised)
        self._index: dict[str, dict] = {}  # search index: uid -> hit source, lags `search_lag` writes behind
        self._pending: list[tuple[str, dict | None]] = []
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

    def _rule(self, rule_id: str) -> bool:
        """Whether this profile applies the rule; records that it did."""
        if self.profile.has(rule_id):
            self.applied.add(rule_id)
            return True
        return False

    # -- helpers for tests ------------------------------------------------------------------------
    def edit_in_ui(self, uid: str, **changes: object) -> None:
        """What a user saving in the UI does: change the model, bump the version."""
        with self._lock:
            stored = self.dashboards[uid]
            stored["dashboard"].update(changes)
            stored["version"] += 1

    def put(self, dashboard: dict, folder_uid: str = "") -> None:
        """Seed a dashboard as if somebody else had created it."""
        with self._lock:
            d = copy.deepcopy(dashboard)
            self._store(d["uid"], d, folder_uid, self._new_id(), 1)
            self.settle()

    def add_folder(self, uid: str, title: str, parent: str = "") -> None:
        with self._lock:
            self.folders[uid] = {"id": self._new_id(), "uid": uid, "title": title, "parentUid": parent}

    def settle(self) -> None:
        """The search index catches up with every write."""
        with self._lock:
            for uid, entry in self._pending:
                if entry is None:
                    self._index.pop(uid, None)
                else:
                    self._index[uid] = entry
            self._pending.clear()

    def writes_to(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.history if m == method and p.startswith(prefix))

    def read(self, uid: str) -> dict:
        """The dashboard as GET /api/dashboards/uid/{uid} answers it."""
        with self._lock:
            return self._dashboard_json(self.dashboards[uid])

    # -- storage -----------------------------------------------------------------------------------
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _store(self, uid: str, d: dict, folder: str, id_: int, version: int) -> None:
        self.dashboards[uid] = {"dashboard": d, "folderUid": folder, "id": id_, "version": version}
        self._index_write(uid, {"title": d.get("title", ""), "tags": list(d.get("tags", [])), "folderUid": folder,
                                "id": id_})

    def _index_write(self, uid: str, entry: dict | None) -> None:
        self._pending.append((uid, entry))
        while len(self._pending) > self.search_lag:
            u, e = self._pending.pop(0)
            if e is None:
                self._index.pop(u, None)
            else:
                self._index[u] = e

    def _dashboard_json(self, stored: dict) -> dict:
        d = copy.deepcopy(stored["dashboard"])
        # 10.4/11.x store id and version in the JSON; 12.x/13.x re-add them on read (k8s-server-fields).
        d["id"], d["uid"], d["version"] = stored["id"], d.get("uid") or "", stored["version"]
        return d

    # -- request handling --------------------------------------------------------------------------
    def _check(self, kind: str, method: str, path: str, *args: object) -> None:
        for spec in self.specs:
            if spec.operation(method, path) is not None:
                fn = spec.check_request if kind == "request" else spec.check_response
                for problem in fn(method, path, *args):
                    self._violation(problem)
                return
        if self.specs:
            self._violation(f"{method} {path}: no such operation in the Grafana OpenAPI documents")

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self._lock:
            self.history.append((method, path))
            self.last_org_header = h.headers.get("X-Grafana-Org-Id")
        if self.specs:
            self._check("request", method, path, query, body or None)
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
            authorization = h.headers.get("Authorization", "")
            role = self._role(authorization)
            if role is None:
                message = "invalid API key" + (f": {authorization}" if self.echo_credentials else "")
                return self._send(h, method, path, 401, {"message": message})
            org = h.headers.get("X-Grafana-Org-Id")
            if role != "basic" and org is not None and org != str(self.token_org) and self._rule("org-mismatch-401"):
                return self._send(h, method, path, 401, {
                    "message": "API key does not belong to the requested organization",
                    "messageId": "api-key.organization-mismatch", "statusCode": 401}, exempt=True)
            if role == "viewer" and method != "GET":
                return self._send(h, method, path, 403, {"message": "You'll need additional permissions to perform "
                                                                   "this action. Permissions needed: dashboards:write"})
            if any(path.startswith(p) for p in self.empty_answers):
                return self._send(h, method, path, 200, {}, exempt=True)
        else:
            role = None
        status, out = self._route(method, path, query, body, role)
        if path == "/api/dashboards/db" and status == 200 and out.get("uid") in self.lose_answer_uids:
            self.lose_answer_uids.discard(out["uid"])
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(h, method, path, status, out)

    def _role(self, authorization: str) -> str | None:
        if authorization == f"Bearer {self.token}":
            return "editor"
        if authorization.removeprefix("Bearer ") in self.viewer_tokens:
            return "viewer"
        if self.basic and authorization.startswith("Basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if (user, password) == self.basic:
                return "basic"
        return None

    def _route(self, method: str, path: str, query: dict, body: bytes, role: str | None) -> tuple[int, Any]:
        with self._lock:
            if path == "/api/health":
                return 200, {"commit": "abc123", "database": "ok", "version": self.profile.version}
            if path == "/api/folders" and method == "GET":
                return 200, self._list_folders(query)
            if path.startswith("/api/folders/") and method == "GET":
                return self._get_folder(path.rsplit("/", 1)[1], role)
            if path == "/api/folders" and method == "POST":
                return self._create_folder(json.loads(body))
            if path == "/api/search":
                return self._search(query)
            if path.startswith("/api/dashboards/uid/"):
                uid = path.rsplit("/", 1)[1]
                stored = self.dashboards.get(uid)
                if stored is None:
                    return 404, {"message": "Dashboard not found", "status": "not-found"}
                if method == "GET":
                    return 200, {"dashboard": self._dashboard_json(stored), "meta": self._meta(stored)}
                del self.dashboards[uid]
                self._index_write(uid, None)
                title = stored["dashboard"].get("title", "")
                return 200, {"uid": uid, "title": title, "message": f"Dashboard {title} deleted"}
            if path == "/api/dashboards/db":
                return self._save(json.loads(body))
        return 404, {"message": "Not found"}

    # -- folders -----------------------------------------------------------------------------------
    def _list_folders(self, query: dict) -> list[dict]:
        folders = sorted(self.folders.values(), key=lambda f: f["title"])
        if self._rule("folders-children-only"):
            parent = query.get("parentUid", [""])[0]
            folders = [f for f in folders if f["parentUid"] == parent]
        limit = int(query.get("limit", ["1000"])[0] or 1000)
        page = int(query.get("page", ["1"])[0] or 1)
        self._rule("folders-paged")
        hits = folders[(page - 1) * limit: page * limit]
        return [{"id": f["id"], "uid": f["uid"], "title": f["title"]} for f in hits]

    def _get_folder(self, uid: str, role: str | None) -> tuple[int, object]:
        self._rule("folder-by-uid")
        f = self.folders.get(uid)
        if f is None:
            return 404, {"message": "folder not found", "status": "not-found"}
        can = role != "viewer"
        out = {"id": f["id"], "uid": uid, "title": f["title"], "url": f"/dashboards/f/{uid}/", "hasAcl": False,
               "canSave": can, "canEdit": can, "canAdmin": can, "canDelete": can, "version": 1}
        if f["parentUid"]:
            out["parentUid"] = f["parentUid"]
        return 200, out

    def _create_folder(self, cmd: dict) -> tuple[int, object]:
        uid = cmd.get("uid") or f"f{self._next_id}"
        if uid in self.folders:
            return 409, {"message": "a folder with the same uid already exists"}
        parent = cmd.get("parentUid") or ""
        if parent and self._rule("folder-parent"):
            if parent not in self.folders:
                return 404, {"message": "folder not found", "status": "not-found"}
        else:
            parent = ""  # 10.4 without the nestedFolders feature toggle: created at the root
        self.add_folder(uid, cmd["title"], parent)
        f = self.folders[uid]
        out = {"id": f["id"], "uid": uid, "title": f["title"], "url": f"/dashboards/f/{uid}/", "version": 1}
        if parent:
            out["parentUid"] = parent
        return 200, out

    # -- dashboards --------------------------------------------------------------------------------
    def _meta(self, stored: dict) -> dict:
        d = stored["dashboard"]
        folder = self.folders.get(stored["folderUid"], {})
        return {"type": "db", "canSave": True, "canEdit": True, "slug": d.get("title", "").lower().replace(" ", "-"),
                "url": f"/d/{d['uid']}/x", "version": stored["version"], "folderUid": stored["folderUid"],
                "folderTitle": folder.get("title", "General"), "provisioned": False,
                "updated": "2026-11-27T10:00:00Z", "updatedBy": "gitea-monitoring"}

    def _search(self, query: dict) -> tuple[int, object]:
        limit = int(query.get("limit", [str(SEARCH_DEFAULT_LIMIT)])[0] or SEARCH_DEFAULT_LIMIT)
        if limit > SEARCH_MAX_LIMIT and self._rule("search-limit-422"):
            return 422, {"message": "Limit is above maximum allowed (5000), use page parameter to access hits "
                                    "beyond limit"}
        page = int(query.get("page", ["1"])[0] or 1)
        if self._pending:  # the hits below come from an index that has not seen the last writes
            self._rule("search-eventual")
        tags = set(query.get("tag", []))
        folders = set(query.get("folderUIDs", []))
        hits = []
        for uid, e in sorted(self._index.items()):
            if tags and not tags <= set(e["tags"]):
                continue
            if folders and e["folderUid"] not in folders:
                continue
            hits.append({"id": e["id"], "uid": uid, "title": e["title"], "type": "dash-db", "tags": e["tags"],
                         "folderUid": e["folderUid"], "uri": f"db/{uid}", "url": f"/d/{uid}/x", "isStarred": False})
        return 200, hits[(page - 1) * limit: page * limit]

    def _conflict(self) -> tuple[int, dict]:
        if self._rule("conflict-409-without-status"):
            return 409, {"message": 'Operation cannot be fulfilled on dashboards.dashboard.grafana.app: the object '
                                    "has been modified; please apply your changes to the latest version and try again"}
        self._rule("version-mismatch-412")
        return 412, {"message": "The dashboard has been changed by someone else", "status": "version-mismatch"}

    def _save(self, cmd: dict) -> tuple[int, dict]:
        if self.on_save is not None:
            self.on_save(cmd)
        d = copy.deepcopy(cmd["dashboard"])
        overwrite, folder = bool(cmd.get("overwrite")), cmd.get("folderUid", "")
        title = d.get("title", "")
        if isinstance(title, str) and title != title.strip() and self._rule("title-trimmed"):
            d["title"] = title = title.strip()
        if not title:
            return 400, {"message": "Dashboard title cannot be empty", "status": "empty-name"}
        if folder and folder not in self.folders:
            return 400, {"message": "folder not found"}
        if self.profile.has("tag-too-long") and any(len(str(t)) > TAG_MAX for t in d.get("tags", [])):
            self._rule("tag-too-long")
            return 400, {"message": "dashboard tag too long, max 50 characters", "status": "tag-too-long"}
        uid = d.get("uid") or f"gen{self._next_id}"
        d["uid"] = uid
        existing = self.dashboards.get(uid)
        if existing is None:
            if self.profile.has("name-exists-412") and not overwrite:
                for other in self.dashboards.values():
                    if other["folderUid"] == folder and other["dashboard"].get("title") == title:
                        self._rule("name-exists-412")
                        return 412, {"message": "A dashboard with the same name in the folder already exists",
                                     "status": "name-exists"}
            new_id, version = self._new_id(), 1
        else:
            if not d.get("id") and self._rule("retried-create-gets-existing-id"):
                d["id"] = existing["id"]
            if not overwrite and d.get("version") != existing["version"]:
                return self._conflict()
            new_id = existing["id"]
            version = existing["version"] + 1
        if self._rule("k8s-server-fields"):
            for key in ("uid", "version", "id"):
                d.pop(key, None)
            d["uid"] = uid  # metadata.name, written back on read
            if existing is not None:
                old = {k: v for k, v in existing["dashboard"].items() if k not in ("uid", "version", "id")}
                body = {k: v for k, v in go_float64(d).items() if k != "uid"}
                if old == body:
                    version = existing["version"]  # generation moves only when the spec changes
        else:
            d.pop("id", None)
            d.pop("version", None)
        if self._rule("k8s-float64-round-trip"):
            d = go_float64(d)
        self._rule("schema-version-as-sent")
        self._store(uid, d, folder, new_id, version)
        return 200, {"id": new_id, "uid": uid, "url": f"/d/{uid}/x", "status": "success", "version": version,
                     "title": title.lower().replace(" ", "-"), "folderUid": folder}

    def _violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def _send(self, h: BaseHTTPRequestHandler, method: str, path: str, status: int, payload: object,
              exempt: bool = False) -> None:
        data = json.dumps(payload).encode()
        if self.specs and not exempt:
            for spec in self.specs:
                if spec.operation(method, path) is not None:
                    for problem in spec.check_response(method, path, status, data,
                                                       fallback_error={"$ref": "#/definitions/ErrorResponseBody"}):
                        self._violation(problem)
                    break
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


__all__ = ["GrafanaSimulator", "PROFILES", "RULES", "go_float64"]
