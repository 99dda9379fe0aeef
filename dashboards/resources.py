"""Resource Management: per controller, how reconciles, queues and workers behave."""

from __future__ import annotations

from alerts import gitea_api
from alerts import recording as rec
from dashboards import _panels as p
from monitoring.config import Config
from monitoring.dashboard import DashboardDef

UID = "gitea-provider-resources"


def dashboard(config: Config) -> DashboardDef:
    t = config.thresholds
    prov = p.provider_sel(config, 'controller=~"$controller"')
    queue = p.provider_sel(config, 'name=~"$controller"')
    sc = p.scope(config, 'controller=~"$controller"')
    exp = p.exporter_sel(config)
    g = p.Grid()
    g.row("Reconciles")
    g.add(p.timeseries("Reconcile rate by result", "Reconciles per second by result for the selected controllers.",
                       "ops", [(f"sum by (controller, result) ({rec.RECONCILE_RATE_BY_RESULT}{{{sc}}})",
                                "{{controller}} {{result}}")], stack=True), w=12)
    g.add(p.heatmap("Reconcile latency", "Distribution of reconcile time (all selected controllers).", "s",
                    f"sum by (le) ({rec.RECONCILE_TIME_BUCKETS}{{{sc}}})"),
          w=12)
    g.row("Work queue")
    g.add(p.timeseries("Queue depth", "Items waiting per queue.", "short",
                       [(f"sum by (name) (workqueue_depth{{{queue}}})", "{{name}}")],
                       steps=p.alert_threshold(t.workqueue_depth)), w=8)
    g.add(p.timeseries("Adds and retries", "Items added to and re-added (after a failure) to the queue per second.",
                       "ops", [(f"sum by (name) (rate(workqueue_adds_total{{{queue}}}[$__rate_interval]))", "{{name}} adds"),
                               (f"sum by (name) (rate(workqueue_retries_total{{{queue}}}[$__rate_interval]))",
                                "{{name}} retries")]), w=8)
    g.add(p.timeseries("Active vs max workers", "Busy workers against the pool size on the leader.", "short",
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
    writes = f"sum by (kind, operation) (rate(gitea_api_requests_total{{{exp}, {gitea_api.WRITES}}}[$__rate_interval]))"
    g.add(p.timeseries("Write error ratio per kind", "Share of creates, updates and deletes per kind that fail (5xx, "
                       "or 4xx other than 404), as GiteaAPIWriteErrorsHigh counts them. " + hint_proxy,
                       "percentunit",
                       # "or ... * 0": no failed call yet is a ratio of 0, not "No data".
                       [(f"(sum by (kind, operation) (rate(gitea_api_requests_total{{{exp}, {gitea_api.WRITES}, "
                         f"{gitea_api.FAILED}}}[$__rate_interval])) or {writes} * 0) / {writes}",
                         "{{kind}} {{operation}}")],
                       steps=p.alert_threshold(t.proxy_error_ratio), no_value="proxy mode off",
                       links=p.runbook_links(config, "GiteaAPIWriteErrorsHigh")), w=8)
    q = t.proxy_latency_quantile
    g.add(p.timeseries(f"p{q * 100:g} latency per kind and operation", "Time to response headers. " + hint_proxy, "s",
                       [(f'{rec.GITEA_REQUEST_LATENCY}{{{p.scope(config)}, quantile="{q:g}"}}', "{{kind}} {{operation}}")],
                       steps=p.alert_threshold(t.proxy_latency_seconds), no_value="proxy mode off",
                       links=p.runbook_links(config, "GiteaAPIWriteLatencyHigh")), w=8)

    return DashboardDef("resource-management", p.dashboard(
        config, uid=UID, title="Gitea Provider / Resource Management",
        description="Per controller: reconciles by result, latency, work queue and workers; managed-resource and "
                    "per-kind Gitea operations when available.",
        grid=g, templating=p.variables(config, controller=True)))
