"""A small Grafana HTTP API client: the dashboard, folder, search and health endpoints, with retries.

Credentials go into headers only. Every message that could carry a server's text (error bodies, proxies
echoing the request) passes through one `Redactor` that knows the token, the password and the URL's
user-info, so a credential never reaches the output even when Grafana or a proxy quotes it back. 5xx
answers and connection errors are retried with exponential backoff and jitter; 4xx answers are not. An
answer of an unexpected shape (`{}` where a list is due, no `dashboard` object...) is a GrafanaError
saying so, never a KeyError.
"""

from __future__ import annotations

import base64
import ipaddress
import random
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import requests

RETRY_STATUSES = frozenset({500, 502, 503, 504})
SEARCH_PAGE = 1000  # Grafana's own default page; more than 5000 answers 422 (pkg/api/search.go Search)
FOLDER_PAGE = 1000
MAX_PAGES = 1000  # a server that never ends its pages is reported, not followed forever
CONFLICT_STATUSES = frozenset({409, 412})
REDACTED = "[REDACTED]"


class GrafanaError(Exception):
    """A call that failed: `status` 0 means no HTTP answer (connection, timeout, unexpected answer)."""

    def __init__(self, message: str, status: int = 0, grafana_status: str = "", message_id: str = "") -> None:
        super().__init__(message)
        self.status, self.grafana_status, self.message_id = status, grafana_status, message_id

    @property
    def conflict(self) -> bool:
        """A version conflict on save: 412 version-mismatch (10.4-12.x) or 409 without status (13.x)."""
        return self.grafana_status == "version-mismatch" or (
            self.status in CONFLICT_STATUSES and self.grafana_status in ("", "version-mismatch"))


def redact(url: str) -> str:
    """The URL without user:password@."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


class Redactor:
    """Replaces every known secret (and its URL-encoded form) in a text; the one step all output passes."""

    def __init__(self, token: str | None, password: str | None = None, *, url: str = "",
                 user: str | None = None) -> None:
        parts = urlsplit(url)
        found = [s for s in (token, password, parts.password) if s]
        if "@" in parts.netloc:
            userinfo = parts.netloc.rpartition("@")[0]
            found += [userinfo, base64.b64encode(unquote(userinfo).encode()).decode()]  # as a Basic header
        if user and password:
            found.append(base64.b64encode(f"{user}:{password}".encode()).decode())
        values = set()
        for s in found:
            values |= {s, quote(s, safe=""), unquote(s)}
        # Longest first, so a token is replaced whole before a shorter secret inside it.
        self.secrets = sorted((s for s in values if len(s) >= 3), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, REDACTED)
        return text


# Why a 4xx happened, in terms of what the operator can change.
_HINTS = {
    401: "authentication failed: check GRAFANA_TOKEN / --token-file (a service account token) or "
         "GRAFANA_USER/GRAFANA_PASSWORD",
    403: "permission denied: the service account needs the Editor role, or dashboards:write and folders:create "
         "on the target folder (dashboards:delete for --prune)",
}
_ORG_MISMATCH = ("the token is valid but belongs to another organization than --org-id asks for: a service "
                 "account token works only in the org it was created in; drop --org-id or use a token from that org")


def _shape(method: str, path: str, body: object, kind: type, what: str) -> None:
    if not isinstance(body, kind):
        got = "nothing" if body is None else type(body).__name__
        raise GrafanaError(f"{method} {path}: unexpected answer from Grafana: expected {what}, got {got}; "
                           "is --grafana-url Grafana's base URL (not a proxy page or a sub-path)?")


class GrafanaClient:
    def __init__(self, url: str, auth: Auth, *, org_id: int | None = None, verify: bool | str = True,
                 timeout: float = 10.0, retries: int = 3, backoff: float = 0.5) -> None:
        self.url = url.rstrip("/")
        self.redact = Redactor(auth.token, auth.password, url=url, user=auth.user)
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
        """(status, parsed body). Raises GrafanaError (redacted) for statuses outside `ok` after retries."""
        try:
            return self._request(method, path, params, json_body, ok, retry)
        except GrafanaError as exc:
            raise GrafanaError(self.redact(str(exc)), exc.status, exc.grafana_status, exc.message_id) from None

    def _request(self, method: str, path: str, params: dict | None, json_body: object, ok: tuple[int, ...],
                 retry: bool) -> tuple[int, object]:
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
            fields = body if isinstance(body, dict) else {}
            message = str(fields.get("message") or "")[:300]
            status_word = str(fields.get("status") or "")
            message_id = str(fields.get("messageId") or "")
            hint = _HINTS.get(r.status_code, "")
            if message_id == "api-key.organization-mismatch":
                hint = _ORG_MISMATCH
            last = GrafanaError(f"{method} {path}: HTTP {r.status_code}" + (f" {message}" if message else "")
                                + (f" ({status_word})" if status_word else "") + (f"; {hint}" if hint else ""),
                                r.status_code, status_word, message_id)
            if r.status_code not in RETRY_STATUSES:
                raise last
        assert last is not None
        raise GrafanaError(f"{last} (after {attempts} attempts)", last.status, last.grafana_status)

    # -- endpoints -----------------------------------------------------------------------------------
    def health(self) -> dict:
        body = self.request("GET", "/api/health")[1]
        return body if isinstance(body, dict) else {}

    def folder(self, uid: str) -> dict | None:
        """GET /api/folders/{uid}: the folder (with canSave for the caller), or None when it does not exist."""
        status, body = self.request("GET", f"/api/folders/{quote(uid, safe='')}", ok=(200, 404))
        if status == 404:
            return None
        _shape("GET", f"/api/folders/{uid}", body, dict, "a folder object")
        assert isinstance(body, dict)
        if body.get("uid") != uid:
            raise GrafanaError(f"GET /api/folders/{uid}: unexpected answer from Grafana: not the folder {uid!r} "
                               f"(uid {str(body.get('uid', 'missing'))[:60]!r})")
        return body

    def create_folder(self, uid: str, title: str, parent_uid: str = "") -> dict:
        command = {"uid": uid, "title": title} | ({"parentUid": parent_uid} if parent_uid else {})
        body = self.request("POST", "/api/folders", json_body=command, retry=False)[1]
        _shape("POST", "/api/folders", body, dict, "the created folder")
        assert isinstance(body, dict)
        return body

    def dashboard(self, uid: str) -> dict | None:
        """{"dashboard": ..., "meta": ...}, or None when there is no dashboard with this uid."""
        path = f"/api/dashboards/uid/{quote(uid, safe='')}"
        status, body = self.request("GET", path, ok=(200, 404))
        if status == 404:
            return None
        _shape("GET", path, body, dict, "an object with dashboard and meta")
        assert isinstance(body, dict)
        dash, meta = body.get("dashboard"), body.get("meta", {})
        if not isinstance(dash, dict) or not isinstance(meta, dict):
            raise GrafanaError(f"GET {path}: unexpected answer from Grafana: no dashboard object")
        return {"dashboard": dash, "meta": meta}

    def search(self, *, tag: str, folder_uid: str) -> list[dict]:
        """Every dashboard hit with the tag in the folder, page by page (Grafana caps a page at 5000)."""
        hits: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"type": "dash-db", "tag": tag, "folderUIDs": folder_uid, "limit": SEARCH_PAGE, "page": page}
            body = self.request("GET", "/api/search", params=params)[1]
            _shape("GET", "/api/search", body, list, "a list of hits")
            assert isinstance(body, list)
            hits += [h for h in body if isinstance(h, dict) and isinstance(h.get("uid"), str)]
            if len(body) < SEARCH_PAGE:
                return hits
        raise GrafanaError(f"GET /api/search: more than {MAX_PAGES} pages of {SEARCH_PAGE} hits; giving up")

    def save(self, dashboard: dict, folder_uid: str, message: str, overwrite: bool = False) -> dict:
        body = {"dashboard": dashboard, "folderUid": folder_uid, "message": message, "overwrite": overwrite}
        # Retried like reads: a save that reached Grafana but lost its answer makes the retry a version
        # conflict (the create takes the existing id), which push.py recognises by reading the dashboard back.
        answer = self.request("POST", "/api/dashboards/db", json_body=body)[1]
        _shape("POST", "/api/dashboards/db", answer, dict, "the saved dashboard's uid and version")
        assert isinstance(answer, dict)
        if answer.get("uid") != dashboard.get("uid"):
            raise GrafanaError("POST /api/dashboards/db: unexpected answer from Grafana: no uid of the saved "
                               "dashboard; it may or may not be saved")
        return answer

    def delete(self, uid: str) -> None:
        self.request("DELETE", f"/api/dashboards/uid/{quote(uid, safe='')}", retry=False)
