"""ACME's monitoring of its Gitea mirrors, added to gitea-provider-monitoring without forking it.

Imports nothing but `gitea_provider_monitoring.api`. Defines a metric of ACME's own mirror-sync job, a recording
rule and an alert on it (with promtool cases and a runbook), an alert on one of the library's own
metrics, a dashboard, and a row of panels on the library's overview dashboard.
"""

from __future__ import annotations

from gitea_provider_monitoring import api

JOB = "acme-mirror-sync"
NAMESPACE = "gitea"
SYNC_FAILURES = "acme_mirror_sync_failures_total"
SYNC_FAILURES_RATE = "repo:acme_mirror_sync_failures_total:rate5m"  # recorded below
ALERT = "AcmeMirrorSyncFailing"
TOKEN_ALERT = "AcmeGiteaTokenRejected"

# Numbers the config may change (`settings:`), and per alert (`overrides.alerts.<name>.thresholds`).
FAILURES_PER_SECOND = "acme_mirror_failures_per_second"
FAILING_FOR = "acme_mirror_failing_for"


def metrics() -> list[api.Metric]:
    return [api.Metric(SYNC_FAILURES, api.COUNTER, ("repo",), "acme mirror-sync job", "Failed mirror syncs per repo.")]


def _target(config: api.Config) -> dict[str, str]:
    return {config.cluster_label: api.CLUSTER, "job": JOB, "namespace": NAMESPACE, "instance": "10.0.9.1:8000"}


def failures(config: api.Config) -> api.Measure:
    """Failed syncs per second and repository, recorded: what the alert compares and its panel draws."""
    return api.Measure(lambda sel, window: api.sel_series(SYNC_FAILURES_RATE, sel),
                       api.setting(config, FAILURES_PER_SECOND, 0.01), alert=ALERT)


def _mirror_alert(config: api.Config) -> api.AlertingRule:
    measure = failures(config)
    limit = measure.threshold
    hold = api.setting(config, FAILING_FOR, "15m")
    hold_minutes = int(api.duration_seconds(hold) // 60)
    per_minute = int(limit * 60 * 4)  # four times the threshold: clearly failing
    labels = {config.cluster_label: api.CLUSTER, "namespace": NAMESPACE, "repo": "platform/site"}
    failing = api.series(SYNC_FAILURES, _target(config), f"0+{per_minute}x{hold_minutes + 20}", repo="platform/site")
    return api.alert(
        config, ALERT, severity="warning", for_=hold, measure=measure,  # the rule: the measure > its threshold
        summary="A Gitea mirror of ACME fails to sync.",
        description="Mirror {{ $labels.repo }} in {{ $labels.namespace }} fails {{ $value | humanize }} syncs per "
                    f"second (more than {api.num(limit)}) for {hold}.",
        runbook=api.Runbook(
            meaning="ACME's mirror-sync job keeps failing for one repository.",
            impact="The mirror serves stale code; builds from it miss recent commits.",
            diagnosis=(f"`kubectl -n {NAMESPACE} logs deploy/{JOB} --since=30m | grep <repo>`",
                       f"`{SYNC_FAILURES_RATE}` in Prometheus shows which repositories fail."),
            mitigation=("Check the upstream's credentials and reachability; re-run the sync by hand.",),
        ),
        cases=[
            api.fires("a repository fails continuously", f"{hold_minutes + 10}m", [failing],
                      api.Expected(labels, per_minute / 60)),
            api.silent("failures shorter than the hold time", f"{hold_minutes + 10}m", [api.series(
                SYNC_FAILURES, _target(config), f"0x{hold_minutes} 0+{per_minute}x{hold_minutes // 2} "
                f"{per_minute * (hold_minutes // 2)}x{hold_minutes}", repo="platform/site")]),
            api.silent("no failures", f"{hold_minutes + 10}m",
                       [api.series(SYNC_FAILURES, _target(config), f"0x{hold_minutes + 20}", repo="platform/site")]),
        ],
    )


def _token_alert(config: api.Config) -> api.AlertingRule:
    """An alert of ACME's on one of the library's metrics: the token check, paged at once."""
    labels = api.group_labels(config, job=config.exporter.job)
    return api.alert(
        config, TOKEN_ALERT, severity="critical", for_="0s",
        expr=f"max by ({config.by('job')}) (gitea_api_token_valid{{{config.exporter_selector}}}) == 0",
        summary="Gitea rejects the provider's token (ACME pages at once).",
        description="The token of {{ $labels.job }} in {{ $labels.namespace }} is rejected by Gitea.",
        runbook=api.Runbook(meaning="Gitea answers 401 to the exporter's token check.",
                            impact="The provider cannot change anything in Gitea.",
                            diagnosis=("Compare the Secret with the token in Gitea's user settings.",),
                            mitigation=("Rotate the token and update the Secret.",)),
        cases=[
            api.fires("the token is rejected", "5m", [api.exporter(config, "gitea_api_token_valid", "0x10")],
                      api.Expected(labels, 0)),
            api.silent("the token is accepted", "5m", [api.exporter(config, "gitea_api_token_valid", "1x10")]),
        ],
    )


def rules(config: api.Config) -> api.RuleFile:
    recording = api.RecordingRule(
        SYNC_FAILURES_RATE,
        f"sum by ({config.cluster_label}, namespace, repo) (rate({SYNC_FAILURES}{{job=\"{JOB}\"}}[{config.rate_window}]))")
    return api.RuleFile("acme-mirrors", (
        api.RuleGroup("acme-mirrors.rules", (recording,)),
        api.RuleGroup("acme-mirrors.alerts", (_mirror_alert(config), _token_alert(config))),
    ))


def _failures_panel(config: api.Config) -> object:
    shown = failures(api.config_for(config, ALERT))  # the threshold as the alert sees it, overrides included
    return api.timeseries(
        "Mirror sync failures", "Failed mirror syncs per second and repository (ACME's job).", "ops",
        [(shown.query(f'{config.cluster_label}=~"$cluster"', "$__rate_interval"), "{{repo}}")],
        steps=api.alert_steps(shown), links=api.runbook_links(config, shown))


def dashboards(config: api.Config) -> api.DashboardDef:
    grid = api.Grid().row("Mirrors")
    grid.add(_failures_panel(config), w=24)
    return api.DashboardDef("acme-mirrors", api.new_dashboard(
        config, uid="acme-mirrors", title="ACME / Gitea mirrors", description="ACME's mirror-sync job.",
        grid=grid, templating=api.variables(config)))


def panels(config: api.Config) -> list[api.PanelsOn]:
    return [api.PanelsOn("provider-overview", "ACME mirrors", ((_failures_panel(config), 24, 8),))]
