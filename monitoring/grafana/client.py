"""A small Grafana HTTP API client: the dashboard, folder, search and health endpoints, with retries.

Credentials go into headers only; they never appear in errors, logs or reprs. 5xx answers and connection
errors are retried with exponential backoff and jitter; 4xx answers are not (they will not change).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

RETRY_STATUSES = frozenset({500, 502, 503, 504})


class GrafanaError(Exception):
    """A call that failed: `status` 0 means no HTTP answer (connection, timeout)."""

    def __init__(self, message: str, status: int = 0, grafana_status: str = "") -> None:
        super().__init__(message)
        self.status, self.grafana_status = status, grafana_status


def redact(url: str) -> str:
    """The URL without user:password@."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


@dataclass(frozen=True)
class Auth:
    token: str | None = None
    user: str | None = None
    password: str | None = None

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def basic(self) -> tuple[str, str] | None:
        return (self.user, self.password or "") if self.user and not self.token else None

    def __repr__(self) -> str:  # never show a credential
        kind = "token" if self.token else "basic" if self.user else "none"
        return f"Auth({kind})"


# Why a 4xx happened, in terms of what the operator can change.
_HINTS = {
    401: "authentication failed: check GRAFANA_TOKEN / --token-file (a service account token) or "
         "GRAFANA_USER/GRAFANA_PASSWORD",
    403: "permission denied: the service account needs the Editor role, or dashboards:write and folders:create "
         "on the target folder (dashboards:delete for --prune)",
}


class GrafanaClient:
    def __init__(self, url: str, auth: Auth, *, org_id: int | None = None, verify: bool | str = True,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "gitea-monitoring-push",
                                     **auth.headers()})
        if auth.basic():
            self.session.auth = auth.basic()
        if org_id is not None:
            self.session.headers["X-Grafana-Org-Id"] = str(org_id)
        self.verify, self.timeout, self.retries, self.backoff = verify, timeout, retries, backoff

    def request(self, method: str, path: str, *, params: dict | None = None, json_body: object = None,
                ok: tuple[int, ...] = (200,), retry: bool = True) -> tuple[int, object]:
        """(status, parsed body). Raises GrafanaError for statuses outside `ok` after retries."""
        attempts = self.retries + 1 if retry else 1
        last: GrafanaError | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
            try:
                r = self.session.request(method, self.url + path, params=params, json=json_body,
                                         timeout=self.timeout, verify=self.verify)
            except requests.exceptions.SSLError:
                raise GrafanaError(f"{method} {path}: TLS verification failed for {redact(self.url)}; pass "
                                   "--ca-file with the CA that signed Grafana's certificate") from None
            except requests.exceptions.RequestException as exc:
                kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection failed"
                last = GrafanaError(f"{method} {path}: {kind} ({redact(self.url)})")
                continue
            try:
                body: object = r.json() if r.content else None
            except ValueError:
                body = None
            if r.status_code in ok:
                return r.status_code, body
            message = body.get("message", "") if isinstance(body, dict) else ""
            status_word = body.get("status", "") if isinstance(body, dict) else ""
            hint = _HINTS.get(r.status_code, "")
            last = GrafanaError(f"{method} {path}: HTTP {r.status_code}" + (f" {message}" if message else "")
                                + (f" ({status_word})" if status_word else "") + (f"; {hint}" if hint else ""),
                                r.status_code, status_word)
            if r.status_code not in RETRY_STATUSES:
                raise last
        assert last is not None
        raise GrafanaError(f"{last} (after {attempts} attempts)", last.status, last.grafana_status)

    # -- endpoints -----------------------------------------------------------------------------------
    def health(self) -> dict:
        return self.request("GET", "/api/health")[1] or {}

    def folders(self) -> list[dict]:
        return self.request("GET", "/api/folders", params={"limit": 1000})[1] or []

    def create_folder(self, uid: str, title: str) -> dict:
        return self.request("POST", "/api/folders", json_body={"uid": uid, "title": title}, retry=False)[1] or {}

    def dashboard(self, uid: str) -> dict | None:
        """{"dashboard": ..., "meta": ...}, or None when there is no dashboard with this uid."""
        status, body = self.request("GET", f"/api/dashboards/uid/{uid}", ok=(200, 404))
        return body if status == 200 and isinstance(body, dict) else None

    def search(self, *, tag: str, folder_uid: str) -> list[dict]:
        params = {"type": "dash-db", "tag": tag, "folderUIDs": folder_uid, "limit": 5000}
        return self.request("GET", "/api/search", params=params)[1] or []

    def save(self, dashboard: dict, folder_uid: str, message: str, overwrite: bool = False) -> dict:
        body = {"dashboard": dashboard, "folderUid": folder_uid, "message": message, "overwrite": overwrite}
        # Retried like reads: a save that reached Grafana but lost its answer makes the retry fail with
        # 412 version-mismatch, which push.py recognises by reading the dashboard back.
        return self.request("POST", "/api/dashboards/db", json_body=body)[1] or {}

    def delete(self, uid: str) -> None:
        self.request("DELETE", f"/api/dashboards/uid/{uid}", retry=False)
