"""`gitea-monitoring push`: plan, diff and apply dashboards to Grafana, all or nothing.

Ownership and edit detection live in the dashboards themselves, so no state file is needed:
- every pushed dashboard carries the tag `managed-by:gitea-provider-monitoring` (ours) and a tag
  `gpm-sha256:<12 hex>`, the hash of the content we pushed;
- a remote dashboard without the ownership tag is somebody else's and is never overwritten without --force;
- a remote dashboard whose content no longer matches its own hash tag was edited (in the UI or another
  tool) after our last push, and is refused with a diff unless --force.
Comparisons ignore server-side fields (id, version, iteration) and tag order.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitoring.grafana.client import GrafanaClient, GrafanaError

OWNER_TAG = "managed-by:gitea-provider-monitoring"
HASH_PREFIX = "gpm-sha256:"
SERVER_FIELDS = ("id", "version", "iteration")

CREATE, UPDATE, UNCHANGED, REFUSED, DELETE = "create", "update", "unchanged", "refused", "delete"


class PushInputError(Exception):
    """Local dashboards that cannot be pushed (exit 4)."""


def normalise(dashboard: dict) -> dict:
    """The content we compare: no server-side fields, no hash tag, tags sorted."""
    d = {k: v for k, v in dashboard.items() if k not in SERVER_FIELDS}
    d["tags"] = sorted(t for t in d.get("tags", []) if not t.startswith(HASH_PREFIX))
    return d


def content_hash(dashboard: dict) -> str:
    text = json.dumps(normalise(dashboard), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def with_markers(dashboard: dict) -> dict:
    """The dashboard as we push it: ownership tag and the hash of its content."""
    d = copy.deepcopy(dashboard)
    for key in SERVER_FIELDS:
        d.pop(key, None)
    d["tags"] = sorted(set(t for t in d.get("tags", []) if not t.startswith(HASH_PREFIX)) | {OWNER_TAG})
    d["tags"] = sorted(d["tags"] + [HASH_PREFIX + content_hash(d)])
    return d


def _hash_tag(dashboard: dict) -> str | None:
    return next((t[len(HASH_PREFIX):] for t in dashboard.get("tags", []) if t.startswith(HASH_PREFIX)), None)


def diff(remote: dict | None, local: dict, uid: str) -> str:
    def lines(d: dict | None) -> list[str]:
        return json.dumps(normalise(d), indent=2, sort_keys=True).splitlines(keepends=True) if d else []
    return "".join(difflib.unified_diff(lines(remote), lines(local), f"grafana/{uid}", f"build/{uid}", n=2))


@dataclass
class Change:
    action: str
    uid: str
    title: str
    local: dict | None = None  # what we would push (with markers)
    remote: dict | None = None  # the remote dashboard now
    remote_folder: str = ""
    reason: str = ""
    diff: str = ""


@dataclass
class Plan:
    folder_uid: str
    folder_title: str
    folder_exists: bool
    changes: list[Change] = field(default_factory=list)

    def by_action(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    @property
    def pending(self) -> bool:
        return not self.folder_exists or any(c.action in (CREATE, UPDATE, DELETE) for c in self.changes)


def load_local(directory: Path) -> list[dict]:
    """Every dashboard JSON in `directory`, validated before anything is sent."""
    if not directory.is_dir():
        raise PushInputError(f"{directory}: no such directory; run `make build` first")
    dashboards, seen = [], {}
    for path in sorted(directory.glob("*.json")):
        try:
            d = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise PushInputError(f"{path}: cannot read dashboard JSON: {exc}") from None
        d = d.get("dashboard", d) if isinstance(d, dict) else d
        if not isinstance(d, dict) or not d.get("uid") or not d.get("title"):
            raise PushInputError(f"{path}: a dashboard needs a uid and a title")
        if d["uid"] in seen:
            raise PushInputError(f"{path}: uid {d['uid']!r} is also used by {seen[d['uid']]}")
        seen[d["uid"]] = path.name
        dashboards.append(d)
    if not dashboards:
        raise PushInputError(f"{directory}: no dashboard JSON files")
    return dashboards


def make_plan(client: GrafanaClient, local: list[dict], folder_uid: str, folder_title: str, *, force: bool,
              prune: bool) -> Plan:
    folder_exists = any(f.get("uid") == folder_uid for f in client.folders())
    plan = Plan(folder_uid, folder_title, folder_exists)
    for dashboard in local:
        ours = with_markers(dashboard)
        uid, title = ours["uid"], ours["title"]
        found = client.dashboard(uid)
        if found is None:
            plan.changes.append(Change(CREATE, uid, title, ours, diff=diff(None, ours, uid)))
            continue
        remote, meta = found["dashboard"], found.get("meta", {})
        folder = meta.get("folderUid", "") or ""
        change = Change(UPDATE, uid, title, ours, remote, folder, diff=diff(remote, ours, uid))
        if normalise(remote) == normalise(ours) and folder == folder_uid:
            change.action, change.diff = UNCHANGED, ""
        elif OWNER_TAG not in remote.get("tags", []):
            change.reason = "a dashboard with this uid exists and is not managed by us (no ownership tag)"
        elif _hash_tag(remote) != content_hash(remote):
            change.reason = "edited in Grafana since our last push (its content no longer matches its hash tag)"
        if change.reason:
            if force:
                change.reason += "; overwritten because of --force"
            else:
                change.action = REFUSED
        plan.changes.append(change)
    if prune and folder_exists:
        wanted = {d["uid"] for d in local}
        for hit in client.search(tag=OWNER_TAG, folder_uid=folder_uid):
            if hit.get("uid") not in wanted:
                found = client.dashboard(hit["uid"])
                remote = found["dashboard"] if found else None
                plan.changes.append(Change(DELETE, hit["uid"], hit.get("title", ""), None, remote, folder_uid,
                                           "no longer defined", diff(remote, {}, hit["uid"]) if remote else ""))
    return plan


@dataclass
class Applied:
    change: Change
    new: dict | None = None  # the save response


@dataclass
class PushReport:
    done: list[Applied] = field(default_factory=list)
    failed: Change | None = None
    error: str = ""
    rolled_back: list[str] = field(default_factory=list)
    rollback_errors: list[str] = field(default_factory=list)


def apply(client: GrafanaClient, plan: Plan, message: str, progress: Callable[[str], None] = print) -> PushReport:
    """Write the plan. On a failure, restore what this run changed, then report."""
    report = PushReport()
    if not plan.folder_exists:
        client.create_folder(plan.folder_uid, plan.folder_title)
        progress(f"folder   {plan.folder_uid} ({plan.folder_title}): created")
    for change in plan.changes:
        if change.action in (UNCHANGED, REFUSED):
            continue
        try:
            if change.action == DELETE:
                client.delete(change.uid)
                report.done.append(Applied(change))
            else:
                report.done.append(Applied(change, _save(client, change, plan.folder_uid, message)))
            progress(f"{change.action:8} {change.uid} ({change.title})")
        except GrafanaError as exc:
            report.failed, report.error = change, str(exc)
            progress(f"FAILED   {change.uid} ({change.title}): {exc}")
            _rollback(client, report, message)
            break
    return report


def _save(client: GrafanaClient, change: Change, folder_uid: str, message: str) -> dict:
    body = copy.deepcopy(change.local)
    overwrite = False
    if change.remote is not None:
        # Grafana refuses the save (412 version-mismatch) if the dashboard changed since we read it.
        body["id"], body["version"] = change.remote.get("id"), change.remote.get("version")
        overwrite = change.action == UPDATE and OWNER_TAG not in change.remote.get("tags", [])  # --force on foreign
    try:
        return client.save(body, folder_uid, message, overwrite=overwrite)
    except GrafanaError as exc:
        if exc.grafana_status != "version-mismatch":
            raise
        # A retried save whose first attempt went through (the answer was lost) looks like this: read back.
        now = client.dashboard(change.uid)
        if now and normalise(now["dashboard"]) == normalise(change.local):
            return {"uid": change.uid, "version": now["dashboard"].get("version")}
        raise GrafanaError(f"{exc}: the dashboard was changed in Grafana while this push ran; run the push again "
                           "to see the new diff", exc.status, exc.grafana_status) from None


def _rollback(client: GrafanaClient, report: PushReport, message: str) -> None:
    for applied in reversed(report.done):
        c = applied.change
        try:
            if c.action == CREATE:
                client.delete(c.uid)
            else:
                previous = copy.deepcopy(c.remote)
                previous.pop("id", None)
                previous.pop("version", None)
                client.save(previous, c.remote_folder, f"rollback: {message}", overwrite=True)
            report.rolled_back.append(c.uid)
        except GrafanaError as exc:
            report.rollback_errors.append(f"{c.uid}: {exc}")
