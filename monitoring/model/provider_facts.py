"""What the Crossplane Gitea provider does, read from its source, per version: the facts alerts and runbooks rest on.

Runbooks may only tell an operator to turn a knob the provider has and that has an effect; this module is the
one list of those knobs. tests/test_provider_facts.py re-reads them from the source snapshot
(../shared/upstream/provider-gitea-b5b30da.tar.gz) when it is there, and checks every runbook against them.

Only one release line is described: b5b30da (v0.10.1+2, 2026-08-08), the v2-only rebuild that adds controllers
back one at a time. The v0.5 line (22 cluster-scoped kinds, each with a controller) and the v0.15.9 the public
docs name were not read from source here; a fact about them is not assumed to hold.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE_COMMIT = "b5b30da3334a679613a4b87527f6980662ae9d27"
SOURCE_VERSION = "v0.10.1+2 (b5b30da)"


@dataclass(frozen=True)
class ProviderFlag:
    """A command-line flag of the provider binary (kingpin, cmd/provider/main.go)."""

    name: str  # without the leading dashes
    default: str
    effect: str  # what changing it does in this version; empty when it changes nothing
    # cmd/provider/main.go reads every flag, but the controllers are built without `o.ForControllerRuntime()`
    # (internal/controller/*/*.go Setup), so the options that only reach controller-runtime through it do nothing.

    @property
    def effective(self) -> bool:
        return bool(self.effect)

    @property
    def option(self) -> str:
        return f"--{self.name}"


FLAGS: tuple[ProviderFlag, ...] = (
    ProviderFlag("debug", "false", "debug-level logs (zap development mode)"),
    ProviderFlag("sync", "1h", "how often the informer cache re-lists every resource (cache.Options.SyncPeriod)"),
    ProviderFlag("poll", "1m", "how often a healthy resource is observed again (managed.WithPollInterval)"),
    ProviderFlag("leader-election", "false", "run controllers only in the replica holding the lease"),
    # Passed as controller.Options.MaxConcurrentReconciles and GlobalRateLimiter, which no controller reads.
    ProviderFlag("max-reconcile-rate", "100", ""),
    ProviderFlag("namespace", "crossplane-system", "default scope of the secret store config (POD_NAMESPACE)"),
)

LEASE_NAME = "crossplane-leader-election-provider-gitea"  # ctrl.Options.LeaderElectionID, a coordination Lease
# How long a killed leader's lease blocks the standby: ctrl.Options.LeaseDuration 60s (cmd/provider/main.go; it also
# sets RenewDeadline 50s), retried every RetryPeriod, controller-runtime's default 2s (main.go sets none).
LEASE_DURATION_SECONDS = 60.0
LEASE_RETRY_SECONDS = 2.0
LEADER_ELECTION_DEFAULT = False  # `--leader-election` default: Crossplane passes no args, so off unless set

# One worker per controller: ctrl.NewControllerManagedBy(...).Complete(r) without WithOptions, so
# controller-runtime's default MaxConcurrentReconciles of 1 (pkg/controller/controller.go).
WORKERS_PER_CONTROLLER = 1
# controller-runtime's default per-item limiter: exponential 5 ms doubling to 1000 s
# (workqueue.DefaultTypedControllerRateLimiter), for every `Requeue: true` crossplane-runtime returns.
BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 1000.0
POLL_SECONDS = 60.0  # a healthy resource's `requeue_after`, the `--poll` default

# managed.ControllerName(kind) of the controllers internal/controller/controller.go starts, plus the
# ProviderConfig controller. Kinds in package/crds/ without one here are accepted and never reconciled.
CONTROLLERS = (
    "managed/repository",
    "managed/organization",
    "managed/user",
    "managed/webhook",
    "providerconfig.gitea.crossplane.io",
)


def flag(name: str) -> ProviderFlag:
    """The flag called `name` (without dashes); KeyError names the known ones, so a typo in a runbook fails the build."""
    for f in FLAGS:
        if f.name == name:
            return f
    raise KeyError(f"the provider ({SOURCE_VERSION}) has no flag --{name}; it has "
                   + ", ".join(f.option for f in FLAGS))


def effective_flag(name: str) -> str:
    """`--name` for use in runbook text: refuses a flag that exists but changes nothing in this version."""
    f = flag(name)
    if not f.effective:
        raise KeyError(f"--{name} changes nothing in provider {SOURCE_VERSION}: do not offer it as a mitigation")
    return f.option
