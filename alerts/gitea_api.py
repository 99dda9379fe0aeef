"""Alerts on the Gitea API as the provider's pod sees it, from the gitea-api-exporter sidecar.

Every replica of the provider runs an exporter; alerts take the view of all replicas together
(`max` of a 0/1 gauge: all replicas agree Gitea is down) so that one flaky pod does not page.
"""

from __future__ import annotations

from gitea_provider_monitoring.alerts import recording as rec
from gitea_provider_monitoring.model import provider_facts as facts
from gitea_provider_monitoring.model import testdata as td
from gitea_provider_monitoring.model.alerting import alert
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

NAME = "gitea-api-alerts"


def _exporter_logs(config: Config) -> str:
    p = config.provider
    return (f"Read the exporter's logs: `kubectl -n {p.namespace} logs -l pkg.crossplane.io/provider={p.package_name} "
            "-c gitea-api-exporter --prefix --since=30m`.")


def _two_replicas(config: Config, metric: str, values: str, **labels: str) -> list[Series]:
    return [td.exporter(config, metric, values, i, **labels) for i in range(2)]


def _gauge_cases(config: Config, for_: str, metric: str, fire: str, quiet: str, expected: Expected,
                 brief: str | None = None, **labels: str) -> td.Cases:
    """A 0/1 gauge reported by two replicas: 0 on both fires after `for`; 0 on one, or briefly, does not."""
    tm = td.gauge_timing(config, for_)
    at = tm.held(for_)
    n = tm.steps(at)
    cases = [
        fires(fire, tm.at(at), _two_replicas(config, metric, td.gauge(0, n), **labels), expected, interval=tm.interval),
        silent(quiet, tm.at(at), [td.exporter(config, metric, td.gauge(0, n), 0, **labels),
                                  td.exporter(config, metric, td.gauge(1, n), 1, **labels)], interval=tm.interval),
    ]
    for_s = duration_seconds(for_)
    if brief and for_s >= 2 * tm.grid:
        start = round((at - for_s / 2) / tm.step)
        cases.append(silent(brief, tm.at(at), _two_replicas(config, metric, td.flip("1", "0", start, n), **labels),
                            interval=tm.interval))
    return cases


def _ratio_series(config: Config, share, steps: int, metric_total: str, metric_bad: str, total_labels: dict,
                  bad_labels: dict) -> list[Series]:
    bad, total = td.per_step(share)
    return [td.exporter(config, metric_total, td.counter(total, steps), **total_labels),
            td.exporter(config, metric_bad, td.counter(bad, steps), **bad_labels)]


def _down(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.exporter_selector
    labels = td.group_labels(config)
    return alert(
        config, "GiteaAPIDown", severity="critical", for_=t.gitea_down_for,
        expr=f"max by ({config.by()}) (gitea_api_up{{{sel}}}) == 0",
        summary="The Gitea API is down or unreachable from the provider's pods.",
        description="No provider pod in {{ $labels.namespace }} has had a successful Gitea health probe for "
                    f"{t.gitea_down_for}; every reconcile that calls Gitea fails (requeue).",
        runbook=Runbook(
            meaning="The exporter beside every provider replica fails `GET /api/healthz` (connection, timeout, "
                    "TLS or 424 from Gitea).",
            impact="The provider cannot observe, create, update or delete anything in Gitea.",
            diagnosis=("Failure reasons: `sum by (endpoint, reason) (rate(gitea_api_probe_failures_total"
                       f"[{config.rate_window}]))`.",
                       _exporter_logs(config),
                       "From a provider pod: `kubectl exec ... -- wget -qO- $GITEA_URL/api/healthz`.",
                       "Check Gitea's own pods, database and ingress."),
            mitigation=("Restore Gitea; the provider retries and catches up on its own.",
                        "If only the network path is broken, fix NetworkPolicies, DNS or the Service."),
        ),
        cases=_gauge_cases(config, t.gitea_down_for, "gitea_api_up", "both replicas see Gitea down",
                           "one replica still reaches Gitea", Expected(labels, 0), "down for half the for duration"),
    )


def _token(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.exporter_selector
    labels = td.group_labels(config)
    return alert(
        config, "GiteaAPITokenRejected", severity="critical", for_=t.token_rejected_for,
        expr=f"max by ({config.by()}) (gitea_api_token_valid{{{sel}}}) == 0",
        summary="Gitea refuses the provider's API token: rejected (401) or its account blocked (403).",
        description="Gitea refuses the provider's token in {{ $labels.namespace }} "
                    f"for {t.token_rejected_for}: every authenticated call of the provider fails.",
        runbook=Runbook(
            meaning="`GET /api/v1/user` (or another authenticated probe) with the token of the ProviderConfig's "
                    "Secret is refused. `gitea_api_token_state` says how: `rejected` is a 401 (the token is revoked, "
                    "expired or wrong); `blocked` is a 403 for a token Gitea knows whose account may not sign in "
                    "(an administrator disabled sign-in, the account is inactive, or it must change its password). "
                    "A missing token and a token that only lacks a scope have their own alerts and never fire this one.",
            impact="The provider cannot manage any resource; reconciles requeue.",
            diagnosis=("State: `gitea_api_token_state` (`rejected` or `blocked`); status code: "
                       "`gitea_api_last_status_code{endpoint=\"user\"}`.",
                       _exporter_logs(config) + " The `token rejected` / `token blocked` line quotes Gitea's message "
                       "(e.g. `This account is prohibited from signing in...`, `You must change your password...`).",
                       "Check the Secret referenced by the ProviderConfig and the token in Gitea "
                       "(Settings > Applications): revoked or expired?"),
            mitigation=("rejected: create a new token with the needed scopes and update the Secret; the exporter "
                        "re-reads the token file, the provider picks it up on its next reconcile.",
                        "blocked: a Gitea administrator re-enables the account (Site Administration > User Accounts: "
                        "clear `Disable Sign-In`, mark it active) or clears the password-change demand "
                        "(`gitea admin user must-change-password --unset <user>`); the token itself stays valid."),
        ),
        cases=[
            *_gauge_cases(config, t.token_rejected_for, "gitea_api_token_valid", "token revoked",
                          "one replica still has a valid token", Expected(labels, 0),
                          "rejected for half the for duration"),
            # A blocked account: the exporter sets gitea_api_token_valid 0 beside state="blocked" (metrics.py).
            *_blocked_cases(config, t.token_rejected_for, Expected(labels, 0)),
            # The exporter leaves gitea_api_token_valid absent without a token, and at 1 for a valid token
            # lacking a scope (exporters/gitea_api/metrics.py set_token_state).
            *_token_silent_cases(config, t.token_rejected_for),
        ],
    )


def _blocked_cases(config: Config, for_: str, expected: Expected) -> td.Cases:
    """A blocked account on both replicas pages like a revoked token (every call of the provider fails)."""
    tm = td.gauge_timing(config, for_)
    at = tm.held(for_)
    n = tm.steps(at)
    return [fires("account blocked", tm.at(at),
                  [*_two_replicas(config, "gitea_api_token_valid", td.gauge(0, n)),
                   *_two_replicas(config, "gitea_api_token_state", td.gauge(1, n), state="blocked")],
                  expected, interval=tm.interval)]


def _token_silent_cases(config: Config, for_: str) -> td.Cases:
    """No token (gauge absent) and a token lacking a scope (gauge 1) never make TokenRejected fire."""
    tm = td.gauge_timing(config, for_)
    at = tm.held(for_)
    n = tm.steps(at)
    return [
        silent("no token: the gauge is absent", tm.at(at),
               _two_replicas(config, "gitea_api_token_state", td.gauge(1, n), state="missing"), interval=tm.interval),
        silent("token lacks a scope", tm.at(at),
               [*_two_replicas(config, "gitea_api_token_valid", td.gauge(1, n)),
                *_two_replicas(config, "gitea_api_token_state", td.gauge(1, n), state="insufficient_scope")],
               interval=tm.interval),
    ]


def _token_state_alert(config: Config, name: str, state: str, for_: str, summary: str, description: str,
                       runbook: Runbook) -> AlertingRule:
    """A warning on one gitea_api_token_state, seen by any replica (a configuration problem, not an outage)."""
    sel = config.exporter_selector
    labels = td.group_labels(config)
    other = "valid" if state != "valid" else "missing"
    tm = td.gauge_timing(config, for_)
    at = tm.held(for_)
    n = tm.steps(at)
    return alert(
        config, name, severity="warning", for_=for_,
        expr=f'max by ({config.by()}) (gitea_api_token_state{{{sel}, state="{state}"}}) == 1',
        summary=summary, description=description, runbook=runbook,
        cases=[
            fires(f"token {state}", tm.at(at),
                  [*_two_replicas(config, "gitea_api_token_state", td.gauge(1, n), state=state),
                   *_two_replicas(config, "gitea_api_token_state", td.gauge(0, n), state=other)],
                  Expected(labels, 1), interval=tm.interval),
            silent(f"token {other}", tm.at(at),
                   [*_two_replicas(config, "gitea_api_token_state", td.gauge(0, n), state=state),
                    *_two_replicas(config, "gitea_api_token_state", td.gauge(1, n), state=other)],
                   interval=tm.interval),
        ],
    )


def _token_missing(config: Config) -> AlertingRule:
    t = config.thresholds
    p, e = config.provider, config.exporter
    return _token_state_alert(
        config, "GiteaAPITokenMissing", "missing", t.token_missing_for,
        summary="The Gitea API exporter has no token: authenticated probes are skipped.",
        description="The gitea-api-exporter in {{ $labels.namespace }} has had no token to send for "
                    f"{t.token_missing_for}; token and authenticated-read monitoring is off (the provider itself "
                    "is not affected by this).",
        runbook=Runbook(
            meaning=f"The token file (Secret `{e.token_secret_name}`, key `{e.token_secret_key}`, mounted as an "
                    "optional volume) is missing or empty, so the exporter sends no authenticated probe.",
            impact="Monitoring only: a revoked token or a failing authenticated read goes unnoticed.",
            diagnosis=(f"`kubectl -n {p.namespace} get secret {e.token_secret_name} -o jsonpath='{{.data}}'` "
                       "(the key must exist and not be empty).",
                       f"`kubectl -n {p.namespace} exec deploy/<provider> -c gitea-api-exporter -- "
                       "wget -qO- localhost:" + str(e.port) + "/readyz` says why.",
                       _exporter_logs(config)),
            mitigation=("Point `exporter.token_secret_name` / `token_secret_key` at the Secret the ProviderConfig "
                        "uses and rebuild, or create the Secret; the exporter re-reads the file.",),
        ),
    )


def _token_scope(config: Config) -> AlertingRule:
    t = config.thresholds
    return _token_state_alert(
        config, "GiteaAPITokenLacksScope", "insufficient_scope", t.token_scope_for,
        summary="The provider's Gitea token is valid but lacks a scope a probe needs.",
        description="Gitea answers 403 naming a missing scope to the token in {{ $labels.namespace }} for "
                    f"{t.token_scope_for}; the exporter's log names the scope.",
        runbook=Runbook(
            meaning="A probe's 403 says `token does not have at least one of required scope(s)`: the token "
                    "authenticates but was created without a scope that probe needs (docs/exporter.md lists them: "
                    "`read:user` for `user`, `read:repository` for `repos_search`).",
            impact="The probe cannot measure that endpoint. The provider is affected only if it needs the scope too.",
            diagnosis=(_exporter_logs(config) + " The `token lacks scope` line names the scopes.",),
            mitigation=("Add the scope to the token (a new token with the scopes the provider and the probes need), "
                        "or drop the probe with `--probes`.",),
        ),
    )


def _latency(config: Config) -> AlertingRule:
    t = config.thresholds
    q = num(t.gitea_latency_quantile)
    labels = td.group_labels(config, endpoint="repos_search", quantile=q)
    return alert(
        config, "GiteaAPILatencyHigh", severity="warning", for_=t.gitea_latency_for,
        measure=Measure(lambda sel, w: sel_series(rec.GITEA_LATENCY, sel, f'quantile="{q}"'),
                        t.gitea_latency_seconds, quantile=t.gitea_latency_quantile),
        summary="The Gitea API answers slowly.",
        description=f"p{num(t.gitea_latency_quantile * 100)} latency of Gitea endpoint {{{{ $labels.endpoint }}}} "
                    "seen from {{ $labels.namespace }} is {{ $value | humanizeDuration }} "
                    f"(threshold {num(t.gitea_latency_seconds)}s).",
        runbook=Runbook(
            meaning="Exporter probes take longer than the threshold.",
            impact="Reconciles slow down; at 30 s the provider's client times out and reconciles requeue.",
            diagnosis=(f"Latency per endpoint: `{rec.GITEA_LATENCY}`.",
                       "A slow `repos_search` with a fast `healthz` points at Gitea's database."),
            mitigation=("Scale or tune Gitea and its database.",),
        ),
        cases=td.latency_cases(config, td.exporter, "gitea_api_probe_duration_seconds", t.gitea_latency_seconds,
                               t.gitea_latency_quantile, t.gitea_latency_for, labels, endpoint="repos_search"),
    )


def _errors(config: Config) -> AlertingRule:
    t = config.thresholds
    labels = td.group_labels(config, endpoint="user")
    tm = td.timing(config)
    at = tm.held(t.gitea_error_for)
    n = tm.steps(at)
    high, low = td.above(t.gitea_error_ratio, 1), td.below(t.gitea_error_ratio)

    def probes(share, reason: str = "http_5xx") -> list[Series]:
        return [*_ratio_series(config, share, n, "gitea_api_probes_total", "gitea_api_probe_failures_total",
                               {"endpoint": "user"}, {"endpoint": "user", "reason": reason}),
                td.exporter(config, "gitea_api_probe_failures_total", td.gauge(0, n), endpoint="user", reason="timeout")]

    return alert(
        config, "GiteaAPIErrorRatioHigh", severity="warning", for_=t.gitea_error_for,
        measure=Measure(lambda sel, w: sel_series(rec.GITEA_FAILURE_RATIO, sel), t.gitea_error_ratio),
        summary="Many Gitea API probes fail.",
        description="{{ $value | humanizePercentage }} of probes of Gitea endpoint {{ $labels.endpoint }} from "
                    f"{{{{ $labels.namespace }}}} failed over {config.rate_window} "
                    f"(threshold {num(t.gitea_error_ratio * 100)}%).",
        runbook=Runbook(
            meaning="A share of the exporter's probes fail (timeout, connection, TLS, 4xx, 5xx, invalid response); "
                    "probes answered 429 are left out: throttling is GiteaAPIRateLimited's.",
            impact="The provider's calls fail at a similar rate: reconciles requeue.",
            diagnosis=("By reason: `sum by (endpoint, reason) (rate(gitea_api_probe_failures_total"
                       f"[{config.rate_window}]))`.",
                       _exporter_logs(config)),
            mitigation=("Fix the cause shown by the reason label (Gitea errors, network, certificates).",),
        ),
        cases=[
            fires(f"{num(high * 100)}% of probes fail", tm.at(at), probes(high), Expected(labels, float(high)),
                  interval=tm.interval),
            silent(f"{num(low * 100)}% of probes fail", tm.at(at), probes(low), interval=tm.interval),
            silent("throttled probes (429) are GiteaAPIRateLimited's, not errors", tm.at(at),
                   probes(high, "rate_limited"), interval=tm.interval),
        ],
    )


def _health(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.exporter_selector
    labels = td.group_labels(config, check="database:ping")
    tm = td.gauge_timing(config, t.gitea_health_check_for)
    at = tm.held(t.gitea_health_check_for)
    n = tm.steps(at)
    check = lambda name, value: _two_replicas(config, "gitea_api_health_check_status", td.gauge(value, n),  # noqa: E731
                                              check=name)
    return alert(
        config, "GiteaHealthCheckFailing", severity="warning", for_=t.gitea_health_check_for,
        expr=f"max by ({config.by('check')}) (gitea_api_health_check_status{{{sel}}}) == 0",
        summary="A Gitea health check (database, cache) fails.",
        description="Gitea health check {{ $labels.check }} fails as seen from {{ $labels.namespace }} for "
                    f"{t.gitea_health_check_for}.",
        runbook=Runbook(
            meaning="`GET /api/healthz` reports the named check with status `fail`.",
            impact="Gitea calls that need the failing component error or slow down.",
            diagnosis=("All checks: `gitea_api_health_check_status`.", "Check Gitea's database or cache server."),
            mitigation=("Restore the failing component.",),
        ),
        cases=[
            fires("database check fails", tm.at(at), [*check("database:ping", 0), *check("cache:ping", 1)],
                  Expected(labels, 0), interval=tm.interval),
            silent("all checks pass", tm.at(at), [*check("database:ping", 1), *check("cache:ping", 1)],
                   interval=tm.interval),
        ],
    )


def _exporter_down(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.exporter_selector
    labels = td.group_labels(config, job=config.exporter.job)
    tm = td.gauge_timing(config, t.exporter_down_for)
    at = tm.held(t.exporter_down_for)
    n = tm.steps(at)
    return alert(
        config, "GiteaAPIExporterDown", severity="warning", for_=t.exporter_down_for,
        expr=f"sum by ({config.by('job')}) (up{{{sel}}}) == 0\nor\nabsent(up{{{sel}}})",
        summary="The Gitea API exporter is not scraped: Gitea's state is unknown.",
        description="No gitea-api-exporter in {{ $labels.namespace }} has been scraped for "
                    f"{t.exporter_down_for}; Gitea API alerts cannot fire.",
        runbook=Runbook(
            meaning="Prometheus cannot scrape the exporter sidecar of any provider replica.",
            impact="Gitea outages go unnoticed by the Gitea API alerts (provider alerts still work).",
            diagnosis=(_exporter_logs(config), "Check the PodMonitor's `gitea-exporter` endpoint."),
            mitigation=("Fix the sidecar (image, token Secret mount) in the DeploymentRuntimeConfig.",),
        ),
        cases=[
            fires("exporter not answering", tm.at(at), [td.exporter(config, "up", td.gauge(0, n))], Expected(labels, 0),
                  interval=tm.interval),
            fires("exporter not deployed", tm.at(at), [td.provider(config, "up", td.gauge(1, n))],
                  Expected({"job": config.exporter.job, "namespace": config.provider.namespace}, 1),
                  interval=tm.interval),
            silent("exporter up", tm.at(at), [td.exporter(config, "up", td.gauge(1, n))], interval=tm.interval),
        ],
    )


def _tls(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.exporter_selector
    labels = td.group_labels(config)
    days = t.tls_expiry_days
    # Timestamps in whole seconds: x 0.5 and x 1.5 of the threshold from time 0 of the test.
    soon, later = int(days * 86400 / 2), int(days * 86400 * 1.5)
    tm = td.gauge_timing(config, t.tls_expiry_for)
    at = tm.on_grid(duration_seconds(t.tls_expiry_for) + 2 * tm.grid)
    n = tm.steps(at)
    measure = Measure(lambda s, w: f"min by ({config.by()}) (gitea_api_tls_cert_expiry_timestamp_seconds{{{s}}}) - time()",
                      days * 86400, op="<")
    return alert(
        config, "GiteaAPITLSCertificateExpiring", severity="warning", for_=t.tls_expiry_for,
        expr=measure.expr(sel, config.rate_window), measure=measure,
        summary="Gitea's TLS certificate expires soon.",
        description="The TLS certificate Gitea presents to {{ $labels.namespace }} expires in "
                    f"{{{{ $value | humanizeDuration }}}} (threshold {num(days)} days).",
        runbook=Runbook(
            meaning="The certificate served on the Gitea URL expires within the threshold.",
            impact="When it expires, every provider call fails with a TLS error.",
            diagnosis=("`openssl s_client -connect <gitea-host>:443 </dev/null | openssl x509 -noout -enddate`.",),
            mitigation=("Renew the certificate (cert-manager: check the Certificate resource).",),
        ),
        cases=[
            fires(f"expires in {num(days / 2)} days (threshold x 0.5)", tm.at(at), [td.exporter(config,
                  "gitea_api_tls_cert_expiry_timestamp_seconds", td.gauge(soon, n))], Expected(labels, soon - at),
                  interval=tm.interval),
            silent(f"expires in {num(days * 1.5)} days (threshold x 1.5)", tm.at(at), [td.exporter(config,
                   "gitea_api_tls_cert_expiry_timestamp_seconds", td.gauge(later, n))], interval=tm.interval),
        ],
    )


def _version(config: Config) -> AlertingRule:
    t, sel = config.thresholds, config.exporter_selector
    by = config.by("version")
    labels = td.group_labels(config, version="1.26.3")
    tm = td.gauge_timing(config, t.change_window)
    change = tm.on_grid(duration_seconds(t.change_window) + tm.grid)
    at = change + tm.grid
    n, k = tm.steps(at), round(change / tm.step)
    return alert(
        config, "GiteaServerVersionChanged", severity="info", for_="0m",
        expr=f"count by ({by}) (gitea_api_info{{{sel}}})\nunless on ({by})\n"
             f"count by ({by}) (gitea_api_info{{{sel}}} offset {t.change_window})\n"
             f"and on ({config.by()})\ncount by ({config.by()}) (gitea_api_info{{{sel}}} offset {t.change_window})",
        summary="The Gitea server version changed.",
        description="Gitea seen from {{ $labels.namespace }} now reports version {{ $labels.version }}, "
                    f"which it did not {t.change_window} ago.",
        runbook=Runbook(
            meaning="`GET /api/v1/version` returns a new version: Gitea was upgraded or rolled back.",
            impact="None by itself; API changes may affect the provider.",
            diagnosis=("`gitea_api_info` over the last day.",),
            mitigation=("If provider calls start failing, check the Gitea release notes for API changes.",),
        ),
        cases=[
            fires("upgraded from 1.26.2", tm.at(at), [
                td.exporter(config, "gitea_api_info", f"1x{k - 1}", version="1.26.2"),
                td.exporter(config, "gitea_api_info", td.flip("_", "1", k, n), version="1.26.3")],
                Expected(labels, 1), interval=tm.interval),
            silent("same version", tm.at(at), [td.exporter(config, "gitea_api_info", td.gauge(1, n), version="1.26.3")],
                   interval=tm.interval),
        ],
    )


# A failed write: any 5xx (502/504 from the proxy itself), or a 4xx other than 404 (a delete of
# something already gone is a success for the provider) and 429 (throttling: GiteaAPIRateLimited).
FAILED = 'code=~"5..|4..", code!~"404|429"'


def _write_errors(config: Config) -> AlertingRule:
    t, sel, w = config.thresholds, config.exporter_selector, config.rate_window
    by = config.by("kind", "operation")
    labels = td.group_labels(config, kind="Repository", operation="create")
    tm = td.timing(config)
    at = tm.held(t.proxy_error_for)
    n = tm.steps(at)
    high, low = td.above(t.proxy_error_ratio, 1), td.below(t.proxy_error_ratio)

    def calls(share, code: str = "500") -> list[Series]:
        failed, total = td.per_step(share)
        return [td.exporter(config, "gitea_api_requests_total", td.counter(total - failed, n), kind="Repository",
                            operation="create", code="201"),
                td.exporter(config, "gitea_api_requests_total", td.counter(failed, n), kind="Repository",
                            operation="create", code=code),
                td.exporter(config, "gitea_api_requests_total", td.counter(50, n), kind="Repository", operation="observe",
                            code="404")]

    def write_error_ratio(s: str, window: str) -> str:
        writes = f"sum by ({by}) (rate(gitea_api_requests_total{{{s}, {rec.WRITES}}}[{window}]))"
        # "or ... * 0": no failed write yet is a ratio of 0 (a panel shows 0, not "No data").
        return (f"(\n  sum by ({by}) (rate(gitea_api_requests_total{{{s}, {rec.WRITES}, {FAILED}}}[{window}]))\n"
                f"  or\n  {writes} * 0\n)\n/\n{writes}")

    measure = Measure(write_error_ratio, t.proxy_error_ratio)
    return alert(
        config, "GiteaAPIWriteErrorsHigh", severity="warning", for_=t.proxy_error_for,
        expr=measure.expr(sel, w), measure=measure,
        summary="The provider's create/update/delete calls to Gitea fail.",
        description="{{ $value | humanizePercentage }} of {{ $labels.operation }} calls for {{ $labels.kind }} "
                    f"from {{{{ $labels.namespace }}}} failed over {w} (threshold {num(t.proxy_error_ratio * 100)}%), "
                    "measured by the exporter's proxy.",
        runbook=Runbook(
            meaning="Through proxy mode, the share of the provider's writes that Gitea answers with 5xx or a 4xx "
                    "other than 404 and 429 (throttling is GiteaAPIRateLimited's; or that the proxy answers 502/504 "
                    "because Gitea is unreachable or slow).",
            impact="Resources of this kind are not created, changed or deleted; they stay Synced=False.",
            diagnosis=("By code: `sum by (kind, operation, code) (rate(gitea_api_requests_total"
                       f"[{config.rate_window}]))`.",
                       "422 and 409 mean Gitea rejects what the managed resource asks for: check its events "
                       "(`kubectl describe`) for the message.", _exporter_logs(config)),
            mitigation=("5xx: look at Gitea's logs; 403: give the provider's token the missing scope; 422/409: fix "
                        "the managed resource's spec.",),
        ),
        cases=[
            fires(f"{num(high * 100)}% of repository creates fail", tm.at(at), calls(high), Expected(labels, float(high)),
                  interval=tm.interval),
            fires("the proxy cannot reach Gitea (502)", tm.at(at), calls(high, "502"), Expected(labels, float(high)),
                  interval=tm.interval),
            silent(f"{num(low * 100)}% fail", tm.at(at), calls(low), interval=tm.interval),
            silent("404s on observe are not write failures", tm.at(at), calls(td.dec(0)), interval=tm.interval),
        ],
    )


def _write_latency(config: Config) -> AlertingRule:
    t = config.thresholds
    q = num(t.proxy_latency_quantile)
    labels = td.group_labels(config, kind="Webhook", operation="update", quantile=q)
    # The recorded quantile, not the raw buckets: a panel drawing it over 24 h would otherwise re-read every
    # kind and operation's 14 buckets (bench/scale.py).
    measure = Measure(lambda s, window: sel_series(rec.GITEA_REQUEST_LATENCY, s, f'quantile="{q}", {rec.WRITES}'),
                      t.proxy_latency_seconds, quantile=t.proxy_latency_quantile)
    return alert(
        config, "GiteaAPIWriteLatencyHigh", severity="warning", for_=t.proxy_latency_for,
        measure=measure,
        summary="The provider's create/update/delete calls to Gitea are slow.",
        description=f"p{num(t.proxy_latency_quantile * 100)} of {{{{ $labels.operation }}}} calls for "
                    "{{ $labels.kind }} from {{ $labels.namespace }} take {{ $value | humanizeDuration }} "
                    f"(threshold {num(t.proxy_latency_seconds)}s), measured by the exporter's proxy.",
        runbook=Runbook(
            meaning="Gitea takes long to answer the provider's writes of this kind (time to response headers).",
            impact="Reconciles slow down; at 30 s the provider's client gives up and the resource requeues.",
            diagnosis=("Compare with the probes: a slow write but fast `healthz` points at Gitea's database or "
                       "git operations (repository creation runs git).",),
            mitigation=("Scale or tune Gitea and its storage.",
                        f"Ease the load: a longer `{facts.effective_flag('poll')}` (default {facts.flag('poll').default}) "
                        "in the provider container's args polls each healthy resource less often.",),
        ),
        cases=td.latency_cases(config, td.exporter, "gitea_api_request_duration_seconds", t.proxy_latency_seconds,
                               t.proxy_latency_quantile, t.proxy_latency_for, labels, kind="Webhook", operation="update"),
    )


def _rate_limited(config: Config) -> AlertingRule:
    t, w = config.thresholds, config.rate_window
    ratio = t.gitea_rate_limited_ratio
    labels = td.group_labels(config)
    proxy_labels = td.group_labels(config, kind="Repository", operation="update")
    tm = td.timing(config)
    at = tm.held(t.gitea_rate_limited_for)
    n = tm.steps(at)
    high, low = td.above(ratio, 1), td.below(ratio)

    def probes(share, reason: str = "rate_limited", start: int = 0) -> list[Series]:
        bad, total = td.per_step(share)
        failing = f"0x{start} 0+{bad}x{n - start}" if start else td.counter(bad, n)
        return [td.exporter(config, "gitea_api_probes_total", td.counter(total, n), endpoint="repos_search"),
                td.exporter(config, "gitea_api_probe_failures_total", failing, endpoint="repos_search",
                            reason=reason)]

    def calls(share) -> list[Series]:
        bad, total = td.per_step(share)
        return [td.exporter(config, "gitea_api_requests_total", td.counter(total - bad, n), kind="Repository",
                            operation="update", code="200"),
                td.exporter(config, "gitea_api_requests_total", td.counter(bad, n), kind="Repository",
                            operation="update", code="429")]

    cases = [
        fires(f"{num(high * 100)}% of probes answered 429", tm.at(at), probes(high), Expected(labels, float(high)),
              interval=tm.interval),
        fires(f"{num(high * 100)}% of the provider's repository updates answered 429 (proxy)", tm.at(at), calls(high),
              Expected(proxy_labels, float(high)), interval=tm.interval),
        silent(f"{num(low * 100)}% of probes answered 429 is under the threshold", tm.at(at), probes(low),
               interval=tm.interval),
        silent("5xx failures are not throttling", tm.at(at), probes(high, reason="http_5xx"), interval=tm.interval),
    ]
    for_s = duration_seconds(t.gitea_rate_limited_for)
    if for_s >= 2 * tm.grid:  # throttling that starts too late to last `for`
        start = round((at - for_s / 2) / tm.step)
        cases.append(silent("throttled for half the for duration", tm.at(at), probes(high, start=start),
                            interval=tm.interval))
    return alert(
        config, "GiteaAPIRateLimited", severity="warning", for_=t.gitea_rate_limited_for,
        expr=f"{rec.GITEA_RATE_LIMITED_RATIO} > {num(ratio)}\nor\n{rec.GITEA_PROXY_RATE_LIMITED_RATIO} > {num(ratio)}",
        # Panels draw the probes' share (the proxy's, per kind, uses the same threshold).
        measure=Measure(lambda sel, w: sel_series(rec.GITEA_RATE_LIMITED_RATIO, sel), ratio),
        summary="Gitea (or the proxy in front of it) is throttling the provider: 429 Too Many Requests.",
        description="{{ $value | humanizePercentage }} of Gitea API calls from {{ $labels.namespace }} were answered "
                    f"429 over {w} (threshold {num(ratio * 100)}%): probes, or the provider's calls through the proxy "
                    "when the alert has kind and operation labels.",
        runbook=Runbook(
            meaning="A share of the exporter's probes, or in proxy mode of the provider's own calls per kind and "
                    "operation, is answered `429 Too Many Requests`. Gitea has no API rate limiter of its own: the "
                    "429 comes from what sits in front of it (an ingress controller, a reverse proxy, an API gateway "
                    "or a WAF). The prober honours `Retry-After` (up to `--max-backoff`) and backs off, so "
                    "`gitea_api_probe_backoff_seconds` is above 0 while it waits.",
            impact="Throttled provider calls fail and the resources requeue (Synced=False) until the limit lets "
                   "them through; drift is detected and fixed late.",
            diagnosis=(
                "Which limiter answered: the exporter logs the `Server` header and `Retry-After` of the first 429 "
                "(`reason=rate_limited`). " + _exporter_logs(config),
                "How much and where: `sum by (endpoint) (rate(gitea_api_probe_failures_total{reason=\"rate_limited\"}"
                f"[{w}]))`, and in proxy mode `sum by (kind, operation) (rate(gitea_api_requests_total{{code=\"429\"}}"
                f"[{w}]))`; back-off: `gitea_api_probe_backoffs_total`.",
                "Traefik's RateLimit middleware answers 429 with `Retry-After` and `X-Retry-In`; ingress-nginx's "
                "`limit-rps`/`limit-rpm`/`limit-connections` annotations answer 503 unless its ConfigMap sets "
                "`limit-req-status-code: \"429\"` (set it, or throttling looks like Gitea 5xx errors); also check "
                "HAProxy/Envoy rate limits, a cloud load balancer's WAF and any API gateway on the Gitea URL.",
                f"How fast the provider calls: `sum(rate(controller_runtime_reconcile_total[{w}]))` by controller; "
                "every managed resource is observed once per poll interval.",
            ),
            mitigation=(
                "Raise the limiter's budget for the provider (its source IP or token), or exempt the provider's "
                "pod: it calls Gitea once per managed resource per poll interval.",
                f"Or lower the provider's call rate: a longer `{facts.effective_flag('poll')}` (default "
                f"{facts.flag('poll').default}) in the provider container's args of the Provider's "
                "DeploymentRuntimeConfig. (`--max-reconcile-rate` changes nothing in provider "
                f"{facts.SOURCE_VERSION}: no controller reads it.)",
                "Point the provider (and the exporter's `gitea_url`) at Gitea's in-cluster Service instead of an "
                "external ingress, where no rate limit applies.",
            ),
        ),
        cases=cases,
    )


def rules(config: Config) -> RuleFile:
    return RuleFile(NAME, (
        RuleGroup("gitea-api.alerts", (
            _down(config), _token(config), _token_missing(config), _token_scope(config), _latency(config),
            _errors(config), _health(config),
            _exporter_down(config), _tls(config), _version(config), _rate_limited(config),
        )),
        # Proxy mode (opt-in): silent while its metrics are absent.
        RuleGroup("gitea-api.proxy", (_write_errors(config), _write_latency(config))),
    ))

