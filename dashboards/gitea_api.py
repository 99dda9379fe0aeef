"""Gitea API: how Gitea answers the provider's pod, endpoint by endpoint."""

from __future__ import annotations

from gitea_provider_monitoring.alerts import measure, slo
from gitea_provider_monitoring.alerts import recording as rec
from gitea_provider_monitoring.model import panels as p
from gitea_provider_monitoring.model.config import Config
from gitea_provider_monitoring.model.dashboard import DashboardDef

UID = "gitea-provider-gitea-api"


def dashboard(config: Config) -> DashboardDef:
    exp = p.exporter_sel(config, 'endpoint=~"$endpoint"')
    exp_all = p.exporter_sel(config)
    sc = p.scope(config, 'endpoint=~"$endpoint"')
    g = p.Grid()
    g.row("Latency")
    latency = measure(config, "GiteaAPILatencyHigh")
    # Every line from the raw buckets over the panel's interval, so the three compare like with like (the
    # alert's recorded quantile over a fixed 5m beside them would not; Overview draws that one). Recording p50
    # and p99 as well would cost rule evaluation for every cluster to speed up one panel (bench/scale.py).
    quantiles = sorted({0.5, latency.quantile, 0.99})
    g.add(p.timeseries("Latency quantiles", "Quantiles of probe latency per endpoint, from the raw buckets over "
                       f"the panel's interval; the red line is the threshold GiteaAPILatencyHigh applies to the "
                       f"{p.quantile_label(latency)} (the Overview dashboard draws the recorded series it reads).",
                       "s", [(rec.histogram_quantile(q, rec.PROBE_DURATION, "endpoint", exp, "$__rate_interval"),
                              f"{{{{endpoint}}}} {p.percentile(q)}") for q in quantiles],
                       steps=p.alert_steps(latency),
                       links=p.runbook_links(config, latency)), w=12)
    g.add(p.heatmap("Latency distribution", "Distribution of probe latency (selected endpoints).", "s",
                    rec.bucket_rates(rec.PROBE_DURATION, "le", exp, "$__rate_interval")), w=12)
    g.row("Availability")
    errors = measure(config, "GiteaAPIErrorRatioHigh")
    g.add(p.timeseries("Success ratio", "Share of probes that succeeded per endpoint; red under 1 - the "
                       "GiteaAPIErrorRatioHigh threshold.", "percentunit",
                       [(f"1 - {errors.query(sc, '')}", "{{endpoint}}")],
                       steps=p.thresholds((None, p.RED), (1 - errors.threshold, p.GREEN)), min_zero=False,
                       links=p.runbook_links(config, errors)), w=8)
    g.add(p.table("Last status code", "HTTP status of the last probe per endpoint and replica.", "none",
                  [(f"gitea_api_last_status_code{{{exp}}}", "")]), w=8)
    g.add(p.gitea_failures(config, exp), w=8)
    g.add(p.gitea_health_checks(exp_all), w=12)
    g.add(p.state_timeline("Gitea up and token", "Health probe and token validity.",
                           [(f"max(gitea_api_up{{{exp_all}}})", "up"), (f"max(gitea_api_token_valid{{{exp_all}}})", "token")]),
          w=12)
    g.row("Throttling")
    limited = measure(config, "GiteaAPIRateLimited")
    g.add(p.timeseries("Throttled share (429)", "Share of probes answered 429 Too Many Requests by Gitea or the proxy in "
                       "front of it, as GiteaAPIRateLimited counts them (throttled probes are not in the success ratio).",
                       "percentunit", [(limited.query(p.scope(config), ""), "{{namespace}}")],
                       steps=p.alert_steps(limited),
                       links=p.runbook_links(config, limited)), w=12)
    g.add(p.timeseries("Prober back-off", "Seconds each exporter still waits before probing again after a 429 "
                       "(Retry-After, bounded by --max-backoff), and back-offs started per minute.", "s",
                       [(f"max by (pod) (gitea_api_probe_backoff_seconds{{{exp_all}}})", "{{pod}} waiting"),
                        (f"sum by (pod) (increase(gitea_api_probe_backoffs_total{{{exp_all}}}[$__rate_interval]))",
                         "{{pod}} back-offs")]), w=12)
    g.row("Server and exporter")
    expiry = measure(config, "GiteaAPITLSCertificateExpiring")
    g.add(p.stat("TLS certificate expiry", "Time until Gitea's certificate expires (https URLs only).", "s",
                 [(f"min({expiry.query(exp_all, '')})", "expires in")], steps=p.alert_steps(expiry),
                 no_value="no TLS (http URL)", links=p.runbook_links(config, expiry)), w=6, h=5)
    g.add(p.table("Gitea version", "Version reported by /api/v1/version.", "none",
                  [(f"count by (version) (gitea_api_info{{{exp_all}}})", "")]), w=6, h=5)
    g.add(p.stat("Exporters up", "Exporter sidecars scraped successfully.", "none",
                 [(f"sum(up{{{exp_all}}})", "up")], steps=p.thresholds((None, p.RED), (1, p.GREEN)),
                 links=p.runbook_links(config, "GiteaAPIExporterDown")), w=6, h=5)
    g.add(p.table("Exporter version", "gitea-api-exporter build per replica.", "none",
                  [(f"count by (version) (gitea_api_exporter_build_info{{{exp_all}}})", "")]), w=6, h=5)
    sc_all = p.scope(config)
    for d in slo.slo_defs(config)[1:]:
        g.add(p.timeseries(f"{d.title}: error ratio", f"Error ratio over 1h and 6h against the "
                           f"{float(d.budget) * 100:g}% budget.", "percentunit",
                           [(f"max({d.record('1h')}{{{sc_all}}})", "1h"), (f"max({d.record('6h')}{{{sc_all}}})", "6h")],
                           steps=p.alert_threshold(float(d.budget))), w=12)
    return DashboardDef("gitea-api", p.dashboard(
        config, uid=UID, title="Gitea Provider / Gitea API",
        description="Gitea API as the provider's pod sees it: latency, success, status codes, failure reasons, health "
                    "checks, TLS expiry, version and the exporter's own health.",
        grid=g, templating=p.variables(config, endpoint=True), time_from="now-6h", refresh="1m"))
