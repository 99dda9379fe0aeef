"""Who may call what on Gitea 1.27.3's API, as its source decides it: the access model of tests/sim/gitea.py.

Every rule cites the file of code.gitea.io/gitea v1.27.3 it follows (module `gitea.dev`; read from the Go
module cache or github.com/go-gitea/gitea at v1.27.3). A request goes through the same steps, in the same
order, as Gitea's middleware chain does, so the first refusal is Gitea's first refusal:

1. authentication (routers/api/v1/api.go apiAuth, services/auth/oauth2.go userFromToken,
   modules/auth/httpauth/httpauth.go ParseAuthorizationHeader): `token X` / `bearer X` names a token; an
   unknown one (models/auth/access_token.go GetAccessTokenBySHA: also any token shorter than 8) is 401
   "invalid username, password or token"; no header, or one that does not parse (`token ` with nothing
   after it), is anonymous.
2. blocked accounts (routers/api/v1/api.go verifyAuthWithOptions), on every API route: a prohibited or
   inactive account is 403 "This account is prohibited from signing in, please contact your site
   administrator.", one that must change its password 403 "You must change your password. Change it at:
   <ROOT_URL>/user/change_password" (ROOT_URL ends in a slash, so the URL has two). Both bodies carry only
   `message` (ctx.JSON of a map, not APIError: no `url`).
3. the route's own chain (routers/api/v1/api.go Routes), encoded in ROUTES below as steps: `scope:<category>`
   is tokenRequiresScopes (skipped without a token; the level is read for GET/HEAD and write for POST, PUT,
   PATCH, DELETE; 403 "token does not have at least one of required scope(s), required=[...], token
   scope=..."); `token` is reqToken (401 "token is required"); `repo`, `org`, `team`, `user` load the object
   named in the path (repoAssignment, orgAssignment, context.UserAssignmentAPI: 404 "not found" when it does
   not exist or the doer cannot see it: a private repository answers 404, never 403); the permission steps
   answer 403 with the wording of their middleware.

Scopes follow models/auth/access_token_scope.go: write implies read, `all` is every write scope, the token's
scope is shown normalized (allAccessTokenScopes order, a read dropped when its write is there, the full set
shown as `all`). Not modelled: basic auth, OAuth2/JWT and Actions tokens, `public-only` tokens
(checkTokenPublicOnly), collaborators, team unit permissions, redirects of renamed users/repositories.

`lenient` worlds (the default of the simulator, for tests that only need a Gitea that answers) make every
owner, repository, organization, user, hook and team named in a path exist (public, owned by the first
admin) and never change state; `strict` worlds know only what was added and apply creates and deletes.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

# models/auth/access_token_scope.go allAccessTokenScopes: the order a normalized scope is written in.
SCOPE_ORDER = ("public-only", "write:activitypub", "read:activitypub", "write:admin", "read:admin", "write:misc",
               "read:misc", "write:notification", "read:notification", "write:organization", "read:organization",
               "write:package", "read:package", "write:issue", "read:issue", "write:repository", "read:repository",
               "write:user", "read:user")
CATEGORIES = ("activitypub", "admin", "misc", "notification", "organization", "package", "issue", "repository", "user")
_ALL_WRITES = ",".join(f"write:{c}" for c in CATEGORIES)

# Messages, each from the file named beside it (routers/api/v1/api.go unless said otherwise).
INVALID_TOKEN = "invalid username, password or token"  # apiAuth
PROHIBITED = "This account is prohibited from signing in, please contact your site administrator."  # verifyAuthWithOptions
MUST_CHANGE_PASSWORD = "You must change your password. Change it at: {app_url}/user/change_password"  # verifyAuthWithOptions
TOKEN_REQUIRED = "token is required"  # reqToken
NOT_FOUND = "not found"  # services/context/api.go APIErrorNotFound
SCOPE_MISSING = "token does not have at least one of required scope(s), required=[{required}], token scope={scope}"
SITE_ADMIN = "user should be the site admin"  # reqSiteAdmin
REPO_OWNER = "user should be the owner of the repo"  # reqOwner
REPO_ADMIN = "user should be an owner or a collaborator with admin write of a repository"  # reqAdmin
ANY_READER = "user should have any permission to read repository or permissions of site admin"  # reqAnyRepoReader
ORG_OWNER = "Must be an organization owner"  # reqOrgOwnership
ORG_MEMBER = "Must be an organization member"  # reqOrgMembership
TEAM_MEMBER = "Must be a team member"  # denyNonTeamMember
ORG_CREATE_REPO = "User is not allowed to create repositories in this organization."  # repo/fork.go prepareDoerCreateRepoInOrg
REPO_EXISTS = "The repository with the same name already exists."  # repo/repo.go CreateUserRepo


def normalize_scope(scope: str) -> str:
    """models/auth/access_token_scope.go Normalize: the form Gitea stores and prints in its 403."""
    bits = _bits(scope)
    out: list[str] = []
    covered: set[str] = set()
    for single in SCOPE_ORDER:
        implied = _bits(single)
        if implied <= bits and not implied <= covered:
            covered |= implied
            out.append(single)
    text = ",".join(out)
    return text.replace(_ALL_WRITES, "all")


def _bits(scope: str) -> set[str]:
    bits: set[str] = set()
    for single in (s for s in scope.split(",") if s):
        if single == "all":
            bits |= {f"{lvl}:{c}" for c in CATEGORIES for lvl in ("read", "write")}
        elif single == "public-only":
            bits.add(single)
        elif single.startswith("write:"):
            bits |= {single, "read:" + single[6:]}
        elif single in SCOPE_ORDER:
            bits.add(single)
        else:
            raise ValueError(f"invalid access token scope: {single}")
    return bits


def has_scope(token_scope: str, required: str) -> bool:
    return required in _bits(token_scope)


@dataclass
class Account:
    """A user or an organization (Gitea keeps both in one table: models/user/user.go)."""
    name: str
    admin: bool = False
    org: bool = False
    visibility: str = "public"  # public | limited | private (modules/structs/visible_type.go)
    prohibit_login: bool = False
    must_change_password: bool = False
    active: bool = True
    owners: set[str] = field(default_factory=set)  # organizations: members of the Owners team
    members: set[str] = field(default_factory=set)  # organizations: members of any team (owners included)


@dataclass
class Repo:
    owner: str
    name: str
    private: bool = False


@dataclass
class Team:
    id: int
    org: str
    name: str
    visibility: str = "private"  # models/organization/team.go NormalizeTeamVisibility: unknown -> private
    members: set[str] = field(default_factory=set)


@dataclass
class Token:
    user: str
    scope: str  # normalized


@dataclass(frozen=True)
class Decision:
    status: int
    payload: object  # the JSON body; None for 204
    created: object = None  # strict worlds: what a successful create made (for the caller's sample body)


class World:
    """Accounts, repositories, hooks, teams and tokens one simulated Gitea knows."""

    def __init__(self, lenient: bool = True, app_url: str = "http://127.0.0.1/") -> None:
        self.lenient, self.app_url = lenient, app_url
        self.accounts: dict[str, Account] = {}
        self.repos: dict[tuple[str, str], Repo] = {}
        self.hooks: dict[int, tuple[str, str | None]] = {}  # id -> (owner, repo or None for an org hook)
        self.teams: dict[int, Team] = {}
        self.tokens: dict[str, Token] = {}
        self._ids = itertools.count(1)

    # -- building a world ------------------------------------------------------------------------
    def add_user(self, name: str, **flags: object) -> Account:
        account = Account(name, **flags)  # type: ignore[arg-type]
        self.accounts[name.lower()] = account
        return account

    def add_org(self, name: str, owner: str, visibility: str = "public") -> Account:
        """An organization as POST /orgs makes it: its creator in the Owners team (services/org/org.go)."""
        org = Account(name, org=True, visibility=visibility, owners={owner.lower()}, members={owner.lower()})
        self.accounts[name.lower()] = org
        self.add_team(name, "Owners", visibility="public", members={owner.lower()})
        return org

    def add_repo(self, owner: str, name: str, private: bool = False) -> Repo:
        repo = Repo(owner, name, private)
        self.repos[(owner.lower(), name.lower())] = repo
        return repo

    def add_hook(self, owner: str, repo: str | None = None) -> int:
        hook_id = next(self._ids)
        self.hooks[hook_id] = (owner.lower(), repo.lower() if repo else None)
        return hook_id

    def add_team(self, org: str, name: str, visibility: str = "private", members: set[str] | None = None) -> Team:
        team = Team(next(self._ids), org.lower(), name, visibility, set(members or ()))
        self.teams[team.id] = team
        account = self.accounts.get(org.lower())
        if account is not None:
            account.members |= team.members
        return team

    def add_token(self, token: str, user: str, scope: str = "all") -> None:
        self.tokens[token] = Token(user.lower(), normalize_scope(scope))

    # -- lookups (lenient: anything named exists) -----------------------------------------------
    def _first_admin(self) -> str:
        return next((a.name.lower() for a in self.accounts.values() if a.admin), "admin")

    def account(self, name: str) -> Account | None:
        found = self.accounts.get(name.lower())
        if found is None and self.lenient:
            found = Account(name, org=True, owners={self._first_admin()}, members={self._first_admin()})
        return found

    def repo(self, owner: str, name: str) -> Repo | None:
        found = self.repos.get((owner.lower(), name.lower()))
        return Repo(owner, name) if found is None and self.lenient else found

    def hook(self, hook_id: str, owner: str, repo: str | None) -> bool:
        if self.lenient:
            return True
        return hook_id.isdigit() and self.hooks.get(int(hook_id)) == (owner.lower(), repo.lower() if repo else None)

    def team(self, team_id: str) -> Team | None:
        if not team_id.isdigit():
            return None
        found = self.teams.get(int(team_id))
        return Team(int(team_id), "", "team") if found is None and self.lenient else found


class _Refused(Exception):
    def __init__(self, status: int, message: str, url: bool = True) -> None:
        super().__init__(message)
        self.status, self.message, self.url = status, message, url


@dataclass
class _Request:
    method: str
    params: dict[str, str]
    body: dict
    doer: Account | None = None
    token: Token | None = None
    repo: Repo | None = None
    org: Account | None = None
    team: Team | None = None
    user: Account | None = None


# (method, template under /api/v1, steps): each route's middleware chain in Gitea's order (routers/api/v1/api.go
# Routes; the group's middleware runs before the route's own), ending in the handler's own checks.
_REPO = ("scope:repository", "repo")  # m.Group("/repos") ... repoAssignment(), checkTokenPublicOnly()
_ORG = ("scope:organization", "org")  # m.Group("/orgs/{org}") ... orgAssignment(true)
_TEAM = ("scope:organization", "team", "token")  # m.Group("/teams/{teamid}") ... orgAssignment(false, true), reqToken()
_ADMIN = ("scope:admin", "token", "site_admin")  # m.Group("/admin") ... reqToken(), reqSiteAdmin()
ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("GET", "/version", ()),  # misc group: no scope
    ("GET", "/user", ("scope:user", "token")),  # m.Group("/user", ..., tokenRequiresScopes(User), reqToken())
    ("POST", "/user/repos", ("scope:user", "token", "scope:repository")),  # m.Combo("/repos", tokenRequiresScopes(Repository))
    ("GET", "/user/repos", ("scope:user", "token", "scope:repository")),
    ("GET", "/repos/search", ("scope:repository",)),  # anonymous: public repositories only
    ("GET", "/repos/{owner}/{repo}", (*_REPO, "any_reader")),
    ("PATCH", "/repos/{owner}/{repo}", (*_REPO, "token", "repo_admin")),
    ("DELETE", "/repos/{owner}/{repo}", (*_REPO, "token", "repo_owner")),
    ("GET", "/repos/{owner}/{repo}/hooks", (*_REPO, "token", "repo_admin")),
    ("POST", "/repos/{owner}/{repo}/hooks", (*_REPO, "token", "repo_admin")),
    ("GET", "/repos/{owner}/{repo}/hooks/{id}", (*_REPO, "token", "repo_admin", "repo_hook")),
    ("PATCH", "/repos/{owner}/{repo}/hooks/{id}", (*_REPO, "token", "repo_admin", "repo_hook")),
    ("DELETE", "/repos/{owner}/{repo}/hooks/{id}", (*_REPO, "token", "repo_admin", "repo_hook")),
    ("GET", "/orgs", ("scope:organization",)),
    ("POST", "/orgs", ("scope:organization", "token")),  # org/org.go Create: CanCreateOrganization (default yes)
    ("GET", "/orgs/{org}", (*_ORG, "org_visible")),  # org/org.go Get: HasOrgOrUserVisible
    ("PATCH", "/orgs/{org}", (*_ORG, "token", "org_owner")),
    ("DELETE", "/orgs/{org}", (*_ORG, "token", "org_owner")),
    ("POST", "/orgs/{org}/repos", (*_ORG, "token", "scope:repository", "org_visible", "org_create_repo")),
    ("GET", "/orgs/{org}/hooks", (*_ORG, "token", "org_owner")),
    ("POST", "/orgs/{org}/hooks", (*_ORG, "token", "org_owner")),
    ("GET", "/orgs/{org}/hooks/{id}", (*_ORG, "token", "org_owner", "org_hook")),
    ("PATCH", "/orgs/{org}/hooks/{id}", (*_ORG, "token", "org_owner", "org_hook")),
    ("DELETE", "/orgs/{org}/hooks/{id}", (*_ORG, "token", "org_owner", "org_hook")),
    ("GET", "/orgs/{org}/teams", (*_ORG, "token", "org_member")),
    ("POST", "/orgs/{org}/teams", (*_ORG, "token", "org_member", "org_owner")),
    ("GET", "/teams/{id}", (*_TEAM, "team_read")),
    ("PATCH", "/teams/{id}", (*_TEAM, "org_owner")),
    ("DELETE", "/teams/{id}", (*_TEAM, "org_owner")),
    ("GET", "/users/{username}", ("scope:user", "user", "user_visible")),  # user/user.go GetInfo
    ("GET", "/admin/orgs", _ADMIN),
    ("GET", "/admin/users", _ADMIN),
    ("POST", "/admin/users", _ADMIN),
    ("PATCH", "/admin/users/{username}", (*_ADMIN, "user")),
    ("DELETE", "/admin/users/{username}", (*_ADMIN, "user")),
    ("GET", "/admin/users/{username}/orgs", (*_ADMIN, "user")),
)


def _regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{([a-z]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "/?$")


_COMPILED = [(method, _regex(template), template, steps) for method, template, steps in ROUTES]


def route_of(method: str, rest: str) -> tuple[str, dict[str, str], tuple[str, ...]] | None:
    """(template, path parameters, steps) of a route under /api/v1, or None when the model has no rule for it."""
    method = "GET" if method == "HEAD" else method  # chi_middleware.GetHead
    for m, regex, template, steps in _COMPILED:
        found = regex.match(rest)
        if m == method and found:
            return template, found.groupdict(), steps
    return None


def authenticate(world: World, authorization: str | None) -> tuple[Account | None, Token | None]:
    """apiAuth + verifyAuthWithOptions: the doer and token, or _Refused (401 unknown token, 403 blocked)."""
    parts = (authorization or "").split()
    if len(parts) != 2 or parts[0].lower() not in ("token", "bearer"):
        return None, None  # httpauth.ParseAuthorizationHeader: not a token header -> the OAuth2 method does not apply
    token = world.tokens.get(parts[1])
    doer = world.accounts.get(token.user) if token else None
    if token is None or doer is None:
        raise _Refused(401, INVALID_TOKEN)
    if not doer.active or doer.prohibit_login:
        raise _Refused(403, PROHIBITED, url=False)
    if doer.must_change_password:
        raise _Refused(403, MUST_CHANGE_PASSWORD.format(app_url=world.app_url), url=False)
    return doer, token


def decide(world: World, method: str, rest: str, authorization: str | None, body: dict | None = None) -> Decision | None:
    """Gitea's answer to one API request (`rest` is the path after /api/v1); None for a route without a rule."""
    found = route_of(method, rest)
    try:
        doer, token = authenticate(world, authorization)
    except _Refused as refused:
        return _refusal(world, refused)
    if found is None:
        return None
    template, params, steps = found
    req = _Request(method, params, body if isinstance(body, dict) else {}, doer, token)
    try:
        for step in steps:
            _STEPS[step.split(":")[0]](world, req, step)
    except _Refused as refused:
        return _refusal(world, refused)
    return _handle(world, req, template)


def _refusal(world: World, refused: _Refused) -> Decision:
    payload: dict = {"message": refused.message}
    if refused.url:
        payload["url"] = world.app_url + "api/swagger"  # setting.API.SwaggerURL
    return Decision(refused.status, payload)


# -- steps --------------------------------------------------------------------------------------
def _scope(world: World, req: _Request, step: str) -> None:
    """tokenRequiresScopes: only a token is checked; the level comes from the method."""
    if req.token is None:
        return
    level = "write" if req.method in ("POST", "PUT", "PATCH", "DELETE") else "read"
    required = f"{level}:{step.split(':')[1]}"
    if not has_scope(req.token.scope, required):
        raise _Refused(403, SCOPE_MISSING.format(required=required, scope=req.token.scope))


def _token(world: World, req: _Request, step: str) -> None:
    if req.doer is None:
        raise _Refused(401, TOKEN_REQUIRED)


def _is_admin(req: _Request) -> bool:
    return req.doer is not None and req.doer.admin


def _site_admin(world: World, req: _Request, step: str) -> None:
    if not _is_admin(req):
        raise _Refused(403, SITE_ADMIN)


def _repo_owner_rights(world: World, req: _Request) -> bool:
    """Permission.IsOwner / IsUserRepoAdmin (models/perm/access/repo_permission.go): the owner, or an owner of the
    owning organization; site admins pass every repository check."""
    if req.doer is None or req.repo is None:
        return False
    if _is_admin(req) or req.repo.owner.lower() == req.doer.name.lower():
        return True
    owner = world.account(req.repo.owner)
    return owner is not None and owner.org and req.doer.name.lower() in owner.owners


def _can_see_repo(world: World, req: _Request) -> bool:
    """repoAssignment's HasAnyUnitAccessOrPublicAccess: public repositories to everyone (anonymous included,
    when the owner is public); private ones to the owner, the owning organization's members and site admins."""
    assert req.repo is not None
    owner = world.account(req.repo.owner)
    if not req.repo.private:
        return _visible(owner, req.doer)
    if req.doer is None:
        return False
    return _is_admin(req) or req.doer.name.lower() == req.repo.owner.lower() or (
        owner is not None and req.doer.name.lower() in owner.members)


def _repo(world: World, req: _Request, step: str) -> None:
    req.repo = world.repo(req.params["owner"], req.params["repo"])
    if req.repo is None or world.account(req.params["owner"]) is None or not _can_see_repo(world, req):
        raise _Refused(404, NOT_FOUND)


def _any_reader(world: World, req: _Request, step: str) -> None:
    pass  # a repository repoAssignment let through is readable in this model (no per-unit permissions)


def _repo_admin(world: World, req: _Request, step: str) -> None:
    if not _repo_owner_rights(world, req):
        raise _Refused(403, REPO_ADMIN)


def _repo_owner(world: World, req: _Request, step: str) -> None:
    if not _repo_owner_rights(world, req):
        raise _Refused(403, REPO_OWNER)


def _repo_hook(world: World, req: _Request, step: str) -> None:
    if not world.hook(req.params["id"], req.params["owner"], req.params["repo"]):
        raise _Refused(404, NOT_FOUND)  # utils/hook.go GetRepoHook


def _org(world: World, req: _Request, step: str) -> None:
    org = world.account(req.params["org"])
    if org is None or not org.org:
        raise _Refused(404, NOT_FOUND)
    req.org = org


def _visible(account: Account | None, doer: Account | None) -> bool:
    """models/organization/org.go HasOrgOrUserVisible / models/user/user.go IsUserVisibleToViewer."""
    if account is None:
        return False
    if account.visibility == "public":
        return True
    if doer is None:
        return False
    if account.visibility == "limited" or doer.admin or doer.name.lower() == account.name.lower():
        return True
    return doer.name.lower() in account.members


def _org_visible(world: World, req: _Request, step: str) -> None:
    if not _visible(req.org, req.doer):
        raise _Refused(404, NOT_FOUND)


def _org_of(world: World, req: _Request) -> Account | None:
    return req.org if req.org is not None else world.account(req.team.org) if req.team else None


def _org_owner(world: World, req: _Request, step: str) -> None:
    """reqOrgOwnership: 403 with the organization in the path, 404 when only a team is (it hides the team)."""
    org = _org_of(world, req)
    if _is_admin(req) or (org is not None and req.doer is not None and req.doer.name.lower() in org.owners):
        return
    raise _Refused(403, ORG_OWNER) if req.org is not None else _Refused(404, NOT_FOUND)


def _org_member(world: World, req: _Request, step: str) -> None:
    org = _org_of(world, req)
    if _is_admin(req) or (org is not None and req.doer is not None and req.doer.name.lower() in org.members):
        return
    raise _Refused(403, ORG_MEMBER) if req.org is not None else _Refused(404, NOT_FOUND)


def _org_create_repo(world: World, req: _Request, step: str) -> None:
    """repo/fork.go prepareDoerCreateRepoInOrg: site admins, else CanCreateOrgRepo (owners, in this model)."""
    if not _is_admin(req) and not (req.org and req.doer and req.doer.name.lower() in req.org.owners):
        raise _Refused(403, ORG_CREATE_REPO)


def _org_hook(world: World, req: _Request, step: str) -> None:
    if not world.hook(req.params["id"], req.params["org"], None):
        raise _Refused(404, NOT_FOUND)  # utils/hook.go GetOwnerHook


def _team(world: World, req: _Request, step: str) -> None:
    """orgAssignment(false, true): the team, then its organization (so reqOrgOwnership/reqOrgMembership see an
    organization and answer 403 with their wording, not 404)."""
    team = world.team(req.params["id"])
    if team is None:
        raise _Refused(404, NOT_FOUND)
    req.team = team
    req.org = world.account(team.org) if team.org or world.lenient else None


def _team_read(world: World, req: _Request, step: str) -> None:
    """reqTeamReadAccess (routers/api/v1/api.go; models/organization/team.go CanNonMemberReadMeta): admins, org
    owners and team members; others by the team's visibility; else 403 to org members, 404 to the rest."""
    assert req.team is not None and req.doer is not None
    org = world.account(req.team.org) if req.team.org else None
    name = req.doer.name.lower()
    if _is_admin(req) or (org is not None and name in org.owners) or name in req.team.members:
        return
    member = org is not None and name in org.members
    visible = {"public": _visible(org, req.doer), "limited": member}.get(req.team.visibility, False)
    if not visible:
        raise _Refused(403, TEAM_MEMBER) if member else _Refused(404, NOT_FOUND)


def _user(world: World, req: _Request, step: str) -> None:
    user = world.account(req.params["username"])
    if user is None:
        raise _Refused(404, NOT_FOUND)  # services/context/user.go UserAssignmentAPI
    req.user = user


def _user_visible(world: World, req: _Request, step: str) -> None:
    if not _visible(req.user, req.doer):
        raise _Refused(404, NOT_FOUND)


_STEPS = {"scope": _scope, "token": _token, "site_admin": _site_admin, "repo": _repo, "any_reader": _any_reader,
          "repo_admin": _repo_admin, "repo_owner": _repo_owner, "repo_hook": _repo_hook, "org": _org,
          "org_visible": _org_visible, "org_owner": _org_owner, "org_member": _org_member,
          "org_create_repo": _org_create_repo, "org_hook": _org_hook, "team": _team, "team_read": _team_read,
          "user": _user, "user_visible": _user_visible}


# -- handlers: success statuses (POST 201, DELETE 204, else 200) and the state they change ---------------
def _handle(world: World, req: _Request, template: str) -> Decision:
    status = {"POST": 201, "DELETE": 204}.get(req.method, 200)
    if world.lenient:
        return Decision(status, None)
    p, body = req.params, req.body
    if req.method == "POST" and template in ("/user/repos", "/orgs/{org}/repos"):
        owner = p.get("org") or (req.doer.name if req.doer else "")
        if world.repos.get((owner.lower(), str(body.get("name", "")).lower())):
            return _refusal(world, _Refused(409, REPO_EXISTS))
        return Decision(status, None, world.add_repo(owner, str(body.get("name", "")), bool(body.get("private"))))
    if req.method == "DELETE" and template == "/repos/{owner}/{repo}":
        world.repos.pop((p["owner"].lower(), p["repo"].lower()), None)
    elif req.method == "POST" and template == "/orgs":
        return Decision(status, None, world.add_org(str(body.get("username", "")), req.doer.name if req.doer else "",
                                                    str(body.get("visibility") or "public")))
    elif req.method == "DELETE" and template == "/orgs/{org}":
        world.accounts.pop(p["org"].lower(), None)
    elif req.method == "POST" and template == "/admin/users":
        return Decision(status, None, world.add_user(str(body.get("username", ""))))
    elif req.method == "PATCH" and template == "/admin/users/{username}" and req.user is not None:
        for key in ("prohibit_login", "must_change_password", "active", "admin", "visibility"):  # admin/user.go EditUser
            if key in body:
                setattr(req.user, key, body[key])
    elif req.method == "DELETE" and template == "/admin/users/{username}":
        world.accounts.pop(p["username"].lower(), None)
    elif req.method == "POST" and template.endswith("/hooks"):
        return Decision(status, None, world.add_hook(p.get("owner") or p["org"], p.get("repo")))
    elif req.method == "DELETE" and template.endswith("/hooks/{id}"):
        world.hooks.pop(int(p["id"]), None)
    elif req.method == "POST" and template == "/orgs/{org}/teams":
        return Decision(status, None, world.add_team(p["org"], str(body.get("name", ""))))
    elif req.method == "DELETE" and template == "/teams/{id}":
        world.teams.pop(int(p["id"]), None)
    return Decision(status, None)
