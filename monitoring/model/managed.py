"""The provider's managed kinds, as its CRDs declare them: what kube-state-metrics exports and alerts count.

The Crossplane Gitea provider does not register crossplane-runtime's managed-resource metrics (no
NewMRMetricRecorder in cmd/provider/main.go), so the state of each managed resource (its Synced and Ready
conditions) is read from the API server by kube-state-metrics, with a config generated from this table.

Facts from the provider's source snapshot rossigee/provider-gitea b5b30da (v0.10.1 plus two commits; its
VERSION file says v0.10.31, its CHANGELOG's newest release is 0.10.1), package/crds/*.yaml:
- 23 managed kinds, each in a group `<kind>.gitea.crossplane.io` (v1alpha1; Repository also serves v2, its
  storage version) and a group `<kind>.gitea.m.crossplane.io` (v2). The second is namespaced; the first is
  cluster-scoped except for Label, Organization, OrganizationSecret, PullRequest, Repository and Team.
- Every managed CRD prints an EXTERNAL-NAME column (the crossplane.io/external-name annotation) except
  organizationsecrets.gitea.crossplane.io.
- ProviderConfig (and ProviderConfigUsage) live in gitea.crossplane.io/v1beta1, cluster-scoped.
internal/controller/controller.go starts controllers for Repository, Organization, User and Webhook of the
`.gitea.m.crossplane.io` groups (internal/controller/<kind>/<kind>.go: `For(&v2.<Kind>{})`, apis/<kind>/v2
groupversion_info.go) and for ProviderConfig: a resource of any other kind or group is accepted by the API
server and never reconciled (GiteaResourceKindNotServed).

`tests/test_resource_state.py` checks this table against the CRDs of ../shared/upstream when present.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDER_COMMIT = "b5b30da"
PROVIDER_VERSION = "v0.10.1+2"  # two commits after the v0.10.1 tag (the VERSION file says v0.10.31)
PROVIDER_SOURCE = f"rossigee/provider-gitea {PROVIDER_COMMIT} ({PROVIDER_VERSION})"

CLUSTER_GROUP_SUFFIX = "gitea.crossplane.io"
NAMESPACED_GROUP_SUFFIX = "gitea.m.crossplane.io"
EXTERNAL_NAME_ANNOTATION = "crossplane.io/external-name"  # crossplane-runtime's meta.AnnotationKeyExternalName


@dataclass(frozen=True)
class ManagedKind:
    """One managed resource kind of one API group, as its CRD defines it."""

    kind: str
    plural: str
    group: str
    version: str  # the storage version: what kube-state-metrics lists
    namespaced: bool
    served: bool  # a controller of the provider reconciles it
    external_name: bool = True  # the CRD prints the external-name annotation (EXTERNAL-NAME column)

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.{self.group}"


@dataclass(frozen=True)
class CustomKind:
    """A non-managed kind kube-state-metrics also reads (ProviderConfig, Crossplane's package objects)."""

    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool = False


# kind, plural, namespaced in the cluster group (<kind>.gitea.crossplane.io), external-name column there
_KINDS: tuple[tuple[str, str, bool, bool], ...] = (
    ("AccessToken", "accesstokens", False, True),
    ("Action", "actions", False, True),
    ("AdminUser", "adminusers", False, True),
    ("BranchProtection", "branchprotections", False, True),
    ("DeployKey", "deploykeys", False, True),
    ("GitHook", "githooks", False, True),
    ("Issue", "issues", False, True),
    ("Label", "labels", True, True),
    ("Organization", "organizations", True, True),
    ("OrganizationMember", "organizationmembers", False, True),
    ("OrganizationSecret", "organizationsecrets", True, False),
    ("OrganizationSettings", "organizationsettings", False, True),
    ("PullRequest", "pullrequests", True, True),
    ("Release", "releases", False, True),
    ("Repository", "repositories", True, True),
    ("RepositoryCollaborator", "repositorycollaborators", False, True),
    ("RepositoryKey", "repositorykeys", False, True),
    ("RepositorySecret", "repositorysecrets", False, True),
    ("Runner", "runners", False, True),
    ("Team", "teams", True, True),
    ("User", "users", False, True),
    ("UserKey", "userkeys", False, True),
    ("Webhook", "webhooks", False, True),
)
# internal/controller/controller.go: repository.Setup, organization.Setup, user.Setup, webhook.Setup (v2 types)
SERVED_KINDS = ("Repository", "Organization", "User", "Webhook")
# repository.gitea.crossplane.io serves v1alpha1 and v2 and stores v2; every other cluster-group CRD v1alpha1 only.
_CLUSTER_GROUP_VERSION = {"Repository": "v2"}


def _managed_kinds() -> tuple[ManagedKind, ...]:
    out: list[ManagedKind] = []
    for kind, plural, namespaced, external in _KINDS:
        base = kind.lower()
        out.append(ManagedKind(kind, plural, f"{base}.{CLUSTER_GROUP_SUFFIX}", _CLUSTER_GROUP_VERSION.get(kind, "v1alpha1"),
                               namespaced=namespaced, served=False, external_name=external))
        out.append(ManagedKind(kind, plural, f"{base}.{NAMESPACED_GROUP_SUFFIX}", "v2", namespaced=True,
                               served=kind in SERVED_KINDS))
    return tuple(sorted(out, key=lambda k: (k.kind, k.group)))


MANAGED_KINDS: tuple[ManagedKind, ...] = _managed_kinds()

PROVIDER_CONFIG = CustomKind("ProviderConfig", "providerconfigs", "gitea.crossplane.io", "v1beta1")
# Crossplane's package objects (pkg.crossplane.io/v1, cluster-scoped): Installed and Healthy conditions.
PROVIDER = CustomKind("Provider", "providers", "pkg.crossplane.io", "v1")
PROVIDER_REVISION = CustomKind("ProviderRevision", "providerrevisions", "pkg.crossplane.io", "v1")
# Crossplane labels each ProviderRevision with the name of the Provider it belongs to.
PACKAGE_LABEL = "pkg.crossplane.io/package"


def managed_groups() -> tuple[str, ...]:
    return tuple(sorted({k.group for k in MANAGED_KINDS}))


def unserved_kinds() -> tuple[ManagedKind, ...]:
    return tuple(k for k in MANAGED_KINDS if not k.served)


# ---------------------------------------------------------------------------------------------
# The series the generated kube-state-metrics config exports (after the configured metric prefix), and
# their labels. kube-state-metrics adds customresource_group, customresource_kind and customresource_version.

# Per condition of a managed resource (Synced, Ready): labels type, status, reason; value: the condition's
# lastTransitionTime (Unix seconds), so "since when" needs no second series. `reason` is a label, so a
# change of reason starts a new series: alerts count by type and status, never hold `for` on one series.
CONDITION = "resource_condition_transition_time_seconds"
# Per managed resource, 1: labels name, namespace (namespaced kinds), created, deletion_timestamp (set
# while deleting) and external_name (kinds whose CRD prints it).
INFO = "resource_info"
# Per ProviderConfig: metadata.generation, which the API server bumps on every spec change.
PROVIDER_CONFIG_GENERATION = "providerconfig_metadata_generation"
# Per condition of Crossplane's Provider / ProviderRevision: labels name, type, status, reason; for
# revisions also package (the Provider's name) and desired_state (Active / Inactive). Value as CONDITION.
PACKAGE_CONDITION = "package_condition_transition_time_seconds"

# metricNamePrefix of every generated metric (fixed: the metric catalog lists the names).
PREFIX = "gitea_provider"
KIND_LABEL = "customresource_kind"
GROUP_LABEL = "customresource_group"
VERSION_LABEL = "customresource_version"
# Series per managed resource: one per condition Crossplane sets (Synced, Ready) plus the info series.
CONDITION_TYPES = ("Synced", "Ready")
SERIES_PER_RESOURCE = len(CONDITION_TYPES) + 1


def metric(name: str) -> str:
    """The exported name: kube-state-metrics joins metricNamePrefix and the metric's name with `_`."""
    return f"{PREFIX}_{name}"
