"""gitea-monitoring push against the Grafana simulator (every request and response checked against the
Grafana 12.x dashboard API subset in ../shared/specs)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitoring.cli import main
from monitoring.grafana.push import OWNER_TAG
from tests.sim.grafana import GrafanaSimulator
from tests.sim.openapi import spec_file

TOKEN = "glsa_s3cr3t_service_account_token"
FOLDER = "gitea-provider"


@pytest.fixture()
def grafana() -> Iterator[GrafanaSimulator]:
    sim = GrafanaSimulator(spec_file("grafana-openapi.dashboards-subset.json"), token=TOKEN)
    yield sim
    sim.stop()
    assert not sim.violations, "push traffic broke the Grafana spec:\n" + "\n".join(sim.violations)


@pytest.fixture()
def dashboards(built: Path, tmp_path: Path) -> Path:
    out = tmp_path / "dashboards"
    shutil.copytree(built / "grafana" / "dashboards", out)
    return out


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    for name in ("GRAFANA_URL", "GRAFANA_USER", "GRAFANA_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def push(grafana: GrafanaSimulator, dashboards: Path, capsys: pytest.CaptureFixture, *flags: str) -> tuple[int, str]:
    code = main(["push", "--dir", str(dashboards), "--grafana-url", grafana.url, "--retries", "1", "--timeout", "2",
                 *flags])
    out = capsys.readouterr()
    text = out.out + out.err
    assert TOKEN not in text
    return code, text


def saves(grafana: GrafanaSimulator) -> int:
    return grafana.writes_to("POST", "/api/dashboards/db")


def edit_local(dashboards: Path, name: str, **changes: object) -> str:
    path = dashboards / f"{name}.json"
    d = json.loads(path.read_text())
    d.update(changes)
    path.write_text(json.dumps(d))
    return d["uid"]


def test_first_push_creates_folder_and_dashboards_then_nothing_changes(grafana, dashboards, capsys) -> None:
    code, out = push(grafana, dashboards, capsys)
    assert code == 0, out
    assert FOLDER in grafana.folders and len(grafana.dashboards) == 5
    assert all(OWNER_TAG in d["dashboard"]["tags"] and d["folderUid"] == FOLDER for d in grafana.dashboards.values())
    assert out.count("create ") == 5 and "done: 5 create" in out
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and saves(grafana) == before and "already matches" in out


def test_changed_definition_updates_only_that_dashboard(grafana, dashboards, capsys) -> None:
    push(grafana, dashboards, capsys)
    uid = edit_local(dashboards, "capacity-planning", description="new words")
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and saves(grafana) == before + 1
    assert f"update   {uid}" in out and grafana.dashboards[uid]["dashboard"]["version"] == 2
    assert grafana.dashboards[uid]["dashboard"]["description"] == "new words"


def test_ui_edit_is_refused_with_a_diff_unless_forced(grafana, dashboards, capsys) -> None:
    push(grafana, dashboards, capsys)
    uid = json.loads((dashboards / "troubleshooting.json").read_text())["uid"]
    grafana.edit_in_ui(uid, description="fixed by hand at 3 a.m.")
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 3 and saves(grafana) == before
    assert "edited in Grafana since our last push" in out and '-  "description": "fixed by hand at 3 a.m."' in out
    code, out = push(grafana, dashboards, capsys, "--force")
    assert code == 0 and grafana.dashboards[uid]["dashboard"]["description"] != "fixed by hand at 3 a.m."


def test_foreign_dashboard_is_not_touched(grafana, dashboards, capsys) -> None:
    uid = json.loads((dashboards / "gitea-api.json").read_text())["uid"]
    grafana.put({"uid": uid, "title": "Somebody else's", "tags": [], "panels": []})
    code, out = push(grafana, dashboards, capsys)
    assert code == 3 and "not managed by us" in out
    assert grafana.dashboards[uid]["dashboard"]["title"] == "Somebody else's" and saves(grafana) == 0


def test_prune_deletes_only_our_dashboards_that_are_gone(grafana, dashboards, capsys) -> None:
    extra = json.loads((dashboards / "gitea-api.json").read_text())
    extra.update(uid="gitea-provider-old", title="Old dashboard")
    (dashboards / "old.json").write_text(json.dumps(extra))
    push(grafana, dashboards, capsys)
    grafana.folders["other"] = {"id": 99, "uid": "other", "title": "Other"}
    grafana.put({"uid": "theirs", "title": "Theirs", "tags": [], "panels": []}, folder_uid=FOLDER)
    (dashboards / "old.json").unlink()
    code, out = push(grafana, dashboards, capsys, "--prune", "--dry-run")
    assert code == 0 and "delete   gitea-provider-old" in out and "gitea-provider-old" in grafana.dashboards
    code, out = push(grafana, dashboards, capsys, "--prune")
    assert code == 0 and "gitea-provider-old" not in grafana.dashboards and "theirs" in grafana.dashboards


def test_dry_run_changes_nothing_and_exit_code_reports_drift(grafana, dashboards, capsys) -> None:
    code, out = push(grafana, dashboards, capsys, "--dry-run", "--exit-code")
    assert code == 2 and not grafana.dashboards and not grafana.folders and "dry run: nothing written" in out
    push(grafana, dashboards, capsys)
    code, _ = push(grafana, dashboards, capsys, "--dry-run", "--exit-code")
    assert code == 0
    edit_local(dashboards, "gitea-api", description="drift")
    code, out = push(grafana, dashboards, capsys, "--dry-run", "--exit-code")
    assert code == 2 and '+  "description": "drift"' in out


def test_401_and_403_say_what_is_missing(grafana, dashboards, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", "wrong-token")
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "authentication failed" in out and "wrong-token" not in out
    grafana.viewer_tokens.add("viewer-token")
    monkeypatch.setenv("GRAFANA_TOKEN", "viewer-token")
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "permission denied" in out and "Editor" in out and not grafana.dashboards


def test_412_name_exists_is_explained_and_rolled_back(grafana, dashboards, capsys) -> None:
    grafana.folders[FOLDER] = {"id": 50, "uid": FOLDER, "title": "Crossplane Gitea Provider"}
    # Another team's dashboard in the folder with the title of our last dashboard (another uid).
    last = json.loads(sorted(dashboards.glob("*.json"))[-1].read_text())
    grafana.put({"uid": "their-copy", "title": last["title"], "tags": [], "panels": []}, folder_uid=FOLDER)
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "412" in out and "name-exists" in out
    assert set(grafana.dashboards) == {"their-copy"}  # the four created before it were deleted again


def test_500_midway_rolls_back_updates_to_their_previous_content(grafana, dashboards, capsys) -> None:
    push(grafana, dashboards, capsys)
    before = {uid: d["dashboard"]["description"] for uid, d in grafana.dashboards.items()}
    first = edit_local(dashboards, "capacity-planning", description="v2")
    second = edit_local(dashboards, "troubleshooting", description="v2")
    grafana.fail_uids.add(second)
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "HTTP 500" in out and f"rolled back: {first}" in out
    assert {uid: d["dashboard"]["description"] for uid, d in grafana.dashboards.items()} == before


def test_connection_dropped_in_a_batch_is_rolled_back(grafana, dashboards, capsys) -> None:
    uids = sorted(json.loads(p.read_text())["uid"] for p in dashboards.glob("*.json"))
    grafana.drop_uids.add(json.loads((dashboards / "resource-management.json").read_text())["uid"])
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "connection failed" in out and "restored" in out
    assert not grafana.dashboards and len(uids) == 5


def test_timeouts_retry_then_fail(grafana, dashboards, capsys) -> None:
    grafana.delay = 2.5
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "timed out" in out and "after 2 attempts" in out


def test_org_header_and_basic_auth(dashboards, capsys, monkeypatch) -> None:
    sim = GrafanaSimulator(spec_file("grafana-openapi.dashboards-subset.json"), token="unused", basic=("admin", "pw"))
    monkeypatch.delenv("GRAFANA_TOKEN")
    monkeypatch.setenv("GRAFANA_USER", "admin")
    monkeypatch.setenv("GRAFANA_PASSWORD", "pw")
    try:
        code, out = push(sim, dashboards, capsys, "--org-id", "3")
        assert code == 0 and sim.last_org_header == "3" and "pw" not in out.replace("push", "")
    finally:
        sim.stop()
    assert not sim.violations


def test_usage_errors_exit_4(grafana, tmp_path: Path, capsys, monkeypatch) -> None:
    code, out = push(grafana, tmp_path / "nothing", capsys)
    assert code == 4 and "make build" in out
    monkeypatch.delenv("GRAFANA_TOKEN")
    code, out = push(grafana, tmp_path, capsys)
    assert code == 4 and "no credentials" in out


def test_simulator_rejects_requests_grafana_would_reject(grafana, specs: Path) -> None:
    assert grafana.spec.check_request("POST", "/api/dashboards/db", {}, b'{"dashboard": {}, "overwrite": "yes"}')
    assert grafana.spec.check_request("GET", "/api/dashboards/id/3", {})
