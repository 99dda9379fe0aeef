"""Troubleshooting: what is failing right now, and where."""

from __future__ import annotations

from gitea_provider_monitoring.alerts import measure
from gitea_provider_monitoring.model import managed
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
    g.add(p.timeseries("Delayed adds", "Items re-added to a queue with a delay, per queue: failed reconciles' "
                       "back-offs AND healthy resources' next polls (workqueue_retries_total counts both), so the "
                       "steady state is about one per resource per poll interval; a failure shows as a change from it.",
                       "ops",
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
    g.add(p.state_timeline("Token validity", "Whether Gitea accepts the provider's token; when it refuses it, "
                           "gitea_api_token_state says whether the token is rejected (401) or its account blocked (403).",
                           [(f"max(gitea_api_token_valid{{{exp}}})", "token")], pass_text="valid",
                           fail_text="refused"), w=12, h=5)
    g.add(p.table("Recent restarts", "Provider container restarts in the selected range, per pod.", "none",
                  [(f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{p.pod_sel(config)}}}[$__range]))",
                    "")], no_value="no restarts", links=p.runbook_links(config, "GiteaProviderRestarting")), w=12, h=5)
    _one_resource(config, g)
    return DashboardDef("troubleshooting", p.dashboard(
        config, uid=UID, title="Gitea Provider / Troubleshooting",
        description="What fails and where: errors, panics, retries, stuck workers, API server errors, Gitea failures, "
                    "and one managed resource's conditions over time.",
        grid=g, templating=p.variables(config, controller=True, resource=True), time_from="now-1h", refresh="30s"))


def _one_resource(config: Config, g: p.Grid) -> None:
    """The selected resource ($kind, $resource): its Synced and Ready conditions over time, and each state's age."""
    cond = managed.metric(managed.CONDITION)
    sel = p.resource_sel(config, f'{managed.KIND_LABEL}=~"$kind", name=~"$resource"')
    by = "namespace, name, type"
    hint = p.OPTIONAL_HINT.format(what="kube-state-metrics reads the managed resources (docs/resource-state.md)")
    g.row("One managed resource ($kind $resource)")
    # status is a label (value: the transition time): 1 while the True series exists, 0 while another does.
    g.add(p.state_timeline("Conditions of $kind $resource", "Synced and Ready of the selected resource over time "
                           "(True or not). A fix shows up only after the resource's next reconcile: up to its back-off "
                           "(about 17 minutes) unless forced (runbook of GiteaResourceNotSynced). " + hint,
                           [(f'max by ({by}) ({cond}{{{sel}, status="True"}} > bool 0 or {cond}{{{sel}, status!="True"}} * 0)',
                             "{{type}}")], pass_text="True", fail_text="not True", no_value="select a kind and resource"),
          w=12, h=6)
    g.add(p.timeseries("State and reason of $kind $resource", "How long the resource has been in each state "
                       "(condition, status, reason); a line that restarts at 0 is a new transition. Reasons: "
                       "ReconcileSuccess / ReconcileError (Synced), Available / Creating / Deleting / Unavailable "
                       "(Ready). " + hint, "s", [(f"time() - {cond}{{{sel}}}", "{{type}} {{status}} {{reason}}")],
                       links=p.runbook_links(config, "GiteaResourceNotSynced", "GiteaResourceNotReady")), w=12, h=6)
