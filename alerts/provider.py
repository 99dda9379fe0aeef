"""Alerts on the provider itself: availability, leadership, reconciles, queues, resources.

Facts they rest on: a failed Gitea call shows up as `result="requeue"` (not as an error); the
steady state is `requeue_after`; with leader election only the leader reconciles, so everything
is aggregated over replicas before a ratio or a quantile is taken.
"""

from __future__ import annotations

import dataclasses
import math

from gitea_provider_monitoring.alerts import recording as rec
from gitea_provider_monitoring.model import provider_facts as facts
from gitea_provider_monitoring.model import testdata as td
from gitea_provider_monitoring.model.alerting import alert, kubectl_logs, kubectl_pods
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
from gitea_provider_monitoring.model.rules import series as sel_series

NAME = "provider-alerts"


def _reconciles(config: Config, controller: str, *, requeue: int, error: int, good: int, steps: int,
                replica: int = 0) -> list[Series]:
    """reconcile_total series for one controller: `good` split between success and requeue_after."""
    per = {"success": good // 2, "requeue_after": good - good // 2, "requeue": requeue, "error": error}
    return [td.provider(config, "controller_runtime_reconcile_total", td.counter(n, steps), replica,
                        controller=controller, result=result) for result, n in per.items()]


def _brief_start(tm: td.Timing, at: float, for_: str) -> int | None:
    """Sample at which a condition starts so that, at `at`, it has held for half of `for` (None: too short to test)."""
    for_s = duration_seconds(for_)
    if for_s < 2 * tm.grid:
        return None
    return round((at - for_s / 2) / tm.step)


def _down(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.provider_selector
    tm = td.gauge_timing(config, t.provider_down_for)
    at = tm.held(t.provider_down_for)
    n = tm.steps(at)
    up = lambda replica, value: td.provider(config, "up", td.gauge(value, n), replica)  # noqa: E731
    labels = td.group_labels(config, job=config.provider.job)
    cases = [
        fires("the only replica is down", tm.at(at), [up(0, 0)], Expected(labels, 0), interval=tm.interval),
        fires("all three replicas are down", tm.at(at), [up(i, 0) for i in range(3)], Expected(labels, 0),
              interval=tm.interval),
        fires("no replica is scraped at all", tm.at(at), [td.exporter(config, "up", td.gauge(1, n))],
              Expected({"job": config.provider.job, "namespace": config.provider.namespace}, 1), interval=tm.interval),
        silent("one of three replicas is down (HA)", tm.at(at), [up(0, 0), up(1, 1), up(2, 1)], interval=tm.interval),
    ]
    if (start := _brief_start(tm, at, t.provider_down_for)) is not None:
        cases.append(silent("down for half the for duration", tm.at(at),
                            [td.provider(config, "up", td.flip("1", "0", start, n))], interval=tm.interval))
    return alert(
        config, "GiteaProviderDown", severity="critical", for_=t.provider_down_for,
        expr=f"sum by ({config.by('job')}) (up{{{sel}}}) == 0\nor\nabsent(up{{{sel}}})",
        summary="No replica of the Crossplane Gitea provider is being scraped successfully.",
        description="No replica of job {{ $labels.job }} in namespace {{ $labels.namespace }} has answered a "
                    f"scrape for {t.provider_down_for}: Gitea repositories, organizations, users and webhooks "
                    "are not being reconciled.",
        runbook=Runbook(
            meaning="Prometheus cannot scrape any replica of the provider, or no replica exists.",
            impact="Nothing reconciles: changes to Gitea managed resources are not applied and drift is not "
                   "corrected until the provider is back.",
            diagnosis=(kubectl_pods(config), kubectl_logs(config),
                       f"Check the Provider package: `kubectl get providers.pkg.crossplane.io "
                       f"{config.provider.package_name}` (HEALTHY and INSTALLED should be True).",
                       f"Check the scrape: `up{{{sel}}}` in Prometheus and the PodMonitor's targets page."),
            mitigation=("If pods crash-loop, fix the cause shown in the logs (credentials, ProviderConfig, OOM).",
                        "If pods run but are not scraped, check the PodMonitor selector and the metrics port "
                        f"{config.provider.metrics_port}."),
        ),
        cases=cases,
    )


def _replica_down(config: Config) -> AlertingRule:
    t = config.thresholds
    by = config.by("job")
    tm = td.gauge_timing(config, t.replica_down_for)
    at = tm.held(t.replica_down_for)
    n = tm.steps(at)
    up = lambda replica, values: td.provider(config, "up", values, replica)  # noqa: E731
    labels = td.group_labels(config, job=config.provider.job)
    cases = [
        fires("one of three replicas is down", tm.at(at), [up(0, td.gauge(0, n)), up(1, td.gauge(1, n)),
                                                           up(2, td.gauge(1, n))], Expected(labels, 2), interval=tm.interval),
        silent("all replicas up", tm.at(at), [up(i, td.gauge(1, n)) for i in range(3)], interval=tm.interval),
    ]
    if (start := _brief_start(tm, at, t.replica_down_for)) is not None:
        cases.append(silent("a replica down for half the for duration", tm.at(at),
                            [up(0, td.flip("1", "0", start, n)), up(1, td.gauge(1, n))], interval=tm.interval))
    return alert(
        config, "GiteaProviderReplicaDown", severity="warning", for_=t.replica_down_for,
        expr=f"{rec.REPLICAS_UP} < on ({by}) {rec.REPLICAS}",
        summary="A replica of the Gitea provider cannot be scraped.",
        description="Only {{ $value | humanize }} replica(s) of {{ $labels.job }} in {{ $labels.namespace }} answer "
                    f"scrapes (for {t.replica_down_for}); the standby that would take over the leader lease is "
                    "missing.",
        runbook=Runbook(
            meaning="Some, not necessarily all, provider pods fail their scrapes. With one replica this fires "
                    "together with GiteaProviderDown, which inhibits it.",
            impact="Reconciling goes on while the leader is up; a leader failure now stops it.",
            diagnosis=(kubectl_pods(config), kubectl_logs(config)),
            mitigation=("Fix the pod that is not Ready (see its events and logs); check node pressure and "
                        "the PodMonitor if the pod runs but is not scraped.",),
        ),
        cases=cases,
    )


def _no_leader(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.provider_selector
    by = config.by("job")
    labels = td.group_labels(config, job=config.provider.job)
    tm = td.gauge_timing(config, t.no_leader_for)
    at = tm.held(t.no_leader_for)
    n = tm.steps(at)
    three_up = [td.provider(config, "up", td.gauge(1, n), i) for i in range(3)]
    leader = lambda replica, values: td.provider(config, "leader_election_master_status", values, replica,  # noqa: E731
                                                 name=facts.LEASE_NAME)
    cases = [
        fires("three replicas up, none leader", tm.at(at), [*three_up, *[leader(i, td.gauge(0, n)) for i in range(3)]],
              Expected(labels, 3), interval=tm.interval),
        fires("no replica reports the leader metric at all", tm.at(at), three_up, Expected(labels, 3),
              interval=tm.interval),
        silent("one replica of three is leader", tm.at(at), [*three_up, leader(0, td.gauge(1, n))], interval=tm.interval),
    ]
    if (start := _brief_start(tm, at, t.no_leader_for)) is not None:
        cases.append(silent("leader lost for half the for duration", tm.at(at),
                            [*three_up, leader(0, td.flip("1", "0", start, n))], interval=tm.interval))
    return alert(
        config, "GiteaProviderNoLeader", severity="critical", for_=t.no_leader_for,
        expr=f"{rec.REPLICAS_UP} > 0\nunless on ({by})\nmax by ({by}) (leader_election_master_status{{{sel}}}) == 1",
        summary="Replicas of the Gitea provider are up but none holds the leader lease.",
        description="{{ $value | humanize }} replica(s) of {{ $labels.job }} in {{ $labels.namespace }} are up, "
                    f"but none has been leader for {t.no_leader_for}; only the leader reconciles.",
        runbook=Runbook(
            meaning="Leader election is on (`provider.leader_election`, which passes the provider's "
                    f"`{facts.flag('leader-election').option}`) and no replica reports leader_election_master_status "
                    "== 1. This alert exists only in builds with leader election on: the provider's default is off, "
                    "and then no replica exports the metric at all.",
            impact="No replica reconciles: managed resources are neither created, updated nor deleted.",
            diagnosis=(kubectl_logs(config) + " Look for `leaderelection` and `failed to acquire lease` lines.",
                       f"Inspect the lease: `kubectl -n {config.provider.namespace} get lease {facts.LEASE_NAME} "
                       "-o yaml` (holderIdentity, renewTime).",
                       "Check that the Provider's pods run with the flag: `kubectl get deploymentruntimeconfig "
                       f"{config.exporter.runtime_config_name} -o yaml` lists it under the provider's container args.",
                       "Check RBAC for coordination.k8s.io leases and the Kubernetes API health."),
            mitigation=("Delete a stuck lease holder pod so another replica can acquire the lease.",
                        "Fix RBAC or API server problems reported in the logs."),
        ),
        cases=cases,
    )


def reconcile_failures(config: Config) -> Measure:
    """Share of reconciles ending in error or requeue per controller over the alert's own long window (whatever
    window a caller passes): a panel shows what the alert compares. `selector`: the raw series' whole selector."""
    window, by = config.thresholds.reconcile_failure_window, config.by("job", "controller")
    return Measure(lambda s, w: f"sum by ({by}) (increase(controller_runtime_reconcile_total{{{s}, {rec.FAILED_RESULTS}}}"
                                f"[{window}]))\n/\nsum by ({by}) (increase(controller_runtime_reconcile_total{{{s}}}"
                                f"[{window}]))", config.thresholds.reconcile_failure_ratio)


def _failure_ratio(config: Config) -> AlertingRule:
    """Re-decided on the real provider (#27): per-item back-off (5 ms doubling to 1000 s) thins a failing resource's
    reconciles to a few an hour, so a 5m window may hold none (NaN, and `for` restarts) and one failing resource
    among healthy ones never moves the ratio; a create is a `requeue` too. The window therefore spans the back-off
    cap, the severity is warning, and the resource-condition alerts name failing resources."""
    t = config.thresholds
    ctrl = config.provider.controllers[0]
    labels = td.group_labels(config, job=config.provider.job, controller=ctrl)
    pct = num(t.reconcile_failure_ratio * 100)
    window = duration_seconds(t.reconcile_failure_window)
    tm = dataclasses.replace(td.timing(config), rate_window=window)
    at = tm.held(t.reconcile_failure_for)
    n = tm.steps(at)
    high, low = td.above(t.reconcile_failure_ratio, 1), td.below(t.reconcile_failure_ratio)
    bad, total = td.per_step(high)
    ok_bad, ok_total = td.per_step(low)
    # Half errors, half requeues: each alone is under the threshold, together they are above it.
    half = bad // 2
    # Every resource failing and backing off: one attempt every `sparse` samples, and no successful reconcile.
    sparse = max(2, math.ceil(window / 4 / tm.step))
    backing_off = [td.provider(config, "controller_runtime_reconcile_total", f"0+0x{sparse - 1} " + " ".join(
        f"{k}+0x{sparse - 1}" for k in range(1, n // sparse + 1)), controller=ctrl, result="requeue")]
    cases = [
        fires(f"{num(high * 100)}% of reconciles requeue (threshold x 1.5)", tm.at(at),
              _reconciles(config, ctrl, requeue=bad, error=0, good=total - bad, steps=n), Expected(labels, float(high)),
              interval=tm.interval),
        fires("errors and requeues add up", tm.at(at),
              _reconciles(config, ctrl, requeue=half, error=bad - half, good=total - bad, steps=n),
              Expected(labels, float(high)), interval=tm.interval),
        fires(f"Gitea down: every resource backs off (an attempt every {td.fmt_duration(sparse * tm.step)}, "
              "none succeeds)", tm.at(at), backing_off, Expected(labels, 1.0), interval=tm.interval),
        silent(f"{num(low * 100)}% failures is under the threshold (threshold x 0.5)", tm.at(at),
               _reconciles(config, ctrl, requeue=ok_bad, error=0, good=ok_total - ok_bad, steps=n), interval=tm.interval),
        silent("healthy steady state (requeue_after only)", tm.at(at),
               _reconciles(config, ctrl, requeue=0, error=0, good=10, steps=n), interval=tm.interval),
    ]
    # A bulk create: every resource's create is a requeue, and its annotation update triggers a second reconcile
    # at once, both before the resources poll (requeue_after) once per `--poll`. Silent when the window dilutes
    # the burst below half the threshold: 2 / (2 + polls per window).
    polls = window / facts.POLL_SECONDS
    if 2 / (2 + polls) < t.reconcile_failure_ratio / 2:
        resources, burst_at = 50, round(window / 2 / tm.step)
        per_poll = facts.POLL_SECONDS / tm.step
        created = td.flip("0", str(2 * resources), burst_at, n)
        polled = " ".join(num(resources * max(0, math.floor((k - burst_at) / per_poll))) for k in range(n))
        cases.append(silent(f"{resources} resources created at once, then polled every {td.fmt_duration(facts.POLL_SECONDS)}",
                            tm.at(at), [td.provider(config, "controller_runtime_reconcile_total", created,
                                                    controller=ctrl, result="requeue"),
                                        td.provider(config, "controller_runtime_reconcile_total", polled,
                                                    controller=ctrl, result="requeue_after")], interval=tm.interval))
    measure = reconcile_failures(config)
    return alert(
        config, "GiteaProviderReconcileFailureRatioHigh", severity="warning", for_=t.reconcile_failure_for,
        measure=measure, expr=measure.expr(config.provider_selector, config.rate_window),
        summary="Many reconciles of a Gitea provider controller fail (error or requeue).",
        description="{{ $value | humanizePercentage }} of reconciles of controller {{ $labels.controller }} in "
                    f"{{{{ $labels.namespace }}}} failed over {t.reconcile_failure_window} (threshold {pct}%). A failed "
                    "Gitea call counts as a requeue, not as an error.",
        runbook=Runbook(
            meaning="The share of reconciles that end in `error` or `requeue` over "
                    f"{t.reconcile_failure_window} is above the threshold. crossplane-runtime returns a requeue "
                    "(and sets Synced=False) when a Gitea call fails, so this sees most of a kind failing, e.g. Gitea "
                    "down or the token rejected; `reconcile_errors_total` stays 0. What it cannot see: a failing "
                    f"resource is retried with per-item back-off ({num(facts.BACKOFF_BASE_SECONDS * 1000)} ms doubling "
                    f"to {num(facts.BACKOFF_CAP_SECONDS)} s), a few reconciles an hour against one a "
                    f"{td.fmt_duration(facts.POLL_SECONDS)} poll for each healthy one, so one resource failing among "
                    "healthy ones does not move it: the resource-condition alerts (Synced) name those. A successful "
                    "create, a requested delete and a 409 conflict are requeues too; the long window dilutes a bulk "
                    "create.",
            impact="Managed resources of this kind are not converging: creates, updates or deletes are failing.",
            diagnosis=(f"Failure ratio per controller: `{measure.query(config.provider_selector, '')}`.",
                       "Find resources that are not synced: `kubectl get managed -o wide | grep -v 'True.*True'` "
                       "and `kubectl describe` one of them (look at the Synced condition message).",
                       "Check Gitea itself: the GiteaAPI* alerts and the Gitea API dashboard.",
                       kubectl_logs(config)),
            mitigation=("If Gitea rejects calls (401/403), rotate the token in the ProviderConfig's Secret.",
                        "If Gitea is down or slow, restore Gitea; the provider retries on its own, but each resource "
                        f"only when its back-off expires (up to {num(facts.BACKOFF_CAP_SECONDS)} s): the ratio "
                        "falls as they come back, and the alert resolves after the window.",
                        "If one resource is invalid, fix its spec; it does not block the others."),
        ),
        cases=cases,
    )


def _latency(config: Config) -> AlertingRule:
    t = config.thresholds
    ctrl = config.provider.controllers[0]
    q = num(t.reconcile_latency_quantile)
    labels = td.group_labels(config, job=config.provider.job, controller=ctrl, quantile=q)
    metric = rec.RECONCILE_TIME
    return alert(
        config, "GiteaProviderReconcileLatencyHigh", severity="warning", for_=t.reconcile_latency_for,
        measure=Measure(lambda sel, w: sel_series(rec.RECONCILE_LATENCY, sel, f'quantile="{q}"'),
                        t.reconcile_latency_seconds, quantile=t.reconcile_latency_quantile),
        summary="Reconciles of a Gitea provider controller are slow.",
        description=f"p{num(t.reconcile_latency_quantile * 100)} reconcile time of controller "
                    "{{ $labels.controller }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} "
                    f"(threshold {num(t.reconcile_latency_seconds)}s).",
        runbook=Runbook(
            meaning="Reconciles take long; most of a reconcile is spent waiting for Gitea API calls "
                    "(the provider's client times out after 30 s).",
            impact="Changes take longer to apply; slow reconciles occupy workers and back up the queue.",
            diagnosis=(f"Latency per controller: `{rec.RECONCILE_LATENCY}`.",
                       "Compare with Gitea API latency from the exporter (GiteaAPILatencyHigh, Gitea API dashboard).",
                       kubectl_logs(config)),
            mitigation=("If Gitea is slow, fix Gitea (database, load).",
                        "If the provider is CPU-throttled, raise its CPU limit in the DeploymentRuntimeConfig."),
        ),
        cases=td.latency_cases(config, td.provider, metric, t.reconcile_latency_seconds, t.reconcile_latency_quantile,
                               t.reconcile_latency_for, labels, controller=ctrl),
    )


def queue_depth(config: Config) -> Measure:
    """Items waiting per work queue, from the gauge (`selector`: the provider's, or a dashboard's)."""
    by = config.by("job", "name")
    return Measure(lambda s, w: f"sum by ({by}) (workqueue_depth{{{s}}})", config.thresholds.workqueue_depth)


def workers_saturation(config: Config) -> Measure:
    """Busy workers / pool size per controller; max over replicas, since only the leader has busy workers."""
    by = config.by("job", "controller")
    return Measure(lambda s, w: f"max by ({by}) (controller_runtime_active_workers{{{s}}})\n"
                                f"/\nmax by ({by}) (controller_runtime_max_concurrent_reconciles{{{s}}})",
                   config.thresholds.workers_saturation_ratio)


def _queue_depth(config: Config) -> AlertingRule:
    t = config.thresholds
    ctrl = config.provider.controllers[0]
    labels = td.group_labels(config, job=config.provider.job, name=ctrl)
    tm = td.gauge_timing(config, t.workqueue_depth_for)
    at = tm.held(t.workqueue_depth_for)
    n = tm.steps(at)
    deep = math.floor(t.workqueue_depth * 1.5) + 1
    depth = lambda value: [td.provider(config, "workqueue_depth", td.gauge(value, n), name=ctrl,  # noqa: E731
                                       controller=ctrl)]
    measure = queue_depth(config)
    return alert(
        config, "GiteaProviderWorkQueueDepthHigh", severity="warning", for_=t.workqueue_depth_for,
        measure=measure, expr=measure.expr(config.provider_selector, config.rate_window),
        summary="The work queue of a Gitea provider controller is backing up.",
        description="{{ $value | humanize }} items wait in the work queue of {{ $labels.name }} in "
                    f"{{{{ $labels.namespace }}}} (threshold {num(t.workqueue_depth)}).",
        runbook=Runbook(
            meaning="More items are added to the queue than the workers finish. What it cannot see: a resource "
                    "waiting out its back-off after a failed reconcile is not in the queue (it is re-added when the "
                    "back-off expires), so on the real provider the depth stayed 0 with Gitea down; failures show "
                    "in the resources' Synced condition and in GiteaProviderReconcileFailureRatioHigh.",
            impact="Changes wait before they are reconciled.",
            diagnosis=(f"Depth per queue: `{measure.query(config.provider_selector, '')}`; worker saturation: "
                       f"`{workers_saturation(config).query(config.provider_selector, '')}`.",
                       "Check reconcile latency and Gitea API latency: slow calls keep workers busy."),
            mitigation=("Fix the slowness upstream (Gitea): each controller has one worker "
                        f"({facts.SOURCE_VERSION} sets no concurrency, and `--max-reconcile-rate` reaches no "
                        "controller), so a queue drains only as fast as single reconciles finish.",
                        f"Lower the work: a longer `{facts.effective_flag('poll')}` (default "
                        f"{facts.flag('poll').default}) in the DeploymentRuntimeConfig's provider container args "
                        "polls each healthy resource less often.",),
        ),
        cases=[
            fires(f"{deep} items stay queued (over threshold x 1.5)", tm.at(at), depth(deep), Expected(labels, deep),
                  interval=tm.interval),
            silent("queue at the threshold", tm.at(at), depth(t.workqueue_depth), interval=tm.interval),
            silent("queue at half the threshold", tm.at(at), depth(math.floor(t.workqueue_depth / 2)),
                   interval=tm.interval),
        ],
    )


def _queue_wait(config: Config) -> AlertingRule:
    t = config.thresholds
    ctrl = config.provider.controllers[0]
    q = num(t.workqueue_wait_quantile)
    labels = td.group_labels(config, job=config.provider.job, name=ctrl, quantile=q)
    metric = "workqueue_queue_duration_seconds"
    return alert(
        config, "GiteaProviderWorkQueueWaitHigh", severity="warning", for_=t.workqueue_wait_for,
        measure=Measure(lambda sel, w: sel_series(rec.WORKQUEUE_WAIT, sel, f'quantile="{q}"'),
                        t.workqueue_wait_seconds, quantile=t.workqueue_wait_quantile),
        summary="Items wait long in a Gitea provider work queue before they are reconciled.",
        description=f"p{num(t.workqueue_wait_quantile * 100)} time in queue {{{{ $labels.name }}}} in "
                    "{{ $labels.namespace }} is {{ $value | humanizeDuration }} "
                    f"(threshold {num(t.workqueue_wait_seconds)}s).",
        runbook=Runbook(
            meaning="Items wait in the queue for longer than the threshold before a worker picks them up.",
            impact="Changes to managed resources are applied late.",
            diagnosis=(f"Wait time per queue: `{rec.WORKQUEUE_WAIT}`.",
                       f"Saturation: `{workers_saturation(config).query(config.provider_selector, '')}`."),
            mitigation=("Fix slow reconciles (usually a slow Gitea): the provider has one worker per controller and no "
                        "flag raises it.",
                        f"Fewer polls of healthy resources: a longer `{facts.effective_flag('poll')}`.",),
        ),
        cases=td.latency_cases(config, td.provider, metric, t.workqueue_wait_seconds, t.workqueue_wait_quantile,
                               t.workqueue_wait_for, labels, name=ctrl, controller=ctrl),
    )


def _queue_stuck(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.provider_selector
    ctrl = config.provider.controllers[0]
    labels = td.group_labels(config, job=config.provider.job, name=ctrl)
    stuck = t.workqueue_unfinished_seconds * 2
    tm = td.gauge_timing(config, t.workqueue_unfinished_for)
    at = tm.held(t.workqueue_unfinished_for)
    n = tm.steps(at)
    work = lambda seconds: [td.provider(config, "workqueue_unfinished_work_seconds", td.gauge(seconds, n),  # noqa: E731
                                        name=ctrl, controller=ctrl)]
    measure = Measure(lambda s, w: f"max by ({config.by('job', 'name')}) (workqueue_unfinished_work_seconds{{{s}}})",
                      t.workqueue_unfinished_seconds)
    return alert(
        config, "GiteaProviderWorkQueueStuck", severity="warning", for_=t.workqueue_unfinished_for,
        expr=measure.expr(sel, config.rate_window), measure=measure,
        summary="A Gitea provider worker seems stuck on one item.",
        description="Work in progress in queue {{ $labels.name }} in {{ $labels.namespace }} has been running for "
                    f"{{{{ $value | humanizeDuration }}}} (threshold {num(t.workqueue_unfinished_seconds)}s).",
        runbook=Runbook(
            meaning="workqueue_unfinished_work_seconds grows when a worker does not finish its item.",
            impact="A stuck worker reduces capacity; if all are stuck nothing reconciles.",
            diagnosis=("Unfinished work per queue: `workqueue_unfinished_work_seconds`; the oldest item in it: "
                       "`workqueue_longest_running_processor_seconds`.",
                       kubectl_logs(config) + " Look for calls that never return."),
            mitigation=("Restart the provider pod holding the lease; report the hang with its logs.",),
        ),
        cases=[
            fires("work in progress for twice the threshold", tm.at(at), work(stuck), Expected(labels, stuck),
                  interval=tm.interval),
            silent("work in progress for half the threshold", tm.at(at), work(t.workqueue_unfinished_seconds / 2),
                   interval=tm.interval),
        ],
    )


def _workers(config: Config) -> AlertingRule:
    t = config.thresholds
    ctrl = config.provider.controllers[0]
    labels = td.group_labels(config, job=config.provider.job, controller=ctrl)

    tm = td.gauge_timing(config, t.workers_saturation_for)
    at = tm.held(t.workers_saturation_for)
    n = tm.steps(at)
    high, low = td.above(t.workers_saturation_ratio, 1), td.below(t.workers_saturation_ratio)
    busy, size = td.per_step(high)
    idle_busy, idle_size = td.per_step(low)
    measure = workers_saturation(config)

    def pool(active_leader: int, workers: int) -> list[Series]:
        # Three replicas report the pool size; only the leader (replica 0) has active workers.
        out = [td.provider(config, "controller_runtime_max_concurrent_reconciles", td.gauge(workers, n), i,
                           controller=ctrl) for i in range(3)]
        out.append(td.provider(config, "controller_runtime_active_workers", td.gauge(active_leader, n), 0,
                               controller=ctrl))
        out += [td.provider(config, "controller_runtime_active_workers", td.gauge(0, n), i, controller=ctrl)
                for i in (1, 2)]
        return out

    return alert(
        config, "GiteaProviderWorkersSaturated", severity="warning", for_=t.workers_saturation_for,
        measure=measure, expr=measure.expr(config.provider_selector, config.rate_window),
        summary="All workers of a Gitea provider controller are busy.",
        description="{{ $value | humanizePercentage }} of the workers of controller {{ $labels.controller }} in "
                    f"{{{{ $labels.namespace }}}} are busy (threshold {num(t.workers_saturation_ratio * 100)}%).",
        runbook=Runbook(
            meaning="Active workers are close to max_concurrent_reconciles on the leader. The provider runs "
                    f"{facts.WORKERS_PER_CONTROLLER} worker per controller ({facts.SOURCE_VERSION}), so saturation "
                    "is 0 or 100% at any instant: firing means the one worker was busy at every evaluation for the "
                    "`for` duration, i.e. reconciles of that kind run back to back.",
            impact="New work waits in the queue; latency of changes grows.",
            diagnosis=(f"Saturation: `{measure.query(config.provider_selector, '')}`; queue depth: "
                       f"`{queue_depth(config).query(config.provider_selector, '')}`.",
                       "Check reconcile and Gitea API latency: slow calls hold workers."),
            mitigation=("Fix the slow dependency (usually Gitea's latency): no flag of the provider raises its "
                        "concurrency (`--max-reconcile-rate` reaches no controller).",
                        f"Fewer polls of healthy resources: a longer `{facts.effective_flag('poll')}`.",),
        ),
        cases=[
            fires(f"leader uses {busy} of {size} workers (3 replicas)", tm.at(at), pool(busy, size),
                  Expected(labels, float(high)), interval=tm.interval),
            silent(f"leader uses {idle_busy} of {idle_size} workers", tm.at(at), pool(idle_busy, idle_size),
                   interval=tm.interval),
        ],
    )


def _restarting(config: Config) -> AlertingRule:
    t = config.thresholds
    pod_sel = config.provider_pod_selector
    labels = td.group_labels(config, pod=td.pods(config)[0])
    n = math.floor(t.restarts_count)
    # Over the alert's own window (whatever window a caller passes): a panel shows the same count.
    measure = Measure(lambda s, w: f"sum by ({config.by('pod')}) (increase(kube_pod_container_status_restarts_total"
                                   f"{{{s}}}[{t.restarts_window}]))", t.restarts_count)
    return alert(
        config, "GiteaProviderRestarting", severity="warning", for_="0m",
        expr=measure.expr(pod_sel, config.rate_window), measure=measure,
        summary="A Gitea provider pod keeps restarting.",
        description="Pod {{ $labels.pod }} in {{ $labels.namespace }} restarted {{ printf \"%.0f\" $value }} times in "
                    f"the last {t.restarts_window} (threshold {num(t.restarts_count)}).",
        runbook=Runbook(
            meaning="The provider container restarts repeatedly (crash, OOM kill or failing probes).",
            impact="Reconciles are interrupted; with one replica the provider is down between restarts.",
            diagnosis=(kubectl_pods(config),
                       f"Last termination reason: `kubectl -n {config.provider.namespace} describe pod <pod>` "
                       "(Last State: OOMKilled, Error).",
                       kubectl_logs(config) + " Add `--previous` for the crashed container."),
            mitigation=("OOMKilled: raise the memory limit in the DeploymentRuntimeConfig.",
                        "Crash on start: check the ProviderConfig and credentials Secret.",
                        *(("Log says `unable to find leader election namespace`: `--leader-election` reads the "
                           "namespace from the pod's service-account mount; do not set "
                           "`automountServiceAccountToken: false` on the provider's pod or service account "
                           "(docs/user-guide.md).",) if config.provider.leader_election else ())),
        ),
        cases=_increase_cases(config, t.restarts_window, "kube_pod_container_status_restarts_total", td.kube,
                              {}, labels, fire=(f"{n + 1} restarts within the window", n + 1),
                              quiet=(f"{n} restarts within the window", n)),
    )


def _increase_cases(config: Config, window: str, metric: str, make, series_labels: dict[str, str],
                    labels: dict[str, str], fire: tuple[str, int], quiet: tuple[str, int]) -> td.Cases:
    """Cases of `increase(metric[window]) > N` alerts: the counter jumps inside the window, then holds.

    The first sample in the window is the value before the jump, and the eval time is on a sample, so
    increase() extrapolates nothing and counts exactly the jump.
    """
    tm = td.window_timing(config, window)
    w = duration_seconds(window)
    at = tm.on_grid(max(w, 2 * tm.grid))
    jump = round((at - w / 2) / tm.step)
    n = tm.steps(at)
    values = lambda k: td.flip("0", str(k), jump, n) if k else td.gauge(0, n)  # noqa: E731
    return [
        fires(fire[0], tm.at(at), [make(config, metric, values(fire[1]), **series_labels)], Expected(labels, fire[1]),
              interval=tm.interval),
        silent(quiet[0], tm.at(at), [make(config, metric, values(quiet[1]), **series_labels)], interval=tm.interval),
    ]


def _memory(config: Config) -> AlertingRule:
    t = config.thresholds
    pod_sel = config.provider_pod_selector
    by = config.by("pod")
    labels = td.group_labels(config, pod=td.pods(config)[0])
    tm = td.gauge_timing(config, t.memory_for)
    at = tm.held(t.memory_for)
    n = tm.steps(at)
    high, low = td.above(t.memory_limit_ratio, 1), td.below(t.memory_limit_ratio)

    def usage(ratio) -> list[Series]:
        used, limit = td.per_step(ratio, at_least=10**9)  # a 1 GB limit, or finer for many decimals
        return [td.kube(config, "container_memory_working_set_bytes", td.gauge(used, n)),
                td.kube(config, "kube_pod_container_resource_limits", td.gauge(limit, n), resource="memory",
                        unit="byte")]

    measure = Measure(lambda s, w: f"max by ({by}) (container_memory_working_set_bytes{{{s}}})\n/ on ({by})\n"
                                   f'max by ({by}) (kube_pod_container_resource_limits{{{s}, resource="memory"}})',
                      t.memory_limit_ratio)
    return alert(
        config, "GiteaProviderMemoryNearLimit", severity="warning", for_=t.memory_for,
        expr=measure.expr(pod_sel, config.rate_window), measure=measure,
        summary="A Gitea provider pod uses most of its memory limit.",
        description="Pod {{ $labels.pod }} in {{ $labels.namespace }} uses {{ $value | humanizePercentage }} of its "
                    f"memory limit (threshold {num(t.memory_limit_ratio * 100)}%); it will be OOM-killed at 100%.",
        runbook=Runbook(
            meaning="Working-set memory is close to the container's memory limit.",
            impact="The kernel OOM-kills the container at the limit; reconciles stop until it restarts.",
            diagnosis=("Memory trend: Capacity Planning dashboard (predict_linear panel).",
                       "Count managed resources: `kubectl get managed | wc -l`; memory grows with the cache."),
            mitigation=("Raise the memory limit in the DeploymentRuntimeConfig.",),
        ),
        cases=[
            fires(f"{num(high * 100)}% of the limit", tm.at(at), usage(high), Expected(labels, float(high)),
                  interval=tm.interval),
            silent(f"{num(low * 100)}% of the limit", tm.at(at), usage(low), interval=tm.interval),
        ],
    )


def _cpu(config: Config) -> AlertingRule:
    t = config.thresholds
    pod_sel = config.provider_pod_selector
    by = config.by("pod")
    labels = td.group_labels(config, pod=td.pods(config)[0])
    tm = td.timing(config)
    at = tm.held(t.cpu_throttling_for)
    n = tm.steps(at)
    high, low = td.above(t.cpu_throttling_ratio, 1), td.below(t.cpu_throttling_ratio)

    def throttled(share) -> list[Series]:
        bad, total = td.per_step(share)
        return [td.kube(config, "container_cpu_cfs_periods_total", td.counter(total, n)),
                td.kube(config, "container_cpu_cfs_throttled_periods_total", td.counter(bad, n))]

    measure = Measure(lambda s, w: f"sum by ({by}) (rate(container_cpu_cfs_throttled_periods_total{{{s}}}[{w}]))\n"
                                   f"/ on ({by})\nsum by ({by}) (rate(container_cpu_cfs_periods_total{{{s}}}[{w}]))",
                      t.cpu_throttling_ratio)
    return alert(
        config, "GiteaProviderCPUThrottled", severity="warning", for_=t.cpu_throttling_for,
        expr=measure.expr(pod_sel, config.rate_window), measure=measure,
        summary="A Gitea provider pod is CPU-throttled.",
        description="{{ $value | humanizePercentage }} of CPU periods of pod {{ $labels.pod }} in "
                    f"{{{{ $labels.namespace }}}} were throttled (threshold {num(t.cpu_throttling_ratio * 100)}%).",
        runbook=Runbook(
            meaning="The container hits its CPU limit in many scheduling periods.",
            impact="Reconciles and leader-election renewals slow down; lease loss is possible.",
            diagnosis=("CPU against limits: Capacity Planning dashboard.",),
            mitigation=("Raise or remove the CPU limit in the DeploymentRuntimeConfig.",),
        ),
        cases=[
            fires(f"{num(high * 100)}% of the periods throttled", tm.at(at), throttled(high),
                  Expected(labels, float(high)), interval=tm.interval),
            silent(f"{num(low * 100)}% of the periods throttled", tm.at(at), throttled(low), interval=tm.interval),
        ],
    )


def _kube_api(config: Config) -> AlertingRule:
    t = config.thresholds
    labels = td.group_labels(config, job=config.provider.job)
    tm = td.timing(config)
    at = tm.held(t.kube_api_error_for)
    n = tm.steps(at)
    high, low = td.above(t.kube_api_error_ratio, 1), td.below(t.kube_api_error_ratio)

    def calls(share, code: str = "500") -> list[Series]:
        bad, total = td.per_step(share)
        reads = (total - bad) // 2
        return [td.provider(config, "rest_client_requests_total", td.counter(reads, n), code="200", method="GET",
                            host="10.96.0.1:443"),
                td.provider(config, "rest_client_requests_total", td.counter(bad, n), code=code, method="PUT",
                            host="10.96.0.1:443"),
                td.provider(config, "rest_client_requests_total", td.counter(total - reads - bad, n), code="201",
                            method="PUT", host="10.96.0.1:443")]

    return alert(
        config, "GiteaProviderKubernetesAPIErrors", severity="warning", for_=t.kube_api_error_for,
        measure=Measure(lambda sel, w: sel_series(rec.KUBE_API_ERROR_RATIO, sel), t.kube_api_error_ratio),
        summary="The Gitea provider's calls to the Kubernetes API fail.",
        description="{{ $value | humanizePercentage }} of Kubernetes API requests of {{ $labels.job }} in "
                    f"{{{{ $labels.namespace }}}} got 5xx or 429 (threshold {num(t.kube_api_error_ratio * 100)}%).",
        runbook=Runbook(
            meaning="rest_client_requests_total shows server errors or throttling (429) from the API server.",
            impact="Status updates and lease renewals fail; the provider may lose leadership.",
            diagnosis=("Errors by code: `sum by (code) (rate(rest_client_requests_total{code=~\"5..|429\"}"
                       f"[{config.rate_window}]))`.",
                       "Check the API server's health and API Priority and Fairness."),
            mitigation=("Fix the API server; if 429, review the provider's flow schema or request rate.",),
        ),
        cases=[
            fires(f"{num(high * 100)}% of calls fail", tm.at(at), calls(high), Expected(labels, float(high)),
                  interval=tm.interval),
            fires(f"{num(high * 100)}% of calls are throttled (429)", tm.at(at), calls(high, "429"),
                  Expected(labels, float(high)), interval=tm.interval),
            silent(f"{num(low * 100)}% of calls fail", tm.at(at), calls(low), interval=tm.interval),
        ],
    )


def _counter_alert(config: Config, name: str, metric: str, window: str, what: str, runbook: Runbook,
                   summary: str) -> AlertingRule:
    """An alert on any increase of a per-controller counter (panics, terminal errors)."""
    ctrl = config.provider.controllers[0]
    labels = td.group_labels(config, job=config.provider.job, controller=ctrl)
    return alert(
        config, name, severity="warning", for_="0m", runbook=runbook,
        expr=f"sum by ({config.by('job', 'controller')}) (increase({metric}{{{config.provider_selector}}}[{window}])) > 0",
        summary=summary,
        description=f"Controller {{{{ $labels.controller }}}} in {{{{ $labels.namespace }}}} had "
                    f"{{{{ printf \"%.0f\" $value }}}} {what} in the last {window}.",
        cases=[
            *_increase_cases(config, window, metric, td.provider, {"controller": ctrl}, labels,
                             fire=(f"one {what[:-1] if what.endswith('s') else what}", 1), quiet=("counter flat", 0)),
            silent("counter flat after a restart resets it to 0", "20m",
                   [td.provider(config, metric, "0x10 _ 0x10", controller=ctrl)]),
        ],
    )


def _panics(config: Config) -> AlertingRule:
    return _counter_alert(
        config, "GiteaProviderReconcilePanics", "controller_runtime_reconcile_panics_total",
        config.thresholds.panics_window, "panics",
        Runbook(meaning="A reconcile panicked; controller-runtime recovered it.",
                impact="The resource being reconciled does not converge; a bug in the provider.",
                diagnosis=(kubectl_logs(config) + " Look for `Observed a panic`.",),
                mitigation=("Report the stack trace upstream; upgrade the provider when fixed.",)),
        "A Gitea provider reconcile panicked.")


def _terminal(config: Config) -> AlertingRule:
    return _counter_alert(
        config, "GiteaProviderTerminalReconcileErrors", "controller_runtime_terminal_reconcile_errors_total",
        config.thresholds.terminal_errors_window, "terminal errors",
        Runbook(meaning="A reconcile returned a terminal error: it will not be retried.",
                impact="The affected resource stays unreconciled until its spec changes.",
                diagnosis=(kubectl_logs(config), "Describe the resources whose Synced condition is False."),
                mitigation=("Fix the resource spec named in the error.",)),
        "A Gitea provider reconcile failed with a terminal (not retried) error.")


def _replicas_changed(config: Config) -> AlertingRule:
    t = config.thresholds
    labels = td.group_labels(config, job=config.provider.job)
    up = lambda replica, values: td.provider(config, "up", values, replica)  # noqa: E731
    # Scaled at `change` (one change_window into the data); checked `for` + two evaluations later, while
    # the count change_window ago still shows the old number.
    tm = td.gauge_timing(config, t.change_window)
    window = duration_seconds(t.change_window)
    change = tm.on_grid(window)
    at = tm.on_grid(change + duration_seconds(t.replicas_changed_for) + 2 * tm.grid)
    n, k = tm.steps(at), round(change / tm.step)
    surge = max(1, round(duration_seconds(t.replicas_changed_for) / 2 / tm.step))
    early = tm.on_grid(window / 2) if window / 2 >= tm.grid else None
    return alert(
        config, "GiteaProviderReplicasChanged", severity="info", for_=t.replicas_changed_for,
        # Compared with the count change_window ago, held for a while: the partial counts while Prometheus
        # (re)starts scraping, or a rollout's surge pod, are not a change.
        expr=f"{rec.REPLICAS} != {rec.REPLICAS} offset {t.change_window}",
        summary="The number of Gitea provider replicas changed.",
        description="{{ $labels.job }} in {{ $labels.namespace }} now has {{ $value | humanize }} replica(s), "
                    f"not as many as {t.change_window} ago (scaling or a changed DeploymentRuntimeConfig).",
        runbook=Runbook(meaning="Prometheus sees a different number of provider targets than an hour before.",
                        impact="None by itself; context for other alerts.",
                        diagnosis=(kubectl_pods(config),),
                        mitigation=("None needed if the change was intended.",)),
        cases=[
            fires("scaled from 1 to 3", tm.at(at), [up(0, td.gauge(1, n)), up(1, td.flip("_", "1", k, n)),
                                                     up(2, td.flip("_", "1", k, n))], Expected(labels, 3),
                  interval=tm.interval),
            silent("three replicas all along", tm.at(at), [up(i, td.gauge(1, n)) for i in range(3)], interval=tm.interval),
            silent("a surge pod for half the for duration", tm.at(at),
                   [up(0, td.gauge(1, n)), up(1, f"_x{n - surge} 1x{surge}")], interval=tm.interval),
            *([silent("within the first change window (nothing to compare)", tm.at(early),
                      [up(0, td.gauge(1, n)), up(1, td.flip("_", "1", 2, n))], interval=tm.interval)]
              if early else []),
        ],
    )


def _version_changed(config: Config) -> AlertingRule:
    t, pod_sel = config.thresholds, config.provider_pod_selector
    by = config.by("image")
    image = "xpkg.upbound.io/crossplane-contrib/provider-gitea"
    old, new = f"{image}:v0.1.0", f"{image}:v0.2.0"
    labels = td.group_labels(config, image=new)
    info = lambda image, values: td.kube(config, "kube_pod_container_info", values, image=image,  # noqa: E731
                                         image_id="sha256:0", container_id="containerd://0")
    tm = td.gauge_timing(config, t.change_window)
    window = duration_seconds(t.change_window)
    change = tm.on_grid(window + tm.grid)
    at = change + tm.grid
    n, k = tm.steps(at), round(change / tm.step)
    first = tm.on_grid(window / 2)
    return alert(
        config, "GiteaProviderVersionChanged", severity="info", for_="0m",
        expr=f"count by ({by}) (kube_pod_container_info{{{pod_sel}}})\nunless on ({by})\n"
             f"count by ({by}) (kube_pod_container_info{{{pod_sel}}} offset {t.change_window})\n"
             f"and on ({config.by()})\ncount by ({config.by()}) (kube_pod_container_info{{{pod_sel}}} offset {t.change_window})",
        summary="The Gitea provider now runs a different image.",
        description="Namespace {{ $labels.namespace }} runs provider image {{ $labels.image }}, which was not running "
                    f"{t.change_window} ago.",
        runbook=Runbook(meaning="A new provider image started (upgrade or downgrade of the Provider package).",
                        impact="None by itself; correlate with alerts that start after it.",
                        diagnosis=(f"`kubectl get providers.pkg.crossplane.io {config.provider.package_name} -o yaml`.",),
                        mitigation=("Roll back the Provider package if the new version misbehaves.",)),
        cases=[
            fires("image replaced after a change window", tm.at(at),
                  [info(old, f"1x{k - 1}"), info(new, td.flip("_", "1", k, n))], Expected(labels, 1),
                  interval=tm.interval),
            silent("same image all along", tm.at(at), [info(old, td.gauge(1, n))], interval=tm.interval),
            silent("first install (nothing a change window ago)", tm.at(first), [info(new, td.gauge(1, n))],
                   interval=tm.interval),
        ],
    )


def rules(config: Config) -> RuleFile:
    availability = [_down(config), _replica_down(config)]
    if config.provider.leader_election:
        availability.append(_no_leader(config))
    availability += [_restarting(config), _replicas_changed(config), _version_changed(config)]
    reconcile = [_failure_ratio(config), _latency(config), _panics(config), _terminal(config),
                 _kube_api(config)]
    capacity = [_queue_depth(config), _queue_wait(config), _queue_stuck(config), _workers(config),
                _memory(config), _cpu(config)]
    return RuleFile(NAME, (
        RuleGroup("gitea-provider.availability", tuple(availability)),
        RuleGroup("gitea-provider.reconcile", tuple(reconcile)),
        RuleGroup("gitea-provider.capacity", tuple(capacity)),
    ))
