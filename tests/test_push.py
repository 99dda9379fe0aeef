"""gitea-monitoring push against the Grafana simulator, on every version profile (10.4, 11.x, 12.x, 13.x).

The simulator reproduces Grafana's behaviour as read from its source (tests/sim/grafana_rules.py,
docs/grafana-compatibility.md). It needs no specs; when ../shared/specs is present every request and
response is also checked against Grafana's OpenAPI documents and any violation fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitea_provider_monitoring.cli import main
from gitea_provider_monitoring.delivery import client as grafana_client
from gitea_provider_monitoring.delivery.canonical import content_hash, hash_tag
from gitea_provider_monitoring.delivery.push import OWNER_TAG, ours_unedited, with_markers
from tests.sim.grafana import GrafanaSimulator, go_float64
from tests.sim.grafana_rules import PROFILES, RULES
from tests.sim.openapi import specs_dir

TOKEN = "glsa_s3cr3t_service_account_token"
FOLDER = "gitea-provider"
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=sorted(PROFILES))
def grafana(request: pytest.FixtureRequest) -> Iterator[GrafanaSimulator]:
    sim = GrafanaSimulator(request.param, spec_dir=specs_dir(), token=TOKEN)
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


def push(grafana: GrafanaSimulator, dashboards: Path, capsys: pytest.CaptureFixture, *flags: str,
         url: str | None = None) -> tuple[int, str]:
    code = main(["push", "--dir", str(dashboards), "--grafana-url", url or grafana.url, "--retries", "1",
                 "--timeout", "2", *flags])
    out = capsys.readouterr()
    text = out.out + out.err
    assert TOKEN not in text and "Traceback" not in text
    return code, text


def saves(grafana: GrafanaSimulator) -> int:
    return grafana.writes_to("POST", "/api/dashboards/db")


def edit_local(dashboards: Path, name: str, **changes: object) -> str:
    path = dashboards / f"{name}.json"
    d = json.loads(path.read_text())
    d.update(changes)
    path.write_text(json.dumps(d))
    return d["uid"]


def uid_of(dashboards: Path, name: str) -> str:
    return json.loads((dashboards / f"{name}.json").read_text())["uid"]


# -- the round trip -------------------------------------------------------------------------------------------
def test_first_push_creates_folder_and_dashboards_then_nothing_changes(grafana, dashboards, capsys) -> None:
    code, out = push(grafana, dashboards, capsys)
    assert code == 0, out
    assert FOLDER in grafana.folders and len(grafana.dashboards) == 5
    assert all(OWNER_TAG in d["dashboard"]["tags"] and d["folderUid"] == FOLDER for d in grafana.dashboards.values())
    assert out.count("create ") == 5 and "done: 5 create" in out
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and saves(grafana) == before and "already matches" in out, out
    assert all(ours_unedited(grafana.read(uid)) for uid in grafana.dashboards)


def test_changed_definition_updates_only_that_dashboard(grafana, dashboards, capsys) -> None:
    push(grafana, dashboards, capsys)
    uid = edit_local(dashboards, "capacity-planning", description="new words")
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and saves(grafana) == before + 1, out
    assert f"update   {uid}" in out and grafana.dashboards[uid]["version"] == 2
    assert grafana.dashboards[uid]["dashboard"]["description"] == "new words"
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and saves(grafana) == before + 1 and "already matches" in out


def test_ui_edit_is_refused_with_a_diff_unless_forced(grafana, dashboards, capsys) -> None:
    push(grafana, dashboards, capsys)
    uid = uid_of(dashboards, "troubleshooting")
    grafana.edit_in_ui(uid, description="fixed by hand at 3 a.m.")
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 3 and saves(grafana) == before
    assert "edited in Grafana since our last push" in out and '-  "description": "fixed by hand at 3 a.m."' in out
    code, out = push(grafana, dashboards, capsys, "--force")
    assert code == 0 and grafana.dashboards[uid]["dashboard"]["description"] != "fixed by hand at 3 a.m."


ROUND_TRIP = {"threshold": 80.0, "tiny": 1e-05, "retention": 1209600.0, "big": 1e21, "ratio": 0.995,
              "nested": {"steps": [{"value": 80.0, "color": "red"}, {"value": None}], "deep": {"x": [1.0, 2, 3.5]}}}


def test_integral_floats_and_nested_objects_survive_the_12x_round_trip(dashboards, capsys) -> None:
    """The issue's failure: 12.x returns 80.0 as 80, and the old text hash called that a UI edit."""
    sim = GrafanaSimulator("12.x", spec_dir=specs_dir(), token=TOKEN)
    try:
        uid = edit_local(dashboards, "capacity-planning", gpmRoundTrip=ROUND_TRIP)
        code, out = push(sim, dashboards, capsys)
        assert code == 0, out
        stored = sim.read(uid)
        assert stored["gpmRoundTrip"]["threshold"] == 80 and isinstance(stored["gpmRoundTrip"]["threshold"], int)
        assert "k8s-float64-round-trip" in sim.applied and "k8s-server-fields" in sim.applied
        assert hash_tag(stored) == content_hash(stored) and ours_unedited(stored)
        before = saves(sim)
        code, out = push(sim, dashboards, capsys)
        assert code == 0 and saves(sim) == before and "already matches" in out, out
        edit_local(dashboards, "capacity-planning", description="changed")
        code, out = push(sim, dashboards, capsys)
        assert code == 0 and saves(sim) == before + 1 and "1 update" in out and "0 refused" in out, out
    finally:
        sim.stop()


def test_go_float64_writes_numbers_the_go_way() -> None:
    assert go_float64({"a": 80.0, "b": [1209600.0, 1e-05], "c": True, "d": 2 ** 60 + 1}) == \
        {"a": 80, "b": [1209600, 1e-05], "c": True, "d": 2 ** 60}
    assert go_float64(1e21) == 1e21 and isinstance(go_float64(1e21), float)


def test_titles_are_trimmed_and_still_ours(grafana, dashboards, capsys) -> None:
    uid = edit_local(dashboards, "gitea-api", title="  Gitea API (spaced)  ")
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and grafana.read(uid)["title"] == "Gitea API (spaced)"
    before = saves(grafana)
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and saves(grafana) == before, out


def test_schema_version_is_stored_as_sent(grafana, dashboards, capsys) -> None:
    uid = edit_local(dashboards, "gitea-api", schemaVersion=39)
    assert push(grafana, dashboards, capsys)[0] == 0
    assert grafana.read(uid)["schemaVersion"] == 39


# -- ownership, prune, dry run --------------------------------------------------------------------------------
def test_foreign_dashboard_is_not_touched(grafana, dashboards, capsys) -> None:
    uid = uid_of(dashboards, "gitea-api")
    grafana.put({"uid": uid, "title": "Somebody else's", "tags": [], "panels": []})
    code, out = push(grafana, dashboards, capsys)
    assert code == 3 and "not managed by us" in out
    assert grafana.dashboards[uid]["dashboard"]["title"] == "Somebody else's" and saves(grafana) == 0


def _with_old_dashboard(dashboards: Path) -> Path:
    extra = json.loads((dashboards / "gitea-api.json").read_text())
    extra.update(uid="gitea-provider-old", title="Old dashboard")
    path = dashboards / "old.json"
    path.write_text(json.dumps(extra))
    return path


def test_prune_deletes_only_our_dashboards_that_are_gone(grafana, dashboards, capsys) -> None:
    old = _with_old_dashboard(dashboards)
    push(grafana, dashboards, capsys)
    grafana.add_folder("other", "Other")
    grafana.put({"uid": "theirs", "title": "Theirs", "tags": [], "panels": []}, folder_uid=FOLDER)
    grafana.settle()
    old.unlink()
    code, out = push(grafana, dashboards, capsys, "--prune", "--dry-run")
    assert code == 0 and "gitea-provider-old" in grafana.dashboards, out
    line = next(x for x in out.splitlines() if x.startswith("delete   gitea-provider-old"))
    assert re.search(r"\(Old dashboard\): no longer defined; \d+ panels, version 1, last saved ", line), line
    assert '"panels"' not in out  # one line per deleted dashboard, not its JSON
    code, out = push(grafana, dashboards, capsys, "--prune", "--dry-run", "--diff", "full")
    assert code == 0 and '-  "panels": [' in out
    code, out = push(grafana, dashboards, capsys, "--prune")
    assert code == 0 and "gitea-provider-old" not in grafana.dashboards and "theirs" in grafana.dashboards


def test_prune_reads_each_candidate_so_a_lagging_search_is_harmless(dashboards, capsys) -> None:
    """12.x/13.x search lags writes: a deleted dashboard may still be a hit, a created one not yet."""
    sim = GrafanaSimulator("12.x", spec_dir=specs_dir(), token=TOKEN)
    try:
        old = _with_old_dashboard(dashboards)
        push(sim, dashboards, capsys)
        sim.settle()
        del sim.dashboards["gitea-provider-old"]  # deleted by someone, the index does not know yet
        sim._index_write("gitea-provider-old", None)
        old.unlink()
        code, out = push(sim, dashboards, capsys, "--prune")
        assert code == 0 and "delete" not in out.replace("0 delete", ""), out
        assert sim.writes_to("DELETE", "/api/dashboards/uid/") == 0 and "search-eventual" in sim.applied
    finally:
        sim.stop()


def test_search_is_paged(grafana, dashboards, capsys, monkeypatch) -> None:
    monkeypatch.setattr(grafana_client, "SEARCH_PAGE", 4)
    push(grafana, dashboards, capsys)
    for i in range(9):
        grafana.put({"uid": f"ours-{i}", "title": f"Ours {i}", "tags": [OWNER_TAG], "panels": []}, folder_uid=FOLDER)
    code, out = push(grafana, dashboards, capsys, "--prune")
    assert code == 0 and not [u for u in grafana.dashboards if u.startswith("ours-")], out
    assert len([p for m, p in grafana.history if p == "/api/search"]) >= 3


def test_search_limit_above_5000_is_refused(grafana) -> None:
    import requests

    r = requests.get(grafana.url + "/api/search", params={"limit": 5001}, headers={"Authorization": f"Bearer {TOKEN}"},
                     timeout=5)
    assert r.status_code == 422 and "use page parameter" in r.json()["message"]
    assert grafana_client.SEARCH_PAGE <= 5000


def test_dry_run_changes_nothing_and_exit_code_reports_drift(grafana, dashboards, capsys) -> None:
    code, out = push(grafana, dashboards, capsys, "--dry-run", "--exit-code")
    assert code == 2 and not grafana.dashboards and not grafana.folders and "dry run: nothing written" in out
    push(grafana, dashboards, capsys)
    code, _ = push(grafana, dashboards, capsys, "--dry-run", "--exit-code")
    assert code == 0
    edit_local(dashboards, "gitea-api", description="drift")
    code, out = push(grafana, dashboards, capsys, "--dry-run", "--exit-code")
    assert code == 2 and '+  "description": "drift"' in out
    code, out = push(grafana, dashboards, capsys, "--dry-run", "--diff", "full")
    assert code == 0 and out.count("\n    ") > 200  # the whole JSON, not 2 lines of context


# -- folders ---------------------------------------------------------------------------------------------------
def test_folder_below_another_or_past_the_first_page_is_found_by_uid(grafana, dashboards, capsys) -> None:
    import requests

    for i in range(1000):
        grafana.add_folder(f"team-{i:04}", f"A team {i:04}")
    parent = "platform" if grafana.profile.has("folders-children-only") else ""
    grafana.add_folder("platform", "Platform")
    grafana.add_folder(FOLDER, "Zz Gitea provider", parent=parent)
    listed = requests.get(grafana.url + "/api/folders", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).json()
    assert FOLDER not in {f["uid"] for f in listed}  # what the old plan relied on
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and grafana.writes_to("POST", "/api/folders") == 0, out
    assert f"folder   {FOLDER} (Crossplane Gitea Provider): exists" in out


def test_folder_is_created_below_a_parent(grafana, dashboards, capsys) -> None:
    grafana.add_folder("platform", "Platform")
    code, out = push(grafana, dashboards, capsys, "--parent-folder-uid", "platform")
    if grafana.profile.has("folder-parent"):
        assert code == 0 and "created below platform" in out and grafana.folders[FOLDER]["parentUid"] == "platform"
    else:  # 10.4 without the nestedFolders toggle
        assert code == 0 and "at the root: this Grafana ignored the parent platform" in out, out
    code, out = push(grafana, dashboards, capsys, "--parent-folder-uid", "missing-parent", "--folder-uid", "new")
    assert code == 1 and "parent folder 'missing-parent'" in out and "new" not in grafana.folders


# -- conflicts and failures ------------------------------------------------------------------------------------
def test_retried_create_whose_answer_was_lost_is_recognised(grafana, dashboards, capsys) -> None:
    """The save went through but its answer was lost: the retry is a conflict (412 or 13.x's 409)."""
    uid = uid_of(dashboards, "gitea-api")
    grafana.lose_answer_uids.add(uid)
    code, out = push(grafana, dashboards, capsys)
    assert code == 0 and len(grafana.dashboards) == 5, out
    assert "retried-create-gets-existing-id" in grafana.applied
    assert ({"conflict-409-without-status", "version-mismatch-412"} & grafana.applied)


def test_concurrent_edit_is_a_conflict_on_every_profile(grafana, dashboards, capsys) -> None:
    push(grafana, dashboards, capsys)
    first = edit_local(dashboards, "capacity-planning", description="v2")
    second = edit_local(dashboards, "troubleshooting", description="v2")

    def somebody_saves_first(cmd: dict) -> None:
        if cmd["dashboard"]["uid"] == second and grafana.dashboards[second]["version"] == 1:
            grafana.edit_in_ui(second, description="their edit")

    grafana.on_save = somebody_saves_first
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "changed in Grafana while this push ran" in out, out
    assert ("HTTP 409" in out) == grafana.profile.has("conflict-409-without-status")
    assert f"rolled back: {first}" in out and grafana.dashboards[second]["dashboard"]["description"] == "their edit"


def test_name_exists_where_grafana_still_has_it(grafana, dashboards, capsys) -> None:
    grafana.add_folder(FOLDER, "Crossplane Gitea Provider")
    last = json.loads(sorted(dashboards.glob("*.json"))[-1].read_text())
    grafana.put({"uid": "their-copy", "title": last["title"], "tags": [], "panels": []}, folder_uid=FOLDER)
    code, out = push(grafana, dashboards, capsys)
    if grafana.profile.has("name-exists-412"):
        assert code == 1 and "412" in out and "name-exists" in out
        assert set(grafana.dashboards) == {"their-copy"}  # the four created before it were deleted again
    else:  # titles are not unique per folder since 11.3
        assert code == 0 and len(grafana.dashboards) == 6, out


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
    grafana.drop_uids.add(uid_of(dashboards, "resource-management"))
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "connection failed" in out and "restored" in out
    assert not grafana.dashboards


def test_timeouts_retry_then_fail(grafana, dashboards, capsys) -> None:
    grafana.delay = 2.5
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "timed out" in out and "after 2 attempts" in out


def test_tags_longer_than_50_are_refused_before_anything_is_sent(grafana, dashboards, capsys) -> None:
    edit_local(dashboards, "gitea-api", tags=["x" * 51])
    code, out = push(grafana, dashboards, capsys)
    assert code == 4 and "longer than 50" in out and not grafana.history
    body = {"dashboard": {"uid": "t", "title": "T", "tags": ["x" * 51]}, "folderUid": "", "overwrite": False}
    import requests

    r = requests.post(grafana.url + "/api/dashboards/db", json=body, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=5)
    assert (r.status_code, r.json().get("status")) == ((400, "tag-too-long") if grafana.profile.has("tag-too-long")
                                                        else (200, "success"))


# -- credentials -----------------------------------------------------------------------------------------------
def test_401_and_403_say_what_is_missing_before_planning(grafana, dashboards, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", "wrong-token")
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "authentication failed" in out and "wrong-token" not in out
    grafana.add_folder(FOLDER, "Crossplane Gitea Provider")
    grafana.viewer_tokens.add("viewer-token")
    monkeypatch.setenv("GRAFANA_TOKEN", "viewer-token")
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "permission denied" in out and "Editor" in out and not grafana.dashboards
    assert not [p for _, p in grafana.history[-3:] if p.startswith("/api/dashboards/uid/")]  # before planning
    code, out = push(grafana, dashboards, capsys, "--check")
    assert code == 1 and "permission denied" in out


def test_check_verifies_credentials_and_permission_only(grafana, dashboards, capsys) -> None:
    code, out = push(grafana, dashboards, capsys, "--check")
    assert code == 0 and "credentials accepted" in out and not grafana.dashboards and not grafana.folders


def test_org_mismatch_is_explained(grafana, dashboards, capsys) -> None:
    code, out = push(grafana, dashboards, capsys, "--org-id", "2")
    assert code == 1 and "belongs to another organization" in out and "drop --org-id" in out, out
    assert "check GRAFANA_TOKEN" not in out and grafana.last_org_header == "2"


def test_org_header_and_basic_auth(dashboards, capsys, monkeypatch) -> None:
    sim = GrafanaSimulator("12.x", spec_dir=specs_dir(), token="unused", basic=("admin", "pw-secret"))
    monkeypatch.delenv("GRAFANA_TOKEN")
    monkeypatch.setenv("GRAFANA_USER", "admin")
    monkeypatch.setenv("GRAFANA_PASSWORD", "pw-secret")
    try:
        code, out = push(sim, dashboards, capsys, "--org-id", "3")
        assert code == 0 and sim.last_org_header == "3" and "pw-secret" not in out
    finally:
        sim.stop()
    assert not sim.violations


def test_usage_errors_exit_4(grafana, tmp_path: Path, capsys, monkeypatch) -> None:
    code, out = push(grafana, tmp_path / "nothing", capsys)
    assert code == 4 and "make build" in out
    monkeypatch.delenv("GRAFANA_TOKEN")
    code, out = push(grafana, tmp_path, capsys)
    assert code == 4 and "no credentials" in out


def test_empty_token_file_is_an_error_not_a_fallback(grafana, dashboards, tmp_path, capsys) -> None:
    empty = tmp_path / "token"
    empty.write_text("\n")
    code, out = push(grafana, dashboards, capsys, "--token-file", str(empty))
    assert code == 4 and "is empty" in out and not grafana.history


# -- hostile answers (issue #20 items 9 and 10) ----------------------------------------------------------------
def test_a_credential_echoed_by_grafana_or_a_proxy_is_never_printed(grafana, dashboards, capsys, monkeypatch) -> None:
    grafana.echo_credentials = True
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_wrong_but_still_secret_0123456789")
    code, out = push(grafana, dashboards, capsys)
    assert code == 1 and "glsa_wrong_but_still_secret" not in out and "[REDACTED]" in out, out
    monkeypatch.delenv("GRAFANA_TOKEN")
    url = grafana.url.replace("http://", "http://admin:url-pass-w0rd@")
    code, out = push(grafana, dashboards, capsys, url=url)
    assert code == 1 and "url-pass-w0rd" not in out and "YWRtaW46dXJsLXBhc3MtdzByZA" not in out, out


def test_plain_http_to_another_host_is_refused_without_a_flag(dashboards, capsys) -> None:
    code = main(["push", "--dir", str(dashboards), "--grafana-url", "http://grafana.example.invalid:3000"])
    out = capsys.readouterr()
    assert code == 4 and "plain http" in out.err and "--allow-http" in out.err
    assert grafana_client.is_loopback("http://127.0.0.1:3000") and grafana_client.is_loopback("http://localhost")
    assert not grafana_client.is_loopback("http://10.0.0.1") and not grafana_client.is_loopback("http://[::2]:80")


@pytest.mark.parametrize("path", ["/api/folders/", "/api/dashboards/uid/", "/api/search", "/api/dashboards/db"])
def test_every_answer_shape_is_handled_or_reported(grafana, dashboards, capsys, path) -> None:
    old = _with_old_dashboard(dashboards)
    push(grafana, dashboards, capsys)
    grafana.settle()
    old.unlink()
    edit_local(dashboards, "gitea-api", description="changed")
    grafana.empty_answers.add(path)
    code, out = push(grafana, dashboards, capsys, "--prune")
    assert code == 1 and "unexpected answer from Grafana" in out, out


# -- the simulator's own rules ---------------------------------------------------------------------------------
def test_every_simulator_rule_has_a_row_in_the_compatibility_table() -> None:
    table = (REPO_ROOT / "docs" / "grafana-compatibility.md").read_text()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9-]+)` \|.*$", table, re.M)}
    missing = sorted(set(RULES) - set(rows))
    assert not missing, f"docs/grafana-compatibility.md has no row for simulator rule(s) {missing}"
    assert not sorted(set(rows) - set(RULES)), "the table documents rules the simulator does not have"
    for rule in RULES.values():
        row = rows[rule.id]
        assert rule.source.split()[0] in row, f"{rule.id}: the row must cite {rule.source.split()[0]}"
        assert all(v in row for v in rule.versions), f"{rule.id}: the row must list versions {rule.versions}"


def test_every_simulator_rule_is_applied_by_the_simulator() -> None:
    source = (REPO_ROOT / "tests" / "sim" / "grafana.py").read_text()
    unused = [r for r in RULES if f'"{r}"' not in source]
    assert not unused, f"rules declared but never applied by tests/sim/grafana.py: {unused}"


def test_markers_hash_the_canonical_form() -> None:
    d = {"uid": "u", "title": " T ", "tags": ["b", "a"], "panels": [{"gridPos": {"h": 8.0}}], "id": 3, "version": 9}
    marked = with_markers(d)
    assert marked["title"] == "T" and OWNER_TAG in marked["tags"] and "id" not in marked
    back = go_float64({**marked, "id": 7, "version": 2})
    assert ours_unedited(back) and hash_tag(back) == content_hash(marked)


def test_conformance_with_the_openapi_documents(dashboards, capsys) -> None:
    """Runs only with ../shared/specs (or $SPECS_DIR); every other test here runs without them."""
    found = specs_dir()
    if found is None:
        pytest.skip("official specs not found: set SPECS_DIR or provide ../shared/specs; conformance not checked")
    for profile in sorted(PROFILES):
        sim = GrafanaSimulator(profile, spec_dir=found, token=TOKEN)
        try:
            assert push(sim, dashboards, capsys, "--prune")[0] == 0
            assert sim.specs[0].check_request("POST", "/api/dashboards/db", {}, b'{"dashboard": {}, "overwrite": "x"}')
            assert sim.specs[0].check_request("GET", "/api/dashboards/id/3", {})
        finally:
            sim.stop()
        assert not sim.violations, "\n".join(sim.violations)


def test_make_push_passes_the_config() -> None:
    import subprocess

    out = subprocess.run(["make", "-n", "push", "CONFIG=my-config.yaml"], cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=60).stdout
    line = next(x for x in out.splitlines() if " push --dir " in x)
    assert "--config my-config.yaml" in line
