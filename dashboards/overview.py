"""Provider Overview: is the provider healthy, and if not, which controller or Gitea endpoint?"""

from __future__ import annotations

from gitea_provider_monitoring.alerts import measure, slo
from gitea_provider_monitoring.alerts import recording as rec
from gitea_provider_monitoring.dashboards import resources
from gitea_provider_monitoring.model import managed
from gitea_provider_monitoring.model import panels as p
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef
from gitea_provider_monitoring.model.overrides import config_for
from gitea_provider_monitoring.model.rules import num

UID = "gitea-provider-overview"


def dashboard(config: Config) -> DashboardDef:
    prov, exp, sc = p.provider_sel(config), p.exporter_sel(config), p.scope(config)
    g = p.Grid()
    g.row("Health")
    g.add(p.stat("Replicas up", "Provider replicas Prometheus scrapes successfully, of all it knows.", "none",
                 [(rec.replicas_up("", prov), "up"), (rec.replicas_known("", prov), "known")],
                 steps=p.thresholds((None, p.RED), (1, p.GREEN)),
                 links=p.runbook_links(config, "GiteaProviderDown")), w=4, h=5)
    if config.provider.leader_election:
        g.add(p.stat("Leader", "Replicas holding the leader lease (exactly 1 with leader election on).", "none",
                     [(f"sum(max by (pod) (leader_election_master_status{{{prov}}}))", "leaders")],
                     steps=p.thresholds((None, p.RED), (1, p.GREEN), (2, p.RED)), no_value="no leader metric",
                     links=p.runbook_links(config, "GiteaProviderNoLeader")), w=4, h=5)
    else:
        # The provider's default: no lease, no leader metric; what shows it works is its controllers running.
        g.add(p.stat("Controllers", "Controllers the provider runs (each with its own worker). Leader election is "
                     "off (the provider's default), so there is no leader to show.", "none",
                     [(f"count(max by (controller) (controller_runtime_max_concurrent_reconciles{{{prov}}}))",
                       "controllers")],
                     steps=p.thresholds((None, p.RED), (1, p.GREEN)), no_value="no controller metrics"), w=4, h=5)
    restarts = measure(config, "GiteaProviderRestarting")
    t = config_for(config, restarts.alert).thresholds  # the alert's window, also when overrides change it
    g.add(p.stat(f"Restarts ({t.restarts_window})", f"Container restarts of the provider pods over the last "
                 f"{t.restarts_window}, the window of GiteaProviderRestarting (kube-state-metrics).",
                 "none", [(f"sum({restarts.query(p.pod_sel(config), '')})", "restarts")],
                 steps=p.thresholds((None, p.GREEN), (1, p.YELLOW), (restarts.threshold, p.RED)), no_value="0",
                 links=p.runbook_links(config, restarts)), w=4, h=5)
    g.add(p.stat("Gitea API up", "1 when the exporter's last Gitea health probe succeeded (any replica).", "none",
                 [(f"max(gitea_api_up{{{exp}}})", "up")], steps=p.thresholds((None, p.RED), (1, p.GREEN)),
                 mappings=[{"type": "value", "options": {"0": {"text": "DOWN"}, "1": {"text": "UP"}}}],
                 links=p.runbook_links(config, "GiteaAPIDown")), w=4, h=5)
    g.add(p.stat("Gitea token", "1 when Gitea accepts the provider's token.", "none",
                 [(f"max(gitea_api_token_valid{{{exp}}})", "valid")], steps=p.thresholds((None, p.RED), (1, p.GREEN)),
                 mappings=[{"type": "value", "options": {"0": {"text": "REJECTED"}, "1": {"text": "VALID"}}}],
                 links=p.runbook_links(config, "GiteaAPITokenRejected")), w=4, h=5)
    g.add(p.stat("Firing alerts", "Alerts of this provider firing now.", "none",
                 [(f"count({p.firing_alerts(config)}) or vector(0)",
                   "firing")], steps=p.thresholds((None, p.GREEN), (1, p.RED))), w=4, h=5)

    g.row("Managed resources")
    rs = p.resource_sel(config)
    to_table = [p.dashboard_link(f"Resource Management: {resources.FAILING_TITLE}", resources.UID,
                                 "Which resources fail, with reason and since when")]
    g.add(p.stat("Managed resources", "Gitea managed resources that exist, all kinds (kube-state-metrics).", "none",
                 [(f"count({managed.metric(managed.INFO)}{{{rs}}}) or vector(0)", "resources")], links=to_table),
          w=8, h=4)
    for alert, title in (("GiteaResourceNotSynced", "Resources not Synced"), ("GiteaResourceNotReady", "Resources not Ready")):
        m = measure(config, alert)
        g.add(p.stat(title, f"Resources whose condition is not True now, all kinds: what {alert} counts per kind. "
                     "The link opens the failing resources.", "none", [(f"sum({m.query(rs, '')}) or vector(0)", "")],
                     steps=p.count_steps(m), links=to_table + p.runbook_links(config, alert)), w=8, h=4)

    g.row("Reconciles")
    g.add(p.timeseries("Reconcile rate by result", "Reconciles per second per controller and result. Steady state "
                       "is requeue_after (each resource polled every minute); requeue means a failed Gitea call.",
                       "ops", [(rec.reconcile_rate("controller, result", prov, "$__rate_interval"), "{{controller}} {{result}}")],
                       stack=True), w=12)
    failures = measure(config, "GiteaProviderReconcileFailureRatioHigh")
    g.add(p.timeseries("Failure ratio (error + requeue)", "Share of reconciles that end in error or requeue, per "
                       f"controller, over {config_for(config, failures.alert).thresholds.reconcile_failure_window} "
                       "(the alert's window: failing resources back off "
                       "up to ~17 minutes between attempts); the red area is the alert threshold. A create is a "
                       "requeue too. Which resources fail: their Synced condition.", "percentunit",
                       [(failures.query(prov, ""), "{{controller}}")], steps=p.alert_steps(failures),
                       links=p.runbook_links(config, failures)), w=12)
    latency = measure(config, "GiteaProviderReconcileLatencyHigh")
    g.add(p.timeseries(f"{p.quantile_label(latency)} reconcile latency",
                       f"{p.quantile_label(latency)} reconcile time per controller, the quantile "
                       "GiteaProviderReconcileLatencyHigh alerts on.", "s",
                       [(latency.query(sc, ""), "{{controller}}")], steps=p.alert_steps(latency),
                       links=p.runbook_links(config, latency)), w=12)
    depth = measure(config, "GiteaProviderWorkQueueDepthHigh")
    g.add(p.timeseries("Work queue depth", "Items waiting per work queue.", "short",
                       [(depth.query(prov, ""), "{{name}}")], steps=p.alert_steps(depth),
                       links=p.runbook_links(config, depth)), w=12)

    g.row("Gitea API")
    gitea_latency = measure(config, "GiteaAPILatencyHigh")
    g.add(p.timeseries(f"Gitea API {p.quantile_label(gitea_latency)} latency",
                       f"{p.quantile_label(gitea_latency)} probe latency per endpoint, from the exporter (the quantile "
                       "GiteaAPILatencyHigh alerts on).", "s",
                       [(gitea_latency.query(sc, ""), "{{endpoint}}")], steps=p.alert_steps(gitea_latency),
                       links=p.runbook_links(config, gitea_latency)), w=12)
    gitea_errors = measure(config, "GiteaAPIErrorRatioHigh")
    g.add(p.timeseries("Gitea API failure ratio", "Share of failed probes per endpoint.", "percentunit",
                       [(gitea_errors.query(sc, ""), "{{endpoint}}")], steps=p.alert_steps(gitea_errors),
                       links=p.runbook_links(config, gitea_errors)), w=12)

    g.row("SLOs")
    for d in slo.slo_defs(config):
        budget = float(d.budget)
        period = config.slo.period
        g.add(p.stat(f"{d.title}: error budget left ({period})",
                     f"Share of the {period} error budget ({float(d.budget) * 100:g}% errors) still unspent.",
                     "percentunit", [(f"1 - (max({d.record(period)}{{{sc}}}) / {budget:g})", "left")],
                     steps=p.thresholds((None, p.RED), (0.25, p.YELLOW), (0.5, p.GREEN)), no_value=d.no_data,
                     links=p.runbook_links(config, f"{d.alert_prefix}FastBurn", f"{d.alert_prefix}SlowBurn")), w=8, h=5)
    page_window, _, page_factor = slo.burn_pairs(config, fast=True)[0]
    for d in slo.slo_defs(config):
        g.add(p.timeseries(f"{d.title}: burn rate ({page_window})", f"Error ratio over {page_window} divided by the "
                           f"budget; above {num(page_factor)} (with the short window) pages.", "none",
                           [(f"max({d.record(page_window)}{{{sc}}}) / {num(d.budget)}", f"{page_window} burn rate")],
                           steps=p.alert_threshold(float(page_factor)), no_value=d.no_data,
                           links=p.runbook_links(config, f"{d.alert_prefix}FastBurn")), w=8, h=7)

    g.row("Alerts")
    g.add(p.table("Firing alerts of this provider", "Alerts of this project firing now, with severity; each has a "
                  "runbook section named after it.", "none",
                  [(p.firing_alerts(config), "")],
                  no_value="no alert firing"), w=24, h=6)

    return DashboardDef("provider-overview", p.dashboard(
        config, uid=UID, title="Gitea Provider / Overview",
        description="Is the provider healthy? Replicas, reconciles, queues, Gitea API, SLOs and firing alerts.",
        grid=g, templating=p.variables(config), time_from="now-3h", refresh="30s"))
