"""Resource Management: per controller, how reconciles, queues and workers behave."""

from __future__ import annotations

from gitea_provider_monitoring.alerts import measure
from gitea_provider_monitoring.alerts import recording as rec
from gitea_provider_monitoring.dashboards import troubleshooting
from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.model import panels as p
from gitea_provider_monitoring.model import provider_facts as facts
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef
from gitea_provider_monitoring.model.overrides import config_for

UID = "gitea-provider-resources"


def dashboard(config: Config) -> DashboardDef:
    prov = p.provider_sel(config, 'controller=~"$controller"')
    queue = p.provider_sel(config, 'name=~"$controller"')
    exp = p.exporter_sel(config)
    g = p.Grid()
    _managed_resources(config, g)
    g.row("Reconciles")
    g.add(p.timeseries("Reconcile rate by result", "Reconciles per second by result for the selected controllers.",
                       "ops", [(rec.reconcile_rate("controller, result", prov, "$__rate_interval"), "{{controller}} {{result}}")],
                       stack=True), w=12)
    g.add(p.heatmap("Reconcile latency", "Distribution of reconcile time (all selected controllers).", "s",
                    rec.bucket_rates(rec.RECONCILE_TIME, "le", prov, "$__rate_interval")),
          w=12)
    g.row("Work queue")
    depth = measure(config, "GiteaProviderWorkQueueDepthHigh")
    g.add(p.timeseries("Queue depth", "Items waiting per queue.", "short",
                       [(depth.query(queue, ""), "{{name}}")],
                       steps=p.alert_steps(depth), links=p.runbook_links(config, depth)), w=8)
    g.add(p.timeseries("Adds and delayed adds", "Items added to the queue per second, and those added with a delay. "
                       "workqueue_retries_total counts every delayed add: a healthy resource's next poll (requeue_after) "
                       "as well as a failed one's back-off, so about one per resource per poll interval when all is well.",
                       "ops", [(f"sum by (name) (rate(workqueue_adds_total{{{queue}}}[$__rate_interval]))", "{{name}} adds"),
                               (f"sum by (name) (rate(workqueue_retries_total{{{queue}}}[$__rate_interval]))",
                                "{{name}} delayed")]), w=8)
    g.add(p.timeseries("Active vs max workers", "Busy workers against the pool size (one worker per controller in "
                       f"provider {facts.SOURCE_VERSION}: 0 or 1 at any instant).", "short",
                       [(f"max by (controller) (controller_runtime_active_workers{{{prov}}})", "{{controller}} active"),
                        (f"max by (controller) (controller_runtime_max_concurrent_reconciles{{{prov}}})",
                         "{{controller}} max")]), w=8)

    hint_mr = p.OPTIONAL_HINT.format(what="the provider enables crossplane-runtime's managed-resource metrics")
    g.row("Managed resources (optional: crossplane-runtime metrics)", collapsed=True)
    g.add(p.timeseries("Exists / ready / synced", "Managed resources per kind that exist, are Ready and are Synced. "
                       + hint_mr, "short",
                       [(f"sum by (gvk) (crossplane_managed_resource_exists{{{p.provider_sel(config)}}})", "{{gvk}} exists"),
                        (f"sum by (gvk) (crossplane_managed_resource_ready{{{p.provider_sel(config)}}})", "{{gvk}} ready"),
                        (f"sum by (gvk) (crossplane_managed_resource_synced{{{p.provider_sel(config)}}})", "{{gvk}} synced")],
                       no_value="metrics not enabled"), w=12)
    g.add(p.timeseries("Time to readiness (p95)", "95th percentile time from creation to first Ready. " + hint_mr, "s",
                       [("histogram_quantile(0.95, sum by (gvk, le) (rate(crossplane_managed_resource_first_time_to_"
                         f"readiness_seconds_bucket{{{p.provider_sel(config)}}}[$__rate_interval])))", "{{gvk}}")],
                       no_value="metrics not enabled"), w=12)

    hint_proxy = p.OPTIONAL_HINT.format(what="the exporter runs in proxy mode (--mode proxy or both)")
    g.row("Gitea operations per kind (optional: exporter proxy mode)", collapsed=True)
    g.add(p.timeseries("Create / update / delete rate", "Provider calls to Gitea per kind and operation. " + hint_proxy,
                       "reqps", [(f"sum by (kind, operation) (rate(gitea_api_requests_total{{{exp}}}[$__rate_interval]))",
                                  "{{kind}} {{operation}}")], no_value="proxy mode off"), w=8)
    write_errors = measure(config, "GiteaAPIWriteErrorsHigh")
    g.add(p.timeseries("Write error ratio per kind", "Share of creates, updates and deletes per kind that fail (5xx, "
                       "or 4xx other than 404 and 429), as GiteaAPIWriteErrorsHigh counts them. " + hint_proxy,
                       "percentunit", [(write_errors.query(exp, "$__rate_interval"), "{{kind}} {{operation}}")],
                       steps=p.alert_steps(write_errors), no_value="proxy mode off",
                       links=p.runbook_links(config, write_errors)), w=8)
    write_latency = measure(config, "GiteaAPIWriteLatencyHigh")
    g.add(p.timeseries(f"{p.quantile_label(write_latency)} write latency per kind and operation",
                       "Time to response headers of creates, updates and deletes, the quantile GiteaAPIWriteLatencyHigh "
                       "alerts on. " + hint_proxy, "s",
                       [(write_latency.query(exp, "$__rate_interval"), "{{kind}} {{operation}}")],
                       steps=p.alert_steps(write_latency), no_value="proxy mode off",
                       links=p.runbook_links(config, write_latency)), w=8)
    limited = measure(config, "GiteaAPIRateLimited")
    g.add(p.timeseries("Throttled share per kind (429)", "Share of the provider's calls per kind and operation "
                       "answered 429 Too Many Requests, as GiteaAPIRateLimited counts them. " + hint_proxy,
                       "percentunit", [(f"{rec.GITEA_PROXY_RATE_LIMITED_RATIO}{{{p.scope(config)}}}",
                                        "{{kind}} {{operation}}")],
                       steps=p.alert_steps(limited), no_value="proxy mode off", links=p.runbook_links(config, limited)),
          w=8)

    return DashboardDef("resource-management", p.dashboard(
        config, uid=UID, title="Gitea Provider / Resource Management",
        description="Per kind: managed resources, how many are Synced and Ready, and the failing ones (from "
                    "kube-state-metrics); per controller: reconciles by result, latency, work queue and workers; "
                    "per-kind Gitea operations when available.",
        grid=g, templating=p.variables(config, controller=True)))


FAILING_TITLE = "Failing resources"


def _managed_resources(config: Config, g: p.Grid) -> None:
    """Per kind Synced / Ready / total, and the failing resources, from the resources' own conditions."""
    sel = p.resource_sel(config)
    hint = p.OPTIONAL_HINT.format(what="kube-state-metrics reads the managed resources (docs/resource-state.md)")
    cond, info = managed.metric(managed.CONDITION), managed.metric(managed.INFO)
    kind = f"{managed.KIND_LABEL}, {managed.GROUP_LABEL}"
    legend = "{{" + managed.KIND_LABEL + "}} ({{" + managed.GROUP_LABEL + "}})"
    g.row("Managed resources (kube-state-metrics)")
    g.add(p.timeseries("Resources per kind", "Managed resources of each kind and API group that exist. " + hint,
                       "short", [(f"count by ({kind}) ({info}{{{sel}}})", legend)], no_value="no resource-state metrics"),
          w=8)
    not_synced = measure(config, "GiteaResourceNotSynced")
    g.add(p.timeseries("Not Synced per kind", "Resources whose Synced condition is not True (their last reconcile "
                       "failed), the count GiteaResourceNotSynced alerts on once it holds for "
                       f"{config_for(config, not_synced.alert).thresholds.resource_not_synced_for}. " + hint, "short",
                       [(not_synced.query(sel, ""), legend)], steps=p.alert_steps(not_synced), no_value="0",
                       links=p.runbook_links(config, not_synced)), w=8)
    not_ready = measure(config, "GiteaResourceNotReady")
    g.add(p.timeseries("Not Ready per kind", "Resources whose Ready condition is not True, deletions aside, the count "
                       "GiteaResourceNotReady alerts on once it holds for "
                       f"{config_for(config, not_ready.alert).thresholds.resource_not_ready_for}. "
                       + hint, "short", [(not_ready.query(sel, ""), legend)], steps=p.alert_steps(not_ready),
                       no_value="0", links=p.runbook_links(config, not_ready)), w=8)
    columns = {managed.KIND_LABEL: "kind", managed.GROUP_LABEL: "group", "namespace": "namespace", "name": "name",
               "type": "condition", "reason": "reason", "Value": "since"}
    g.add(p.table(FAILING_TITLE, "Every resource whose Synced or Ready condition is not True now, with the reason and "
                  "how long ago the condition changed (kubectl describe the resource for the message). " + hint, "s",
                  [(f'time() - {cond}{{{sel}, type=~"{"|".join(managed.CONDITION_TYPES)}", status!="True"}}', "")],
                  no_value="none failing", columns=columns,
                  links=[p.dashboard_link("Troubleshooting: one resource's conditions over time", troubleshooting.UID,
                                          "Pick the kind and resource there")]
                  + p.runbook_links(config, "GiteaResourceNotSynced", "GiteaResourceNotReady",
                                        "GiteaResourceStuckDeleting", "GiteaResourceKindNotServed")), w=24, h=9)
