"""Alerts on the managed resources themselves: their Synced and Ready conditions, deletions, unserved kinds,
ProviderConfig changes and the provider package, from the kube-state-metrics series of
docs/resource-state.md (monitoring/model/managed.py names them).

Why conditions and not reconcile counts: a resource that keeps failing is retried with per-item exponential
back-off (controller-runtime's default limiter, 5 ms doubling to a 1000 s cap), so among healthy resources
polled every minute it adds almost nothing to the counts; Crossplane writes the truth on the resource
(Synced=False, ReconcileError, with the error message). `reason` is a label of the condition series, so a
change of reason starts a new series: every alert here counts series by condition type and status per kind
and holds `for` on that count, never on one series.
"""

from __future__ import annotations

from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.model import testdata as td
from gitea_provider_monitoring.model.alerting import alert, kubectl_logs
from gitea_provider_monitoring.model.config import Config, duration_seconds
from gitea_provider_monitoring.model.rules import (
    AlertingRule,
    Expected,
    Measure,
    RuleFile,
    RuleGroup,
    Runbook,
    Series,
    fires,
    num,
    silent,
)
from gitea_provider_monitoring.model.templates import resource_list

NAME = "resource-alerts"
FIRST = 5  # resources a description names (the longest-failing first)
# controller-runtime's default per-item limiter (workqueue.DefaultTypedControllerRateLimiter): 5 ms doubling
# to a 1000 s cap; crossplane-runtime's managed reconciler leaves it as is in provider b5b30da.
BACKOFF_BASE_SECONDS = 0.005
BACKOFF_CAP_SECONDS = 1000
POKE = "kubectl annotate {kind} {name} reconcile.crossplane.io/poke=\"$(date +%s)\" --overwrite"

_SCOPE = (managed.GROUP_LABEL, managed.KIND_LABEL)


def _metric(config: Config, name: str) -> str:
    return managed.metric(name)


def _by(config: Config, *labels: str) -> str:
    return ", ".join((config.cluster_label, *labels))


def _per_kind(config: Config, inner: str) -> str:
    """Count per kind, labelled with the provider's namespace like every alert of this project (routing and
    inhibition in Alertmanager are by namespace); the resources' own namespaces are in the description."""
    return (f"label_replace(\n  count by ({_by(config, *_SCOPE)}) (\n    {inner}\n  ) > 0,\n"
            f'  "namespace", "{config.provider.namespace}", "", ""\n)')


def condition_measure(config: Config, type_: str, extra: str = "") -> Measure:
    """Resources per kind whose condition `type_` is not True, 0 for kinds whose resources all are (so a panel
    draws every kind); the alert keeps the counts above 0."""
    cond = _metric(config, managed.CONDITION)
    extra = f", {extra}" if extra else ""
    by = _by(config, *_SCOPE)
    return Measure(lambda s, w: f'count by ({by}) ({cond}{{{s}, type="{type_}", status!="True"{extra}}})\nor\n'
                                f'0 * count by ({by}) ({cond}{{{s}, type="{type_}"}})', 0)


def _measured(config: Config, measure: Measure) -> str:
    """The alert's expression: the measure over the kube-state-metrics series, above its threshold, per kind."""
    return (f"label_replace(\n  ({measure.query(config.resource_state_selector, '')}) > {num(measure.threshold)},\n"
            f'  "namespace", "{config.provider.namespace}", "", ""\n)')


def _names(config: Config, metric: str, matchers: str, detail: str = "reason") -> str:
    q = (f"{metric}{{{config.resource_state_selector}, {matchers}, {managed.GROUP_LABEL}=%q, {managed.KIND_LABEL}=%q, "
         f"{config.cluster_label}=%q}}")
    return resource_list(q, (managed.GROUP_LABEL, managed.KIND_LABEL, config.cluster_label), FIRST, detail)


# ---------------------------------------------------------------------------------------------
# Test series


def _target(config: Config) -> dict[str, str]:
    """kube-state-metrics' target labels as the resource-state ServiceMonitor leaves them (no namespace)."""
    return {config.cluster_label: td.CLUSTER, "job": config.resource_state.job, "instance": "10.0.9.1:8080"}


def _kind(kind: str = "Repository") -> managed.ManagedKind:
    """The kind in its namespaced group (the one the provider's controllers serve, for the served kinds)."""
    for k in managed.MANAGED_KINDS:
        if k.kind == kind and k.group.endswith(managed.NAMESPACED_GROUP_SUFFIX):
            return k
    raise LookupError(kind)  # pragma: no cover


def _resource_labels(kind: managed.ManagedKind, name: str) -> dict[str, str]:
    out = {managed.GROUP_LABEL: kind.group, managed.KIND_LABEL: kind.kind, managed.VERSION_LABEL: kind.version,
           "name": name}
    if kind.namespaced:
        out["namespace"] = "team-a"
    return out


def _condition(config: Config, kind: managed.ManagedKind, name: str, type_: str, status: str, reason: str,
               values: str) -> Series:
    return td.series(_metric(config, managed.CONDITION), _target(config), values,
                     **_resource_labels(kind, name), type=type_, status=status, reason=reason)


def synced_series(config: Config, name: str, ok: bool, values: str) -> Series:
    """A Repository's Synced condition, True (ReconcileSuccess) or False (ReconcileError): the reconcile SLO's input."""
    return _condition(config, _kind(), name, "Synced", "True" if ok else "False",
                      "ReconcileSuccess" if ok else "ReconcileError", values)


def unserved_series(config: Config, name: str, values: str) -> Series:
    """An Action (a kind no controller serves): an info series and no condition at all."""
    return _info(config, _kind("Action"), name, values)


def _info(config: Config, kind: managed.ManagedKind, name: str, values: str, deleting: str = "") -> Series:
    labels = {**_resource_labels(kind, name), "created": "2026-01-01T00:00:00Z"}
    if kind.external_name:
        labels["external_name"] = name
    if deleting:
        labels["deletion_timestamp"] = deleting
    return td.series(_metric(config, managed.INFO), _target(config), values, **labels)


def _sample(series: Series, value: float) -> tuple[dict[str, str], float]:
    """The labels and value of a test series, as a description's query returns it."""
    inner = series.series.split("{", 1)[1].rstrip("}")
    labels = dict(part.split("=", 1) for part in inner.split(", "))
    return {k: v.strip('"') for k, v in labels.items()}, value


def _alert_labels(config: Config, kind: managed.ManagedKind) -> dict[str, str]:
    return {config.cluster_label: td.CLUSTER, managed.GROUP_LABEL: kind.group, managed.KIND_LABEL: kind.kind,
            "namespace": config.provider.namespace}


def _half_start(tm: td.Timing, at: float, for_: str) -> int | None:
    """Sample from which a condition holds for half of `for` at `at` (None: `for` too short to halve)."""
    for_s = duration_seconds(for_)
    if for_s < 2 * tm.grid:
        return None
    return round((at - for_s / 2) / tm.step)


def _backoff_minutes() -> int:
    return round(BACKOFF_CAP_SECONDS / 60)


def _force(kind: str = "<kind>") -> str:
    return (f"Force a reconcile instead of waiting for the back-off: `{POKE.format(kind=kind, name='<name>')}` (any "
            "metadata change bumps resourceVersion, and the provider's watch enqueues the resource at once).")


def _describe() -> tuple[str, ...]:
    return ("Describe one of the named resources: `kubectl describe <kind>.<group> <name> [-n <namespace>]`; the "
            "Synced condition's message is the provider's error (this provider emits no Kubernetes Events, so "
            "`kubectl get events` shows nothing for it).",
            "List every resource of the provider with its conditions: `kubectl get managed -A` (columns SYNCED, "
            "READY).")


ERROR_MESSAGES = (
    # crossplane-runtime prefixes the step (observe/create/update/delete failed); the provider adds its own
    # context (internal/controller/repository/repository.go errGetRepository ...) and, for Gitea's answers,
    # internal/clients/gitea.go: "API request failed with status <code>: <Gitea's body>".
    "`observe failed: failed to get repository: ... connection refused` (or `i/o timeout`, `no such host`): Gitea "
    "cannot be reached from the provider's pod: check Gitea and the ProviderConfig's `spec.baseURL` (GiteaAPIDown "
    "says the same).",
    "`... API request failed with status 404: ...`: something the resource refers to does not exist in Gitea, "
    "typically the owner (user or organization) of a Repository or the repository of a Webhook: create it, or fix "
    "`spec.forProvider`.",
    "`... API request failed with status 403: ... token does not have at least one of required scope(s) ...`: the "
    "token in the ProviderConfig's Secret (`spec.credentials.secretRef`) lacks a scope Gitea requires for that call: "
    "issue a token with it (GiteaAPITokenLacksScope checks the same from the exporter).",
    "`... status 401 ...`: Gitea rejects the token: rotate it in the ProviderConfig's Secret.",
    "`failed to get provider config` / `failed to get authentication token`: the resource's `spec.providerConfigRef` "
    "or the credentials Secret is missing.",
)


def _backoff_note() -> str:
    return (f"The alert resolves only when each resource is reconciled again: after a fix, a resource waits out "
            f"its back-off (per resource, {num_ms(BACKOFF_BASE_SECONDS)} doubling to {BACKOFF_CAP_SECONDS} s: up to "
            f"about {_backoff_minutes()} minutes) before the provider retries it.")


def num_ms(seconds: float) -> str:
    return f"{round(seconds * 1000)} ms"


# ---------------------------------------------------------------------------------------------
# Alerts


def _not_synced(config: Config) -> AlertingRule:
    t = config.thresholds
    cond = _metric(config, managed.CONDITION)
    measure = condition_measure(config, "Synced")
    expr = _measured(config, measure)
    tm = td.gauge_timing(config, t.resource_not_synced_for)
    at = tm.held(t.resource_not_synced_for)
    n = tm.steps(at)
    repo = _kind()
    labels = _alert_labels(config, repo)
    ok = lambda name: _condition(config, repo, name, "Synced", "True", "ReconcileSuccess", td.gauge(100, n))  # noqa: E731

    def failing(count: int) -> list[Series]:
        # Distinct transition times: the description names the longest-failing first.
        return [_condition(config, repo, f"repo-bad-{i}", "Synced", "False", "ReconcileError", td.gauge(200 + i, n))
                for i in range(count)]

    healthy = [ok(f"repo-{i}") for i in range(20)]
    three, seven = failing(3), failing(FIRST + 2)
    # The reason changes halfway: a new series starts, the count per kind holds.
    half = max(1, round(at / tm.step / 2))
    # `stale` ends the old series as a scrape without it would (promtool keeps an ended series for 5m otherwise).
    swapped = [_condition(config, repo, "repo-bad-0", "Synced", "False", "ReconcileError", f"300x{half - 1} stale"),
               _condition(config, repo, "repo-bad-0", "Synced", "False", "Unavailable", f"_x{half - 1} 400x{n - half + 1}")]
    cases = [
        fires("3 of 23 repositories fail (Gitea rejects them)", tm.at(at), healthy + three,
              Expected(labels, 3, tuple(_sample(s, 200 + i) for i, s in enumerate(three))), interval=tm.interval),
        fires(f"{FIRST + 2} fail: the description names the {FIRST} failing longest", tm.at(at), seven,
              Expected(labels, FIRST + 2, tuple(_sample(s, 200 + i) for i, s in enumerate(seven))), interval=tm.interval),
        fires("the reason changes while it fails (a new series): for holds on the count", tm.at(at), healthy + swapped,
              Expected(labels, 1, (_sample(swapped[1], 400),)), interval=tm.interval),
        silent("every repository is Synced", tm.at(at), healthy, interval=tm.interval),
    ]
    if (start := _half_start(tm, at, t.resource_not_synced_for)) is not None:
        cases.append(silent("one repository failing for half the for duration", tm.at(at), healthy + [
            _condition(config, repo, "repo-bad", "Synced", "False", "ReconcileError", f"_x{start} 500x{n - start}")],
            interval=tm.interval))
    return alert(
        config, "GiteaResourceNotSynced", severity="critical", for_=t.resource_not_synced_for, expr=expr,
        measure=measure,
        summary="Gitea managed resources fail to reconcile (Synced is not True).",
        description="{{ $value | humanize }} {{ $labels." + managed.KIND_LABEL + " }} resource(s) of {{ $labels."
                    + managed.GROUP_LABEL + f" }}}} have not been Synced for {t.resource_not_synced_for}: the provider's "
                    "calls to Gitea for them fail. Failing longest: "
                    + _names(config, cond, 'type="Synced", status!="True"') + ".",
        runbook=Runbook(
            meaning="Crossplane sets a managed resource's Synced condition to False (reason ReconcileError, with the "
                    "error as message) when a reconcile fails: Gitea unreachable, the token rejected or lacking a "
                    "scope, or the resource's spec refers to something Gitea does not have. Ready may stay True "
                    "meanwhile (Gitea down: every resource Synced=False, still Ready=True). " + _backoff_note(),
            impact="Changes to these resources are not applied and drift in Gitea is not corrected; deleting them "
                   "may hang.",
            diagnosis=(*_describe(),
                       "Read the error: " + " ".join(ERROR_MESSAGES),
                       "Gitea itself: the GiteaAPI* alerts and the Gitea API dashboard; the failing list: Resource "
                       "Management dashboard, table Failing resources.",
                       kubectl_logs(config)),
            mitigation=("Fix the cause the message names (Gitea, the token in the ProviderConfig's Secret, or the "
                        "resource's `spec.forProvider`).",
                        _force(),
                        "Many resources at once: `kubectl annotate <kind>.<group> --all -n <namespace> "
                        "reconcile.crossplane.io/poke=\"$(date +%s)\" --overwrite`; the provider reconciles them one "
                        "at a time (one worker per controller)."),
        ),
        cases=cases,
    )


def _not_ready(config: Config) -> AlertingRule:
    t = config.thresholds
    cond = _metric(config, managed.CONDITION)
    matchers = 'type="Ready", status!="True", reason!="Deleting"'
    measure = condition_measure(config, "Ready", 'reason!="Deleting"')
    expr = _measured(config, measure)
    tm = td.gauge_timing(config, t.resource_not_ready_for)
    at = tm.held(t.resource_not_ready_for)
    n = tm.steps(at)
    repo = _kind()
    labels = _alert_labels(config, repo)
    ready = [_condition(config, repo, f"repo-{i}", "Ready", "True", "Available", td.gauge(100, n)) for i in range(5)]
    creating = _condition(config, repo, "repo-no-owner", "Ready", "False", "Creating", td.gauge(300, n))
    deleting = _condition(config, repo, "repo-gone", "Ready", "False", "Deleting", td.gauge(300, n))
    cases = [
        fires("a repository whose owner does not exist stays Creating", tm.at(at), [*ready, creating],
              Expected(labels, 1, (_sample(creating, 300),)), interval=tm.interval),
        silent("a repository being deleted (GiteaResourceStuckDeleting's case)", tm.at(at), [*ready, deleting],
               interval=tm.interval),
        silent("every repository Ready", tm.at(at), ready, interval=tm.interval),
    ]
    if (start := _half_start(tm, at, t.resource_not_ready_for)) is not None:
        cases.append(silent("Creating for half the for duration", tm.at(at), [*ready, _condition(
            config, repo, "repo-new", "Ready", "False", "Creating", f"_x{start} 500x{n - start}")], interval=tm.interval))
    return alert(
        config, "GiteaResourceNotReady", severity="warning", for_=t.resource_not_ready_for, expr=expr, measure=measure,
        summary="Gitea managed resources are not Ready.",
        description="{{ $value | humanize }} {{ $labels." + managed.KIND_LABEL + " }} resource(s) of {{ $labels."
                    + managed.GROUP_LABEL + f" }}}} have not been Ready for {t.resource_not_ready_for} (not counting "
                    "deletions): " + _names(config, cond, matchers) + ".",
        runbook=Runbook(
            meaning="Ready is False or Unknown with reason Creating (the external object was never observed, e.g. "
                    "a Repository whose owner does not exist: Gitea answers 404) or Unavailable. Deleting resources "
                    "are GiteaResourceStuckDeleting's. Usually GiteaResourceNotSynced fires for the same resources "
                    "and says why.",
            impact="Whatever depends on these Gitea objects (other resources, compositions) waits.",
            diagnosis=(*_describe(), "Read the Synced condition's message: " + " ".join(ERROR_MESSAGES[:3])),
            mitigation=("Fix the cause named in the Synced condition (create the owner, fix `spec.forProvider`).",
                        _force()),
        ),
        cases=cases,
    )


def _stuck_deleting(config: Config) -> AlertingRule:
    t = config.thresholds
    info = _metric(config, managed.INFO)
    matchers = 'deletion_timestamp!=""'
    expr = _per_kind(config, f"{info}{{{config.resource_state_selector}, {matchers}}}")
    tm = td.gauge_timing(config, t.resource_deleting_for)
    at = tm.held(t.resource_deleting_for)
    n = tm.steps(at)
    repo = _kind()
    labels = _alert_labels(config, repo)
    present = [_info(config, repo, f"repo-{i}", td.gauge(1, n)) for i in range(3)]
    stuck = _info(config, repo, "repo-gone", td.gauge(1, n), deleting="2026-01-01T01:00:00Z")
    cases = [
        fires("a repository keeps its deletion timestamp", tm.at(at), [*present, stuck],
              Expected(labels, 1, (_sample(stuck, 1),)), interval=tm.interval),
        silent("nothing being deleted", tm.at(at), present, interval=tm.interval),
    ]
    if (start := _half_start(tm, at, t.resource_deleting_for)) is not None:
        cases.append(silent("deleting for half the for duration", tm.at(at), [*present, _info(
            config, repo, "repo-going", f"_x{start} 1x{n - start}", deleting="2026-01-01T01:00:00Z")], interval=tm.interval))
    return alert(
        config, "GiteaResourceStuckDeleting", severity="warning", for_=t.resource_deleting_for, expr=expr,
        summary="Gitea managed resources are stuck deleting.",
        description="{{ $value | humanize }} {{ $labels." + managed.KIND_LABEL + " }} resource(s) of {{ $labels."
                    + managed.GROUP_LABEL + f" }}}} have been deleting for {t.resource_deleting_for}: "
                    + _names(config, info, matchers, detail="deletion_timestamp") + ".",
        runbook=Runbook(
            meaning="The resource has a deletion timestamp but its finalizer (finalizer.managedresource.crossplane.io) "
                    "is still there: the provider has not confirmed the object is gone from Gitea. When "
                    "`spec.managementPolicies` lacks Delete (or, in the cluster-scoped groups, `spec.deletionPolicy` is "
                    "Orphan) it only removes the finalizer.",
            impact="The Kubernetes object stays; a new resource of the same name cannot be created. The Gitea object "
                   "may or may not exist.",
            diagnosis=(*_describe(), "Read the Synced condition's message (delete failed: ...): "
                       + " ".join(ERROR_MESSAGES[:3])),
            mitigation=("Fix what the delete error names (Gitea reachable, token with the delete scope).",
                        _force() + " " + _backoff_note(),
                        "Only if the Gitea object is gone for sure: remove the finalizer, `kubectl patch <kind> <name> "
                        "--type merge -p '{\"metadata\":{\"finalizers\":[]}}'`."),
        ),
        cases=cases,
    )


def _not_served(config: Config) -> AlertingRule:
    t = config.thresholds
    info, cond = _metric(config, managed.INFO), _metric(config, managed.CONDITION)
    on = _by(config, *_SCOPE, "namespace", "name")
    sel = config.resource_state_selector
    expr = _per_kind(config, f'{info}{{{sel}}}\n    unless on ({on})\n    {cond}{{{sel}, type="Synced"}}')
    tm = td.gauge_timing(config, t.resource_unserved_for)
    at = tm.held(t.resource_unserved_for)
    n = tm.steps(at)
    served, unserved = _kind(), _kind("Action")
    labels = _alert_labels(config, unserved)
    repos = [s for i in range(3) for s in (
        _info(config, served, f"repo-{i}", td.gauge(1, n)),
        _condition(config, served, f"repo-{i}", "Synced", "True", "ReconcileSuccess", td.gauge(100, n)))]
    action = _info(config, unserved, "build", td.gauge(1, n))
    cases = [
        fires("an Action (no controller in this provider) never gets a Synced condition", tm.at(at), [*repos, action],
              Expected(labels, 1, (_sample(action, 1),)), interval=tm.interval),
        silent("every resource reconciled", tm.at(at), repos, interval=tm.interval),
    ]
    if (start := _half_start(tm, at, t.resource_unserved_for)) is not None:
        cases.append(silent("a new repository without conditions for half the for duration", tm.at(at), [
            *repos, _info(config, served, "repo-new", f"_x{start} 1x{n - start}")], interval=tm.interval))
    served_list = ", ".join(f"{k.kind} ({k.group})" for k in managed.MANAGED_KINDS if k.served)
    return alert(
        config, "GiteaResourceKindNotServed", severity="warning", for_=t.resource_unserved_for, expr=expr,
        summary="Gitea managed resources that no controller reconciles.",
        description="{{ $value | humanize }} {{ $labels." + managed.KIND_LABEL + " }} resource(s) of {{ $labels."
                    + managed.GROUP_LABEL + f" }}}} have had no Synced condition for {t.resource_unserved_for}: no "
                    "controller of the provider has reconciled them: " + resource_list(
                        f"{info}{{{sel}, {managed.GROUP_LABEL}=%q, {managed.KIND_LABEL}=%q, {config.cluster_label}=%q}}"
                        f' unless on ({on}) {cond}{{{sel}, type="Synced"}}',
                        (managed.GROUP_LABEL, managed.KIND_LABEL, config.cluster_label), FIRST, "created") + ".",
        runbook=Runbook(
            meaning="The API server accepted the resource (the provider installs CRDs for "
                    f"{len({k.kind for k in managed.MANAGED_KINDS})} kinds in two API groups each), but no controller "
                    "ever set its conditions. Provider " + managed.PROVIDER_SOURCE + " starts controllers only for "
                    + served_list + " (internal/controller/controller.go); every other kind, and every kind of the "
                    f"cluster-scoped `*.{managed.CLUSTER_GROUP_SUFFIX}` groups, is never reconciled. A served kind "
                    "shows here when the provider is not running.",
            impact="Nothing is created in Gitea for these resources, and nothing says so on them.",
            diagnosis=("`kubectl get <kind>.<group> -A`: SYNCED and READY are empty.",
                       "The provider's version and its controllers: "
                       f"`kubectl get providers.pkg.crossplane.io {config.provider.package_name}`; " + kubectl_logs(config)),
            mitigation=("Use a served kind and group (" + served_list + "), or a provider version that serves this "
                        "kind; delete the resources it cannot serve.",
                        "If the kind is served, bring the provider up (GiteaProviderDown)."),
        ),
        cases=cases,
    )


def _provider_config_changed(config: Config) -> AlertingRule:
    t = config.thresholds
    gen = _metric(config, managed.PROVIDER_CONFIG_GENERATION)
    by = _by(config, "name")
    expr = (f"label_replace(\n  max by ({by}) (changes({gen}{{{config.resource_state_selector}}}[{t.change_window}])) > 0,"
            f'\n  "namespace", "{config.provider.namespace}", "", ""\n)')
    tm = td.window_timing(config, t.change_window)
    w = duration_seconds(t.change_window)
    at = tm.on_grid(max(w, 2 * tm.grid))
    n = tm.steps(at)
    jump = round((at - w / 2) / tm.step)
    pc = lambda values: td.series(gen, _target(config), values, **{  # noqa: E731
        managed.GROUP_LABEL: managed.PROVIDER_CONFIG.group, managed.KIND_LABEL: managed.PROVIDER_CONFIG.kind,
        managed.VERSION_LABEL: managed.PROVIDER_CONFIG.version, "name": "default"})
    labels = {config.cluster_label: td.CLUSTER, "name": "default", "namespace": config.provider.namespace}
    return alert(
        config, "GiteaProviderConfigChanged", severity="info", for_="0m", expr=expr,
        summary="A Gitea ProviderConfig's spec changed.",
        description="ProviderConfig {{ $labels.name }} changed {{ printf \"%.0f\" $value }} time(s) in the last "
                    f"{t.change_window} (its metadata.generation grew): base URL, credentials or TLS settings.",
        runbook=Runbook(
            meaning="The API server bumps metadata.generation on every change of the ProviderConfig's spec "
                    "(`baseURL`, `credentials`, `insecure`).",
            impact="None by itself: every resource using it reconciles against the new settings from its next "
                   "reconcile on. Correlate with resource alerts that start after it.",
            diagnosis=(f"`kubectl get providerconfigs.{managed.PROVIDER_CONFIG.group} {{{{name}}}} -o yaml` and your "
                       "change history (Git, audit log).",),
            mitigation=("None if intended; otherwise restore the previous spec.",),
        ),
        cases=[
            fires("generation 1 -> 2 within the window", tm.at(at), [pc(td.flip("1", "2", jump, n))], Expected(labels, 1),
                  interval=tm.interval),
            silent("unchanged", tm.at(at), [pc(td.gauge(3, n))], interval=tm.interval),
        ],
    )


def _package(config: Config) -> AlertingRule:
    t = config.thresholds
    pkg = _metric(config, managed.PACKAGE_CONDITION)
    sel, name = config.resource_state_selector, config.provider.package_name
    by = _by(config, managed.KIND_LABEL, "name", "type")
    inner = (f'{pkg}{{{sel}, {managed.KIND_LABEL}="{managed.PROVIDER.kind}", name="{name}", type=~"Installed|Healthy", '
             f'status!="True"}}\n    or\n    {pkg}{{{sel}, {managed.KIND_LABEL}="{managed.PROVIDER_REVISION.kind}", '
             f'package="{name}", desired_state="Active", type="Healthy", status!="True"}}')
    expr = (f"label_replace(\n  count by ({by}) (\n    {inner}\n  ) > 0,\n"
            f'  "namespace", "{config.provider.namespace}", "", ""\n)')
    tm = td.gauge_timing(config, t.provider_package_unhealthy_for)
    at = tm.held(t.provider_package_unhealthy_for)
    n = tm.steps(at)
    revision = f"{name}-1a2b3c4d5e6f"

    def cond(kind: managed.CustomKind, obj: str, type_: str, status: str, reason: str, **extra: str) -> Series:
        return td.series(pkg, _target(config), td.gauge(100, n), **{
            managed.GROUP_LABEL: kind.group, managed.KIND_LABEL: kind.kind, managed.VERSION_LABEL: kind.version,
            "name": obj, **extra, "type": type_, "status": status, "reason": reason})

    healthy = [cond(managed.PROVIDER, name, "Installed", "True", "ActivePackageRevision"),
               cond(managed.PROVIDER_REVISION, revision, "Healthy", "True", "HealthyPackageRevision", package=name,
                    desired_state="Active")]
    unhealthy = [cond(managed.PROVIDER, name, "Installed", "True", "ActivePackageRevision"),
                 cond(managed.PROVIDER, name, "Healthy", "False", "UnhealthyPackageRevision"),
                 cond(managed.PROVIDER_REVISION, revision, "Healthy", "False", "UnhealthyPackageRevision", package=name,
                      desired_state="Active")]
    old = cond(managed.PROVIDER_REVISION, f"{name}-0a0a0a0a0a0a", "Healthy", "False", "UnhealthyPackageRevision",
               package=name, desired_state="Inactive")
    other = cond(managed.PROVIDER, "provider-other", "Healthy", "False", "UnhealthyPackageRevision")
    lab = lambda kind, obj: {config.cluster_label: td.CLUSTER, managed.KIND_LABEL: kind, "name": obj,  # noqa: E731
                             "type": "Healthy", "namespace": config.provider.namespace}
    return alert(
        config, "GiteaProviderPackageUnhealthy", severity="critical", for_=t.provider_package_unhealthy_for, expr=expr,
        summary="Crossplane reports the Gitea provider package not installed or not healthy.",
        description="{{ $labels." + managed.KIND_LABEL + " }} {{ $labels.name }} has not been {{ $labels.type }} for "
                    f"{t.provider_package_unhealthy_for}.",
        runbook=Runbook(
            meaning="Crossplane's package manager could not install the provider's package revision (pulling the "
                    "image, establishing its CRDs) or its runtime is not healthy. A package whose CRDs the API "
                    "server rejects shows here: provider " + managed.PROVIDER_SOURCE + " ships 4 CRDs (accesstoken "
                    "and runner, both groups) that a real kube-apiserver refuses (`uniqueItems cannot be set to "
                    "true`).",
            impact="The provider may not run at all: no managed resource is reconciled (GiteaProviderDown and "
                   "GiteaResourceNotSynced follow).",
            diagnosis=(f"`kubectl describe providers.pkg.crossplane.io {name}` and `kubectl describe "
                       f"providerrevisions.pkg.crossplane.io -l {managed.PACKAGE_LABEL}={name}`: the conditions' "
                       "messages say which object failed.",
                       "Crossplane's own logs: `kubectl -n crossplane-system logs deploy/crossplane`."),
            mitigation=("Fix what the message names (image pull secret, a CRD the API server rejects: use a provider "
                        "version whose CRDs apply).",
                        f"Roll back `spec.package` of the Provider {name} to the last healthy version."),
        ),
        cases=[
            fires("the active revision is unhealthy", tm.at(at), unhealthy,
                  Expected(lab(managed.PROVIDER.kind, name), 1),
                  Expected(lab(managed.PROVIDER_REVISION.kind, revision), 1), interval=tm.interval),
            silent("installed and healthy", tm.at(at), healthy, interval=tm.interval),
            silent("an inactive old revision and another provider are unhealthy", tm.at(at), [*healthy, old, other],
                   interval=tm.interval),
        ],
    )


def rules(config: Config) -> RuleFile:
    return RuleFile(NAME, (
        RuleGroup("gitea-provider.resources", (_not_synced(config), _not_ready(config), _stuck_deleting(config),
                                               _not_served(config))),
        RuleGroup("gitea-provider.package", (_package(config), _provider_config_changed(config))),
    ))
