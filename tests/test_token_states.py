"""The sidecar cannot page for its own configuration: a missing token and a token lacking a scope are their own
states (metric, log line, /readyz), distinct from a rejected token; proven on the exporter and by promtool."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from gitea_provider_monitoring.check import promtool
from gitea_provider_monitoring.exporters.gitea_api.metrics import TOKEN_STATES
from gitea_provider_monitoring.exporters.gitea_api.probes import MAX_MESSAGE_CHARS, account_blocked, gitea_message, missing_scopes
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.render.compiler import load_model
from gitea_provider_monitoring.render.output import to_yaml
from gitea_provider_monitoring.render.testgen import expected_alert
from tests.sim.gitea import GiteaSimulator
from tests.sim.openapi import spec_file
from tests.sim.processes import ExporterProcess, sample
from tests.sim.real_gitea import RealGitea, find_gitea
from tests.test_exporter import FAST, TOKEN, wait_for


def _state(text: str) -> dict[str, float | None]:
    return {s: sample(text, "gitea_api_token_state", state=s) for s in TOKEN_STATES}


@pytest.mark.parametrize(("message", "scopes"), [
    # Gitea routers/api/v1/api.go tokenRequiresScopes, older and current wording.
    ("token does not have at least one of required scope(s): [read:user]", ("read:user",)),
    ("token does not have at least one of required scope(s), required=[read:user read:admin], "
     "token scope=write:repository,write:organization", ("read:user", "read:admin")),
    ("token does not have at least one of required scope(s)", ("unknown",)),
    ("token does not have at least one of required scope(s): [<script>]", ("unknown",)),  # never logged raw
    ("user should be the site admin", ()),
    ("token is required", ()),
])
def test_scope_refusals_are_read_from_gitea_wording(message: str, scopes: tuple[str, ...]) -> None:
    assert missing_scopes(json.dumps({"message": message, "url": ""}).encode()) == scopes


def test_a_non_json_403_is_not_a_scope_refusal() -> None:
    assert missing_scopes(b"<html>forbidden</html>") == ()


@pytest.mark.parametrize(("message", "blocked"), [
    # Gitea 1.27.3 routers/api/v1/api.go verifyAuthWithOptions, word for word.
    ("This account is prohibited from signing in, please contact your site administrator.", True),
    ("You must change your password. Change it at: https://gitea.example.com//user/change_password", True),
    ("This account is not activated.", True),
    ("token does not have at least one of required scope(s), required=[read:user], token scope=read:misc", False),
    ("user should be the site admin", False),
    ("", False),
])
def test_blocked_accounts_are_read_from_gitea_wording(message: str, blocked: bool) -> None:
    assert account_blocked(gitea_message(json.dumps({"message": message}).encode())) is blocked


def test_giteas_message_is_bounded_and_never_carries_the_token() -> None:
    token = "0123456789abcdef0123456789abcdef01234567"
    echoed = gitea_message(json.dumps({"message": f"bad token {token}\n\x1b[31mred"}).encode(), token)
    assert token not in echoed and "<redacted>" in echoed and "\n" not in echoed and "\x1b" not in echoed
    other = "ffffffffffffffffffffffffffffffffffffffff"  # looks like a token even when it is not ours
    assert other not in gitea_message(json.dumps({"message": f"token {other}"}).encode(), token)
    long = gitea_message(json.dumps({"message": "x " * 5000}).encode())
    assert len(long) <= MAX_MESSAGE_CHARS and long.endswith("...")
    assert gitea_message(b"<html>nope</html>") == "" and gitea_message(b'{"message": 3}') == ""
    url = "You must change your password. Change it at: https://gitea.internal.example.com//user/change_password"
    assert gitea_message(json.dumps({"message": url}).encode()) == url  # a URL is not mistaken for a secret


@pytest.mark.parametrize("flag", ["prohibit_login", "must_change_password"])
def test_blocked_account_is_its_own_state_with_giteas_message(flag: str, tmp_path: Path) -> None:
    """A token Gitea knows, of an account that may not sign in: state `blocked`, gitea_api_token_valid 0 (the
    provider's calls all fail: GiteaAPITokenRejected pages), and one log line quoting Gitea, never the token."""
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)  # validates when the specs are present
    blocked_token = "b10c4ed0" * 5
    sim.world.add_user("robot", **{flag: True})
    sim.world.add_token(blocked_token, "robot", "all")
    proc = ExporterProcess(sim.url, tmp_path / "log", *FAST, env={"GITEA_TOKEN": blocked_token})
    try:
        wait_for(lambda: _state(proc.metrics())["blocked"] == 1, "token_state blocked")
        text = proc.metrics()
        assert _state(text) == {s: int(s == "blocked") for s in TOKEN_STATES}
        assert sample(text, "gitea_api_token_valid") == 0
        assert sample(text, "gitea_api_last_status_code", endpoint="user") == 403
        ready = requests.get(proc.url + "/readyz", timeout=5)
        assert ready.status_code == 200 and "may not sign in (HTTP 403)" in ready.text, ready.text
        sim.world.accounts["robot"].prohibit_login = sim.world.accounts["robot"].must_change_password = False
        wait_for(lambda: _state(proc.metrics())["valid"] == 1, "token_state valid once the account is unblocked")
        assert sample(proc.metrics(), "gitea_api_token_valid") == 1
    finally:
        assert proc.stop() == 0
        sim.stop()
    logs = proc.logs()
    expected = {"prohibit_login": "This account is prohibited from signing in",
                "must_change_password": "You must change your password"}[flag]
    lines = [line for line in logs.splitlines() if 'msg="token blocked"' in line]
    assert len(lines) == 1 and expected in lines[0], logs
    assert "(HTTP 403): " + expected in lines[0]  # Gitea's words, not just "HTTP 403"
    # An answer about the token, not a Gitea failure: no "probe failing" line, no failure counted.
    assert 'msg="probe failing" endpoint=user' not in logs, logs
    assert blocked_token not in logs and TOKEN not in logs and "Traceback" not in logs
    assert not sim.violations


def test_blocked_account_on_real_gitea(tmp_path: Path) -> None:
    """The same on real Gitea 1.27.3: an administrator disables sign-in for the token's account."""
    binary = find_gitea()
    if binary is None:
        pytest.skip("real Gitea 1.27.3 not built (make tools builds it): the blocked state not checked on it")
    real = RealGitea(binary, tmp_path / "gitea")
    real.start()
    proc = None
    try:
        real.create_admin("root")
        admin = {"Authorization": f"token {real.token('root', 'all')}"}
        made = requests.post(real.url + "/api/v1/admin/users", headers=admin, timeout=30, json={
            "username": "robot", "email": "robot@example.com", "password": "Pw-robot-0123456789",
            "must_change_password": False})
        assert made.status_code == 201, made.text
        token = real.token("robot", "read:user,read:repository")
        proc = ExporterProcess(real.url, tmp_path / "log", *FAST, env={"GITEA_TOKEN": token})
        wait_for(lambda: _state(proc.metrics())["valid"] == 1, "token_state valid")
        blocked = requests.patch(real.url + "/api/v1/admin/users/robot", headers=admin, timeout=30,
                                 json={"source_id": 0, "login_name": "robot", "prohibit_login": True})
        assert blocked.status_code == 200, blocked.text
        wait_for(lambda: _state(proc.metrics())["blocked"] == 1, "token_state blocked")
        assert sample(proc.metrics(), "gitea_api_token_valid") == 0
    finally:
        if proc is not None:
            assert proc.stop() == 0
        real.stop()
    assert proc is not None
    logs = proc.logs()
    assert 'msg="token blocked"' in logs and "This account is prohibited from signing in" in logs, logs
    assert token not in logs and "Traceback" not in logs


@pytest.mark.parametrize("setup", ["no_file", "empty_file", "no_token_at_all"])
def test_missing_token_is_its_own_state(setup: str, tmp_path: Path) -> None:
    """The exporter runs, says why on /readyz (still 200: readiness gates the provider's pod), in one log line
    and in gitea_api_token_state; no authenticated probe is sent, so nothing counts as a failure."""
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)  # validates when the specs are present
    token_file = tmp_path / "token"
    if setup == "empty_file":
        token_file.write_text("\n")
    args = () if setup == "no_token_at_all" else ("--token-file", str(token_file))
    proc = ExporterProcess(sim.url, tmp_path / "log", *args, *FAST, env={"GITEA_TOKEN": ""})
    try:
        wait_for(lambda: _state(proc.metrics())["missing"] == 1, "token_state missing")
        text = proc.metrics()
        assert _state(text) == {s: int(s == "missing") for s in TOKEN_STATES}
        assert sample(text, "gitea_api_token_valid") is None  # absent: nothing for GiteaAPITokenRejected to see
        assert sample(text, "gitea_api_up") == 1
        assert sample(text, "gitea_api_probes_total", endpoint="user") == 0
        assert sum(sample(text, "gitea_api_probe_failures_total", endpoint=e, reason=r) or 0
                   for e in ("user", "repos_search") for r in ("http_4xx", "invalid_response")) == 0
        ready = requests.get(proc.url + "/readyz", timeout=5)
        assert ready.status_code == 200 and "no Gitea token" in ready.text, ready.text
        expected = {"no_file": "No such file", "empty_file": "is empty", "no_token_at_all": "GITEA_TOKEN"}[setup]
        assert expected in ready.text
        assert sim.count("/api/v1/user") == 0  # never sent without a token
        # The token appears (the Secret is created): probes resume and the state turns valid.
        if setup != "no_token_at_all":
            token_file.write_text(TOKEN)
            wait_for(lambda: _state(proc.metrics())["valid"] == 1, "token_state valid")
            assert sample(proc.metrics(), "gitea_api_token_valid") == 1
            assert requests.get(proc.url + "/readyz", timeout=5).text == "ready\n"
    finally:
        assert proc.stop() == 0
        sim.stop()
    logs = proc.logs()
    assert logs.count('msg="token missing"') == 1, logs  # one line per change, not per round
    assert "Traceback" not in logs and TOKEN not in logs


def test_token_lacking_a_scope_is_valid_with_the_scope_in_the_log(tmp_path: Path) -> None:
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), TOKEN)  # validates when the specs are present
    sim.set_fault("http_403", "/api/v1/user")
    proc = ExporterProcess(sim.url, tmp_path / "log", *FAST, env={"GITEA_TOKEN": TOKEN})
    try:
        wait_for(lambda: _state(proc.metrics())["insufficient_scope"] == 1, "token_state insufficient_scope")
        text = proc.metrics()
        assert sample(text, "gitea_api_token_valid") == 1  # Gitea authenticated it: no TokenRejected page
        assert sample(text, "gitea_api_last_status_code", endpoint="user") == 403
        # An answer from a live Gitea, not a failure: the availability SLO does not burn for it.
        assert sample(text, "gitea_api_probe_failures_total", endpoint="user", reason="http_4xx") == 0
        ready = requests.get(proc.url + "/readyz", timeout=5)
        assert ready.status_code == 200 and "lacks read:user (probe user)" in ready.text
        sim.set_fault("http_401", "/api/v1/user")  # now revoked: rejected, and the gauge says 0
        wait_for(lambda: _state(proc.metrics())["rejected"] == 1, "token_state rejected")
        assert sample(proc.metrics(), "gitea_api_token_valid") == 0
        assert sample(proc.metrics(), "gitea_api_probe_failures_total", endpoint="user", reason="http_4xx") == 0
    finally:
        assert proc.stop() == 0
        sim.stop()
    logs = proc.logs()
    assert 'msg="token lacks scope" scopes=read:user' in logs, logs
    assert 'msg="token rejected"' in logs and TOKEN not in logs
    assert not sim.violations


def _missing_token_series(config: Config) -> list[dict]:
    """What Prometheus scrapes from two replicas of the provider with an exporter without a token, Gitea healthy: probes of the
    unauthenticated endpoints count up, the authenticated ones are never sent, the token state is `missing`."""
    from gitea_provider_monitoring.model import testdata as td

    out = []
    for replica in range(2):
        def s(metric: str, values: str, replica: int = replica, **labels: str) -> None:
            out.append({"series": td.exporter(config, metric, values, replica, **labels).series, "values": values})
        # A healthy provider beside it.
        out.append({"series": td.provider(config, "up", "1x40", replica).series, "values": "1x40"})
        leader = td.provider(config, "leader_election_master_status", "1x40" if replica == 0 else "0x40", replica,
                             name="gitea")
        out.append({"series": leader.series, "values": leader.values})
        s("up", "1x40")
        s("gitea_api_up", "1x40")
        s("gitea_api_token_state", "1x40", state="missing")
        for state in (s for s in TOKEN_STATES if s != "missing"):
            s("gitea_api_token_state", "0x40", state=state)
        for endpoint, values in (("healthz", "0+4x40"), ("version", "0+4x40"), ("user", "0x40"),
                                 ("repos_search", "0x40")):
            s("gitea_api_probes_total", values, endpoint=endpoint)
            for reason in ("timeout", "connection", "tls", "http_4xx", "http_5xx", "invalid_response"):
                s("gitea_api_probe_failures_total", "0x40", endpoint=endpoint, reason=reason)
    return out


def test_missing_token_pages_nobody(built: Path, tmp_path: Path) -> None:
    """promtool: with no token, no critical alert fires and GiteaAPITokenMissing (a warning) does."""
    config = Config()
    alerts = [a for rf in load_model(config).rule_files for a in rf.alerts()]
    (missing,) = [a for a in alerts if a.alert == "GiteaAPITokenMissing"]
    from gitea_provider_monitoring.model import testdata as td

    tests = [{
        "alertname": a.alert, "eval_time": "40m",
        "exp_alerts": [expected_alert(missing, td.group_labels(config), 1)] if a is missing else [],
    } for a in alerts if a.severity == "critical" or a is missing]
    assert len(tests) > 5
    rules = sorted(str(p) for p in (built / "prometheus" / "rules").glob("*.yaml"))
    test_file = tmp_path / "missing-token.test.yaml"
    test_file.write_text(to_yaml({"rule_files": rules, "evaluation_interval": config.evaluation_interval,
                                  "tests": [{"name": "no token: nobody is paged", "interval": "1m",
                                             "input_series": _missing_token_series(config),
                                             "alert_rule_test": tests}]}))
    if not promtool.find_tool("promtool"):
        pytest.skip("promtool not found: run `make tools`")
    promtool.test_rules(test_file)  # raises PromtoolError with promtool's output when an expectation fails
