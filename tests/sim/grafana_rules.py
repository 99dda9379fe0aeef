"""What the Grafana simulator reproduces, one rule per behaviour, each read from Grafana's source.

Every rule names the file and function it comes from and the versions it applies to. The simulator
(tests/sim/grafana.py) asks `profile.has(rule_id)` before applying a behaviour, and
docs/grafana-compatibility.md has one row per rule id (tests/test_push.py fails when a row is missing).

Profiles are the Grafana versions push is proven against: 10.4 (SQL store, nested folders off by default),
11.x (SQL store, nested folders, no more unique titles per folder), 12.x (the Kubernetes-style storage
behind /api/dashboards/db) and 13.x (the same storage, conflicts answered as Kubernetes 409s).
"""

from __future__ import annotations

from dataclasses import dataclass

ALL = ("10.4", "11.x", "12.x", "13.x")


@dataclass(frozen=True)
class Rule:
    id: str
    versions: tuple[str, ...]
    source: str  # grafana/grafana file and function
    behaviour: str
    spec_exempt: bool = False  # the real answer does not match the OpenAPI document (said why in the doc)


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("title-trimmed", ALL,
         "pkg/services/dashboards/service/dashboard_service.go BuildSaveDashboardCommand",
         "the dashboard title is stored with surrounding whitespace removed (strings.TrimSpace)"),
    Rule("retried-create-gets-existing-id", ALL,
         "pkg/services/dashboards/service/dashboard_service.go ValidateDashboardBeforeSave",
         "a save without id for a uid that exists takes that dashboard's id (SetID(existingByUid.ID)); the version "
         "check that follows refuses it unless overwrite, so a retried create is a version conflict, never a 400"),
    Rule("version-mismatch-412", ("10.4", "11.x", "12.x"),
         "pkg/services/dashboards/service/dashboard_service.go ValidateDashboardBeforeSave; "
         "pkg/services/dashboards/errors.go ErrDashboardVersionMismatch",
         "a save whose version differs from the stored one answers 412 "
         '{"status": "version-mismatch", "message": "The dashboard has been changed by someone else"}'),
    Rule("conflict-409-without-status", ("13.x",),
         "pkg/api/apierrors/dashboard.go ToDashboardErrorResponse (Kubernetes StatusError branch)",
         "the save goes through the Kubernetes-style client; a conflict is a StatusError answered as "
         'response.Error(409, message): {"message": "Operation cannot be fulfilled ..."} without a status field'),
    Rule("name-exists-412", ("10.4",),
         "pkg/services/dashboards/errors.go ErrDashboardWithSameNameInFolderExists (gone from 11.3)",
         "a new dashboard whose title is already used in the folder answers 412 "
         '{"status": "name-exists"}; from 11.3 titles are no longer unique per folder'),
    Rule("k8s-float64-round-trip", ("12.x", "13.x"),
         "pkg/services/dashboards/service/dashboard_service.go saveDashboardThroughK8s -> "
         "LegacySaveCommandToUnstructured",
         "the dashboard JSON is decoded into map[string]interface{}: every number becomes a float64 and is written "
         "back the Go way (80.0 returns as 80, 1e21 as 1e+21, integers beyond 2^53 lose precision); the SQL store "
         "of 10.4/11.x (simplejson with UseNumber) returns numbers as they were sent"),
    Rule("k8s-server-fields", ("12.x", "13.x"),
         "pkg/registry/apis/dashboard/mutate.go Mutate; dashboard_service.go UnstructuredToLegacyDashboard",
         "uid, version and id are deleted from the spec on write and re-added on read; the version read back is "
         "the object's generation, which only moves when the spec changes"),
    Rule("tag-too-long", ("12.x", "13.x"),
         "pkg/services/dashboards/errors.go ErrDashboardTagTooLong",
         'a tag longer than 50 characters answers 400 {"status": "tag-too-long"}'),
    Rule("schema-version-as-sent", ("12.x", "13.x"),
         "pkg/registry/apis/dashboard/mutate.go Mutate (v0alpha1 branch: no migration.Migrate)",
         "/api/dashboards/db writes through the v0alpha1 (legacy) resource, which stores schemaVersion as sent; "
         "only the v1 resource migrates to schemaversion.LATEST_VERSION (42)"),
    Rule("folders-children-only", ("11.x", "12.x", "13.x"),
         "pkg/api/folder.go GetFolders (FlagNestedFolders branch -> folderService.GetChildren)",
         "with nested folders GET /api/folders lists only the children of the root, or of parentUid"),
    Rule("folders-paged", ALL,
         "pkg/api/folder.go GetFolders (limit, page query parameters)",
         "GET /api/folders answers one page: limit (default 1000) folders from page (default 1)"),
    Rule("folder-by-uid", ALL,
         "pkg/api/folder.go GetFolderByUID",
         "GET /api/folders/{uid} answers the folder with canSave/canEdit for the caller, or 404"),
    Rule("folder-parent", ("11.x", "12.x", "13.x"),
         "pkg/api/folder.go CreateFolder (CreateFolderCommand.ParentUID)",
         "POST /api/folders with parentUid creates the folder below that parent; an unknown parent is refused"),
    Rule("search-limit-422", ALL,
         "pkg/api/search.go Search",
         "limit above 5000 answers 422 \"Limit is above maximum allowed (5000), use page parameter ...\"; "
         "without limit, 1000 hits per page; page selects the page"),
    Rule("search-eventual", ("12.x", "13.x"),
         "pkg/api/search.go Search -> unified storage search index (pkg/storage/unified/search)",
         "search reads an index updated after the write returns: right after writes a hit can be missing "
         "(created) or still present (deleted); GET by uid is always current"),
    Rule("org-mismatch-401", ALL,
         "pkg/services/authn/clients/api_key.go errAPIKeyOrgMismatch",
         "a service-account token sent with X-Grafana-Org-Id of another org answers 401 "
         '{"messageId": "api-key.organization-mismatch", "message": "API key does not belong to the requested '
         'organization", "statusCode": 401}', spec_exempt=True),
)}


@dataclass(frozen=True)
class Profile:
    name: str
    version: str  # what /api/health reports

    def has(self, rule_id: str) -> bool:
        if rule_id not in RULES:
            raise KeyError(f"unknown simulator rule {rule_id!r}: add it to RULES and docs/grafana-compatibility.md")
        return self.name in RULES[rule_id].versions


PROFILES = {p.name: p for p in (Profile("10.4", "10.4.19"), Profile("11.x", "11.6.3"), Profile("12.x", "12.3.3"),
                                Profile("13.x", "13.0.1"))}
