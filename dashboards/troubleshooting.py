"""Troubleshooting: what is failing right now, and where."""

from __future__ import annotations

from gitea_provider_monitoring.alerts import measure
from gitea_provider_monitoring.model import panels as p
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef

UID = "gitea-provider-troubleshooting"


def dashboard(config: Config) -> DashboardDef:
    prov = p.provider_sel(config, 'controller=~"$controller"')
    queue = p.provider_sel(config, 'name=~"$controller"')
    exp = p.exporter_sel(config)
    g = p.Grid()
    g.row("Provider errors")
    g.add(p.timeseries("Reconcile errors", "Reconciles that returned an error, per controller (a failed Gitea call "
                       "is usually a requeue instead: see the failure ratio on the overview).", "ops",
                       [(f"sum by (controller) (rate(controller_runtime_reconcile_errors_total{{{prov}}}[$__rate_interval]))",
                         "{{controller}}")]), w=8)
    g.add(p.timeseries("Panics and terminal errors", "Reconciles that panicked or failed for good.", "short",
                       [(f"sum by (controller) (increase(controller_runtime_reconcile_panics_total{{{prov}}}[$__rate_interval]))",
                         "{{controller}} panics"),
                        (f"sum by (controller) (increase(controller_runtime_terminal_reconcile_errors_total{{{prov}}}"
                         "[$__rate_interval]))", "{{controller}} terminal")],
                       links=p.runbook_links(config, "GiteaProviderReconcilePanics",
                                             "GiteaProviderTerminalReconcileErrors")), w=8)
    g.add(p.timeseries("Retries", "Items re-queued after a failure, per queue.", "ops",
                       [(f"sum by (name) (rate(workqueue_retries_total{{{queue}}}[$__rate_interval]))", "{{name}}")]), w=8)
    stuck = measure(config, "GiteaProviderWorkQueueStuck")
    g.add(p.timeseries("Unfinished work", "Seconds of work in progress not yet finished per queue, which "
                       "GiteaProviderWorkQueueStuck alerts on; and the age of the oldest item a worker still processes.",
                       "s", [(stuck.query(queue, ""), "{{name}} unfinished"),
                             (f"max by (name) (workqueue_longest_running_processor_seconds{{{queue}}})",
                              "{{name}} oldest item")],
                       steps=p.alert_steps(stuck),
                       links=p.runbook_links(config, stuck)), w=12)
    g.add(p.timeseries("Kubernetes API requests by code", "The provider's calls to the API server per status code.",
                       "reqps", [(f"sum by (code) (rate(rest_client_requests_total{{{p.provider_sel(config)}}}"
                                  "[$__rate_interval]))", "{{code}}")],
                       links=p.runbook_links(config, "GiteaProviderKubernetesAPIErrors")), w=12)
    g.row("Gitea API")
    g.add(p.gitea_failures(config, exp, "Gitea probe failures by endpoint and reason"), w=12)
    g.add(p.gitea_health_checks(exp, "Gitea health checks"), w=12)
    g.add(p.state_timeline("Token validity", "Whether Gitea accepts the provider's token.",
                           [(f"max(gitea_api_token_valid{{{exp}}})", "token")], pass_text="valid",
                           fail_text="rejected"), w=12, h=5)
    g.add(p.table("Recent restarts", "Provider container restarts in the selected range, per pod.", "none",
                  [(f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{p.pod_sel(config)}}}[$__range]))",
                    "")], no_value="no restarts", links=p.runbook_links(config, "GiteaProviderRestarting")), w=12, h=5)
    return DashboardDef("troubleshooting", p.dashboard(
        config, uid=UID, title="Gitea Provider / Troubleshooting",
        description="What fails and where: errors, panics, retries, stuck workers, API server errors, Gitea failures.",
        grid=g, templating=p.variables(config, controller=True), time_from="now-1h", refresh="30s"))
