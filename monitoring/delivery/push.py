"""`gitea-monitoring push`: plan, diff and apply dashboards to Grafana, all or nothing.

Ownership and edit detection live in the dashboards themselves, so no state file is needed:
- every pushed dashboard carries the tag `managed-by:gitea-provider-monitoring` (ours) and a tag
  `gpm-sha256:<12 hex>`, the hash of the canonical form of the content we pushed (canonical.py: numbers
  normalised, keys sorted, server-set fields removed, title trimmed), so Grafana 12's float64 round trip
  does not look like an edit;
- a remote dashboard without the ownership tag is somebody else's and is never overwritten without --force;
- a remote dashboard whose canonical content no longer matches its own hash tag was edited (in the UI or
  another tool) after our last push, and is refused with a diff unless --force.
Before planning, the credentials and the permission to write the folder are checked (GET /api/folders/{uid}).
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gitea_provider_monitoring.delivery.canonical import (
    HASH_PREFIX,
    SERVER_FIELDS,
    canonical,
    canonical_text,
    content_hash,
    hash_tag,
    legacy_hash,
    same,
)
from gitea_provider_monitoring.delivery.client import GrafanaClient, GrafanaError

OWNER_TAG = "managed-by:gitea-provider-monitoring"
TAG_MAX = 50  # Grafana 12+ refuses longer tags (400 tag-too-long)

CREATE, UPDATE, UNCHANGED, REFUSED, DELETE = "create", "update", "unchanged", "refused", "delete"


class PushInputError(Exception):
    """Local dashboards that cannot be pushed (exit 4)."""


def normalise(dashboard: dict) -> dict:
    """The content we compare (kept for callers): the canonical form."""
    return canonical(dashboard)


def with_markers(dashboard: dict) -> dict:
    """The dashboard as we push it: ownership tag and the hash of its canonical content."""
    d = copy.deepcopy(dashboard)
    for key in SERVER_FIELDS:
        d.pop(key, None)
    if isinstance(d.get("title"), str):
        d["title"] = d["title"].strip()
    d["tags"] = sorted(set(t for t in d.get("tags", []) if not t.startswith(HASH_PREFIX)) | {OWNER_TAG})
    d["tags"] = sorted(d["tags"] + [HASH_PREFIX + content_hash(d)])
    return d


def ours_unedited(remote: dict) -> bool:
    """The remote content still matches its hash tag (canonical, or the pre-canonical hash of older pushes)."""
    tag = hash_tag(remote)
    return tag is not None and tag in (content_hash(remote), legacy_hash(remote))


def diff(remote: dict | None, local: dict, uid: str, context: int = 2) -> str:
    def lines(d: dict | None) -> list[str]:
        return canonical_text(d, indent=2).splitlines(keepends=True) if d else []
    return "".join(difflib.unified_diff(lines(remote), lines(local), f"grafana/{uid}", f"build/{uid}", n=context))


def _panel_count(dashboard: dict) -> int:
    panels = dashboard.get("panels")
    if not isinstance(panels, list):
        return 0
    return sum(1 + (_panel_count(p) if p.get("type") == "row" else 0) for p in panels if isinstance(p, dict))


def summary(remote: dict | None, meta: dict | None = None) -> str:
    """One line about a dashboard we would delete: panels, version, last change."""
    if not remote:
        return "already gone"
    meta = meta or {}
    line = f"{_panel_count(remote)} panels, version {remote.get('version', '?')}"
    if meta.get("updated"):
        line += f", last saved {str(meta['updated'])[:40]}"
        line += f" by {str(meta['updatedBy'])[:60]}" if meta.get("updatedBy") else ""
    return line


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
    meta: dict = field(default_factory=dict)  # the remote dashboard's meta (updated, updatedBy)


@dataclass
class Plan:
    folder_uid: str
    folder_title: str
    folder_exists: bool
    parent_uid: str = ""
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
    dashboards: list[dict] = []
    seen: dict[str, str] = {}  # uid -> the file that has it
    for path in sorted(directory.glob("*.json")):
        try:
            d = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise PushInputError(f"{path}: cannot read dashboard JSON: {exc}") from None
        d = d.get("dashboard", d) if isinstance(d, dict) else d
        if not isinstance(d, dict) or not isinstance(d.get("uid"), str) or not d.get("uid") \
                or not isinstance(d.get("title"), str) or not d["title"].strip():
            raise PushInputError(f"{path}: a dashboard needs a uid and a title")
        tags = d.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise PushInputError(f"{path}: tags must be a list of strings")
        long = [t for t in tags if len(t) > TAG_MAX]
        if long:
            raise PushInputError(f"{path}: tag {long[0][:60]!r} is longer than {TAG_MAX} characters, which Grafana "
                                 "12 and later refuse (400 tag-too-long); shorten it")
        if d["uid"] in seen:
            raise PushInputError(f"{path}: uid {d['uid']!r} is also used by {seen[d['uid']]}")
        seen[d["uid"]] = path.name
        dashboards.append(d)
    if not dashboards:
        raise PushInputError(f"{directory}: no dashboard JSON files")
    return dashboards


def check_access(client: GrafanaClient, folder_uid: str, parent_uid: str = "") -> tuple[dict | None, str]:
    """Credentials and write permission, before planning: (the folder or None, a warning or "").

    GET /api/folders/{uid} answers 401 for bad credentials and says whether the caller can save in the
    folder (canSave). A folder still to create is checked through its parent when there is one.
    """
    folder = client.folder(folder_uid)
    target, name = (folder, folder_uid) if folder is not None else (None, "")
    if folder is None and parent_uid:
        target, name = client.folder(parent_uid), parent_uid
        if target is None:
            raise GrafanaError(f"parent folder {parent_uid!r} (--parent-folder-uid) does not exist in Grafana; create "
                               "it first or drop the option")
    if target is not None and target.get("canSave") is False:
        raise GrafanaError(f"permission denied: the credentials may read folder {name!r} but not save in it; the "
                           "service account needs the Editor role or dashboards:write on that folder", 403)
    warning = ""
    if folder is not None and parent_uid and folder.get("parentUid", "") != parent_uid:
        warning = (f"folder {folder_uid!r} exists below {folder.get('parentUid') or 'the root'!r}, not below "
                   f"{parent_uid!r}; it is used where it is")
    return folder, warning


def make_plan(client: GrafanaClient, local: list[dict], folder_uid: str, folder_title: str, *, force: bool,
              prune: bool, parent_uid: str = "", folder: dict | None = None, checked: bool = False) -> Plan:
    if not checked:
        folder, _ = check_access(client, folder_uid, parent_uid)
    plan = Plan(folder_uid, folder_title, folder is not None, parent_uid)
    for dashboard in local:
        ours = with_markers(dashboard)
        uid, title = ours["uid"], ours["title"]
        found = client.dashboard(uid)
        if found is None:
            plan.changes.append(Change(CREATE, uid, title, ours))
            continue
        remote, meta = found["dashboard"], found["meta"]
        remote_folder = str(meta.get("folderUid") or "")
        change = Change(UPDATE, uid, title, ours, remote, remote_folder, meta=meta)
        tags = remote.get("tags") if isinstance(remote.get("tags"), list) else []
        if same(remote, ours) and remote_folder == folder_uid:
            change.action = UNCHANGED
            plan.changes.append(change)
            continue
        change.diff = diff(remote, ours, uid)
        if OWNER_TAG not in tags:
            change.reason = "a dashboard with this uid exists and is not managed by us (no ownership tag)"
        elif not ours_unedited(remote):
            change.reason = "edited in Grafana since our last push (its content no longer matches its hash tag)"
        if change.reason:
            if force:
                change.reason += "; overwritten because of --force"
            else:
                change.action = REFUSED
        plan.changes.append(change)
    if prune and plan.folder_exists:
        plan.changes += _prune_candidates(client, {d["uid"] for d in local}, folder_uid)
    return plan


def _prune_candidates(client: GrafanaClient, wanted: set[str], folder_uid: str) -> list[Change]:
    """Our dashboards in the folder that are no longer defined, each read by uid (search may lag writes)."""
    changes = []
    seen: set[str] = set()
    for hit in client.search(tag=OWNER_TAG, folder_uid=folder_uid):
        uid = hit["uid"]
        if uid in wanted or uid in seen:
            continue
        seen.add(uid)
        found = client.dashboard(uid)  # the search index may be behind: trust only the dashboard itself
        if found is None:
            continue
        remote, meta = found["dashboard"], found["meta"]
        tags = remote.get("tags") if isinstance(remote.get("tags"), list) else []
        if OWNER_TAG not in tags or str(meta.get("folderUid") or "") != folder_uid:
            continue
        title = str(remote.get("title") or hit.get("title") or "")
        changes.append(Change(DELETE, uid, title, None, remote, folder_uid, "no longer defined",
                              diff(remote, {}, uid), meta))
    return changes


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
        created = client.create_folder(plan.folder_uid, plan.folder_title, plan.parent_uid)
        where = ""
        if plan.parent_uid:
            where = (f" below {plan.parent_uid}" if created.get("parentUid") == plan.parent_uid else
                     f" at the root: this Grafana ignored the parent {plan.parent_uid} (nested folders are off)")
        progress(f"folder   {plan.folder_uid} ({plan.folder_title}): created{where}")
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
    assert change.local is not None
    body = copy.deepcopy(change.local)
    overwrite = False
    if change.remote is not None:
        # Grafana refuses the save (412 version-mismatch, or 409 from 13.x) if it changed since we read it.
        body["id"], body["version"] = change.remote.get("id"), change.remote.get("version")
        tags = change.remote.get("tags") if isinstance(change.remote.get("tags"), list) else []
        overwrite = change.action == UPDATE and OWNER_TAG not in tags  # --force on a foreign dashboard
    try:
        return client.save(body, folder_uid, message, overwrite=overwrite)
    except GrafanaError as exc:
        if not exc.conflict:
            raise
        # A retried save whose first attempt went through (the answer was lost) is a conflict too: a create
        # without id takes the existing dashboard's id and fails the version check. Read back and compare.
        now = client.dashboard(change.uid)
        if now and same(now["dashboard"], change.local):
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
                assert c.remote is not None
                previous = copy.deepcopy(c.remote)
                previous.pop("id", None)
                previous.pop("version", None)
                client.save(previous, c.remote_folder, f"rollback: {message}", overwrite=True)
            report.rolled_back.append(c.uid)
        except GrafanaError as exc:
            report.rollback_errors.append(f"{c.uid}: {exc}")
