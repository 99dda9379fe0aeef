"""The Gitea simulator answers like real Gitea 1.27.3: the same request table, the same token states, the same
status and error wording.

The table is what the exporter probes (exporters/gitea_api/probes.py DEFAULT_PROBES) and what the provider calls
for its Repository, Organization, User, Webhook and Team resources (rossigee/provider-gitea b5b30da,
internal/clients/{repository,organization,user,webhook}.go and gitea.go GetTeam/CreateTeam/UpdateTeam/DeleteTeam/
ListOrganizationTeams; every call sends `Authorization: token <t>`, doRequest). Each request goes out once per
token state, in the same order to both, on worlds set up the same way (setup() below, through the API, with the
admin CLI on the real one for what the API cannot do: the first admin and tokens).

Token states: `valid` (the site admin, scope all), `read-only` (the admin, read scopes only: every write lacks a
scope), `outsider` (a valid all-scope token of a user who owns nothing: private objects are 404 to it),
`anonymous` (no Authorization header), `unknown` (a token Gitea never issued), `revoked` (one it issued, that
was used, then deleted: both are "not found" to models/auth/access_token.go GetAccessTokenBySHA, which re-reads a
cached token from the database), `prohibited` and `must-change` (a blocked account:
prohibit_login, must_change_password; routers/api/v1/api.go verifyAuthWithOptions).

Compared: the status, the error `message` (the server's own URL written as <ROOT_URL>) and the error body's keys.
Not compared: success bodies (the simulator answers sample bodies, checked against the swagger instead) and
`GET /api/healthz`'s body. Known differences, kept out of the comparison: none (all 248 answers agree with
Gitea 1.27.3, docs/gitea-conformance.md); a new one fails the test with the table of differences.

Without the binary (`make tools` builds it, scripts/build-real-stack) the real side skips with one line; the
simulator's side of the same table still runs against the answers Gitea's source gives (test_simulator_...).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.sim.gitea import GiteaSimulator
from tests.sim.gitea_rules import World
from tests.sim.openapi import spec_file
from tests.sim.real_gitea import RealGitea, find_gitea

STATES = ("anonymous", "unknown", "revoked", "prohibited", "must-change", "read-only", "outsider", "valid")
ADMIN = "root"
HOOK = {"type": "gitea", "config": {"url": "https://ci.example.com/hook", "content_type": "json"}, "events": ["push"],
        "active": False}


@dataclass(frozen=True)
class Req:
    name: str
    method: str
    path: str  # {placeholders}: ids from setup() and the token state
    body: dict | None = None


TABLE: tuple[Req, ...] = (
    # The exporter's probes.
    Req("healthz", "GET", "/api/healthz"),
    Req("version", "GET", "/api/v1/version"),
    Req("user", "GET", "/api/v1/user"),
    Req("repos_search", "GET", "/api/v1/repos/search?limit=1"),
    # Repository (internal/clients/repository.go).
    Req("repo get public", "GET", "/api/v1/repos/root/public-repo"),
    Req("repo get private", "GET", "/api/v1/repos/root/private-repo"),
    Req("repo create (user)", "POST", "/api/v1/user/repos", {"name": "made-{state}"}),
    Req("repo create (org)", "POST", "/api/v1/orgs/platform/repos", {"name": "made-{state}"}),
    Req("repo update", "PATCH", "/api/v1/repos/root/public-repo", {"description": "patched by {state}"}),
    Req("repo delete", "DELETE", "/api/v1/repos/root/doomed-repo"),
    # Organization (internal/clients/organization.go).
    Req("org get", "GET", "/api/v1/orgs/platform"),
    Req("org create", "POST", "/api/v1/orgs", {"username": "org-{state}"}),
    Req("org update", "PATCH", "/api/v1/orgs/platform", {"description": "patched by {state}"}),
    Req("org delete", "DELETE", "/api/v1/orgs/doomed-org"),
    # User (internal/clients/user.go).
    Req("user get", "GET", "/api/v1/users/outsider"),
    Req("user create", "POST", "/api/v1/admin/users", {"username": "user-{state}", "email": "{state}@example.com",
                                                        "password": "Pw-{state}-0123456789", "must_change_password": False}),
    Req("user update", "PATCH", "/api/v1/admin/users/outsider", {"source_id": 0, "login_name": "outsider",
                                                                 "full_name": "Outsider {state}"}),
    Req("user delete", "DELETE", "/api/v1/admin/users/doomed-user"),
    # Webhook (internal/clients/webhook.go): repository and organization hooks.
    Req("repo hook get", "GET", "/api/v1/repos/root/public-repo/hooks/{repo_hook}"),
    Req("repo hook create", "POST", "/api/v1/repos/root/public-repo/hooks", HOOK),
    Req("repo hook update", "PATCH", "/api/v1/repos/root/public-repo/hooks/{repo_hook}", {"active": False}),
    Req("repo hook delete", "DELETE", "/api/v1/repos/root/public-repo/hooks/{doomed_repo_hook}"),
    Req("org hook get", "GET", "/api/v1/orgs/platform/hooks/{org_hook}"),
    Req("org hook create", "POST", "/api/v1/orgs/platform/hooks", HOOK),
    Req("org hook update", "PATCH", "/api/v1/orgs/platform/hooks/{org_hook}", {"active": False}),
    Req("org hook delete", "DELETE", "/api/v1/orgs/platform/hooks/{doomed_org_hook}"),
    # Team (internal/clients/gitea.go).
    Req("team get", "GET", "/api/v1/teams/{team}"),
    Req("team list", "GET", "/api/v1/orgs/platform/teams"),
    Req("team create", "POST", "/api/v1/orgs/platform/teams", {"name": "team-{state}", "permission": "read",
                                                              "units": ["repo.code"]}),
    Req("team update", "PATCH", "/api/v1/teams/{team}", {"name": "devs", "description": "patched by {state}"}),
    Req("team delete", "DELETE", "/api/v1/teams/{doomed_team}"),
)

Answer = tuple[int, str, tuple[str, ...]]  # status, error message (<ROOT_URL> for the server's URL), error keys


class Target:
    """One Gitea (real or simulated) set up by setup(): its URL, the token of each state and the ids it made."""

    def __init__(self, url: str, make_admin: Callable[[str], None], make_token: Callable[[str, str], str],
                 revoke: Callable[[str], None]) -> None:
        self.url, self.make_admin, self.make_token, self.revoke = url, make_admin, make_token, revoke
        self.tokens: dict[str, str | None] = {}
        self.ids: dict[str, int] = {}

    def call(self, method: str, path: str, token: str | None, body: dict | None = None) -> requests.Response:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"token {token}"
        return requests.request(method, self.url + path, headers=headers, data=None if body is None else json.dumps(body),
                                timeout=60, allow_redirects=False)

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        r = self.call(method, path, self.tokens["valid"], body)
        assert r.status_code < 300, f"setup {method} {path}: {r.status_code} {r.text[:300]}"
        return r.json() if r.content else {}

    def answer(self, req: Req, state: str) -> Answer:
        fill = {**self.ids, "state": state}
        body = json.loads(json.dumps(req.body).replace("{state}", state)) if req.body else None
        r = self.call(req.method, req.path.format(**fill), self.tokens[state], body)
        if r.status_code < 300:
            return r.status_code, "", ()
        try:
            data = json.loads(r.content.decode().replace(self.url, "<ROOT_URL>"))
        except ValueError:
            return r.status_code, r.text[:200], ("<not json>",)
        if not isinstance(data, dict):
            return r.status_code, str(data)[:200], ()
        return r.status_code, str(data.get("message")), tuple(sorted(data))


def setup(t: Target) -> None:
    """The same world on both: users, a public and a private repository, an organization with hooks and teams, and
    one of each object the `valid` run deletes."""
    t.make_admin(ADMIN)
    t.tokens = {"valid": t.make_token(ADMIN, "all"), "anonymous": None, "unknown": secrets.token_hex(20)}
    for user in ("outsider", "prohibited", "must-change", "doomed-user"):
        t.admin("POST", "/api/v1/admin/users", {"username": user, "email": f"{user}@example.com",
                                                "password": f"Pw-{user}-0123456789", "must_change_password": False})
    for state in ("outsider", "prohibited", "must-change"):
        t.tokens[state] = t.make_token(state, "all")
    t.tokens["read-only"] = t.make_token(ADMIN, "read:admin,read:organization,read:repository,read:user")
    t.tokens["revoked"] = t.make_token("outsider", "all")
    assert t.call("GET", "/api/v1/user", t.tokens["revoked"]).status_code == 200  # used (and cached) before
    t.revoke(t.tokens["revoked"])
    t.admin("PATCH", "/api/v1/admin/users/prohibited", {"source_id": 0, "login_name": "prohibited", "prohibit_login": True})
    t.admin("PATCH", "/api/v1/admin/users/must-change", {"source_id": 0, "login_name": "must-change",
                                                         "must_change_password": True})
    for name, private in (("public-repo", False), ("private-repo", True), ("doomed-repo", False)):
        t.admin("POST", "/api/v1/user/repos", {"name": name, "private": private})
    for org in ("platform", "doomed-org"):
        t.admin("POST", "/api/v1/orgs", {"username": org})
    for key in ("repo_hook", "doomed_repo_hook"):
        t.ids[key] = t.admin("POST", "/api/v1/repos/root/public-repo/hooks", HOOK)["id"]
    for key in ("org_hook", "doomed_org_hook"):
        t.ids[key] = t.admin("POST", "/api/v1/orgs/platform/hooks", HOOK)["id"]
    for key, name in (("team", "devs"), ("doomed_team", "doomed-team")):
        t.ids[key] = t.admin("POST", "/api/v1/orgs/platform/teams", {"name": name, "permission": "read",
                                                                     "units": ["repo.code"]})["id"]


def run_table(t: Target) -> dict[tuple[str, str], Answer]:
    return {(req.name, state): t.answer(req, state) for state in STATES for req in TABLE}


def simulated_target(sim: GiteaSimulator) -> Target:
    def make_admin(name: str) -> None:
        sim.world.add_user(name, admin=True)

    def make_token(user: str, scopes: str) -> str:
        token = secrets.token_hex(20)
        sim.world.add_token(token, user, scopes)
        return token

    def revoke(token: str) -> None:
        del sim.world.tokens[token]

    return Target(sim.url, make_admin, make_token, revoke)


def real_target(real: RealGitea) -> Target:
    """Tokens from the admin CLI; a revoked one is deleted through the API (DELETE /users/{user}/tokens/{id}
    takes basic auth: routers/api/v1/api.go reqBasicOrRevProxyAuth) with the password setup() gave its user."""
    names: dict[str, tuple[str, str]] = {}  # token -> (user, token name)

    def make_token(user: str, scopes: str) -> str:
        name = f"t{secrets.token_hex(4)}"
        token = real.cli("admin", "user", "generate-access-token", "--username", user, "--token-name", name,
                         "--scopes", scopes, "--raw").strip()
        names[token] = (user, name)
        return token

    def revoke(token: str) -> None:
        user, name = names[token]
        r = requests.delete(f"{real.url}/api/v1/users/{user}/tokens/{name}", auth=(user, f"Pw-{user}-0123456789"),
                            timeout=30)
        assert r.status_code == 204, f"revoking a token: {r.status_code} {r.text[:200]}"

    return Target(real.url, real.create_admin, make_token, revoke)


def format_table(rows: dict[tuple[str, str], tuple[Answer, Answer]]) -> str:
    lines = [f"{'request':<20} {'state':<12} {'real':<5} {'sim':<5} difference"]
    for (name, state), (real, sim) in rows.items():
        diff = "" if real == sim else f"real {real[1]!r} {list(real[2])} | sim {sim[1]!r} {list(sim[2])}"
        lines.append(f"{name:<20} {state:<12} {real[0]:<5} {sim[0]:<5} {diff}")
    return "\n".join(lines)


def markdown_matrix(rows: dict[tuple[str, str], tuple[Answer, Answer]]) -> str:
    """Request x token state; a cell is the status both gave, or `real≠sim` where they differ (for the docs)."""
    lines = ["| request | " + " | ".join(STATES) + " |", "|---|" + "---|" * len(STATES)]
    for req in TABLE:
        cells = []
        for state in STATES:
            real, sim = rows[(req.name, state)]
            cells.append(str(real[0]) if real == sim else f"**{real[0]}≠{sim[0]}**" if real[0] != sim[0]
                         else f"**{real[0]} (wording)**")
        lines.append(f"| {req.method} {req.path.replace('/api/v1', '')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@pytest.fixture
def strict_sim():
    sim = GiteaSimulator(spec_file("gitea-swagger.json"), "", version="1.27.3", world=World(lenient=False))
    yield sim
    sim.stop()
    assert not sim.violations, "traffic broke the Gitea spec:\n" + "\n".join(sim.violations)


def test_real_gitea_and_the_simulator_answer_the_table_alike(strict_sim: GiteaSimulator, tmp_path: Path) -> None:
    binary = find_gitea()
    if binary is None:
        pytest.skip("real Gitea 1.27.3 not built (make tools builds it): conformance with the simulator not checked")
    real = RealGitea(binary, tmp_path / "gitea")
    real.start()
    try:
        target = real_target(real)
        setup(target)
        real_answers = run_table(target)
    finally:
        real.stop()
    sim_target = simulated_target(strict_sim)
    setup(sim_target)
    sim_answers = run_table(sim_target)
    rows = {key: (real_answers[key], sim_answers[key]) for key in real_answers}
    if os.environ.get("GITEA_CONFORMANCE_TABLE"):  # where to write the whole table (for a report)
        Path(os.environ["GITEA_CONFORMANCE_TABLE"]).write_text(format_table(rows) + "\n\n" + markdown_matrix(rows) + "\n")
    different = {k: v for k, v in rows.items() if v[0] != v[1]}
    assert not different, f"{len(different)} of {len(rows)} answers differ:\n" + format_table(different)


# What Gitea's source says for cells of the table (routers/api/v1/api.go, services/auth/oauth2.go): checked on the
# simulator alone, so that its rules hold without the binary too.
EXPECTED = {
    ("repos_search", "anonymous"): (200, ""),
    ("repo get public", "anonymous"): (200, ""),
    ("repo get private", "anonymous"): (404, "not found"),
    ("repo get private", "outsider"): (404, "not found"),
    ("org get", "anonymous"): (200, ""),
    ("user get", "anonymous"): (200, ""),
    ("user", "anonymous"): (401, "token is required"),
    ("repo delete", "anonymous"): (401, "token is required"),
    ("user", "unknown"): (401, "invalid username, password or token"),
    ("repos_search", "revoked"): (401, "invalid username, password or token"),
    ("version", "prohibited"): (403, "This account is prohibited from signing in, please contact your site administrator."),
    ("user", "must-change"): (403, "You must change your password. Change it at: <ROOT_URL>//user/change_password"),
    ("repo update", "read-only"): (403, "token does not have at least one of required scope(s), required=[write:repository], "
                                        "token scope=read:admin,read:organization,read:repository,read:user"),
    ("repo create (user)", "read-only"): (403, "token does not have at least one of required scope(s), "
                                               "required=[write:user], token scope=read:admin,read:organization,"
                                               "read:repository,read:user"),
    ("user create", "outsider"): (403, "user should be the site admin"),
    ("org update", "outsider"): (403, "Must be an organization owner"),
    ("team get", "outsider"): (404, "not found"),
    ("team list", "outsider"): (403, "Must be an organization member"),
    ("team get", "anonymous"): (401, "token is required"),
    ("team delete", "valid"): (204, ""),
    ("repo hook create", "valid"): (201, ""),
}


def test_simulator_answers_what_giteas_source_says(strict_sim: GiteaSimulator) -> None:
    target = simulated_target(strict_sim)
    setup(target)
    answers = run_table(target)
    wrong = {k: (answers[k][:2], v) for k, v in EXPECTED.items() if answers[k][:2] != v}
    assert not wrong, "\n".join(f"{k}: got {got}, Gitea's source says {want}" for k, (got, want) in wrong.items())
    blocked = answers[("user", "prohibited")]
    assert blocked[2] == ("message",), "a blocked account's body is a bare map: no url (verifyAuthWithOptions)"
