"""The exporter's metric contract. Dashboards and alerts depend on these names and labels."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from . import __version__

REASONS = ("timeout", "connection", "tls", "rate_limited", "http_4xx", "http_5xx", "invalid_response")
# Bucket bounds (seconds) of gitea_api_probe_duration_seconds, and of the proxy's gitea_api_request_duration_seconds
# (the same layout, so panels compare probes with the provider's calls). A latency SLO's threshold must be one.
PROBE_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def le(bound: float) -> str:
    """A bucket bound as this exporter writes it in the `le` label (client_python): 1.0 -> "1.0", 0.5 -> "0.5".
    Go clients write "1" for the same bound; selectors that must match both say so."""
    return floatToGoString(bound)
PROXY_KINDS = ("Repository", "Organization", "User", "Webhook", "other")
PROXY_OPERATIONS = ("observe", "create", "update", "delete")
# Why the proxy answered a request itself instead of forwarding it (gitea_api_proxy_refused_total{reason}):
# absolute_form, authority_form, asterisk_form: a request-target other than origin-form (RFC 9112 section 3.2);
# invalid_target: a target in no form at all; missing_host: HTTP/1.1 without Host; outside_api: a path outside
# Gitea's API (/api/v1/...), or with dot-segments that could leave it; framing: an ambiguous or malformed
# message (http11.py); stalled_upload: a body that stopped arriving (408).
PROXY_REFUSAL_REASONS = ("absolute_form", "authority_form", "asterisk_form", "invalid_target", "missing_host",
                         "outside_api", "framing", "stalled_upload")
# valid: Gitea accepts the token; missing: there is no token to send (Secret absent or empty), so the
# authenticated probes are skipped; rejected: 401 (or a 403 on the token probe that names no scope);
# blocked: Gitea knows the token but its account may not sign in (403 "This account is prohibited from signing
# in...", "You must change your password...", "This account is not activated."; Gitea's routers/api/v1/api.go
# verifyAuthWithOptions), so every call fails as with a rejected token;
# insufficient_scope: a valid token whose 403 names a scope a probe needs.
# The one list of states: the metric catalog (monitoring/model/catalog.py) and the alerts read it from here.
TOKEN_STATES = ("valid", "missing", "rejected", "blocked", "insufficient_scope")
REFUSED_STATES = ("rejected", "blocked")  # gitea_api_token_valid 0: every authenticated call of the provider fails


class UnknownUntilSet(Collector):
    """An unlabelled gauge that is absent until first set: a plain Gauge would say 0 before anything is
    known, and 0 means "Gitea down", "token rejected" or "certificate expired" to the alerts."""

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry) -> None:
        self.name, self.documentation = name, documentation
        self.value: float | None = None
        registry.register(self)

    def set(self, value: float) -> None:
        self.value = float(value)

    def unset(self) -> None:
        """Back to unknown (absent)."""
        self.value = None

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(self.name, self.documentation)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(self.name, self.documentation)
        if self.value is not None:
            family.add_metric([], self.value)
        yield family


class Metrics:
    """All series of one exporter, in their own registry (no process/platform collectors mixed in)."""

    def __init__(self, endpoints: list[str], proxy: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.duration = Histogram("gitea_api_probe_duration_seconds", "Duration of each Gitea API probe.",
                                  ["endpoint"], buckets=PROBE_DURATION_BUCKETS, registry=r)
        self.probes = Counter("gitea_api_probes", "Probes sent to the Gitea API.", ["endpoint"], registry=r)
        self.failures = Counter("gitea_api_probe_failures", "Probes that failed, by reason.",
                                ["endpoint", "reason"], registry=r)
        self.up = UnknownUntilSet("gitea_api_up", "1 when the last health probe succeeded.", r)
        self.last_status = Gauge("gitea_api_last_status_code", "HTTP status of the last probe (0: no response).",
                                 ["endpoint"], registry=r)
        self.health_check = Gauge("gitea_api_health_check_status", "Gitea /api/healthz checks: 1 pass, 0 fail.",
                                  ["check"], registry=r)
        self.token_valid = UnknownUntilSet("gitea_api_token_valid", "1 when Gitea accepts the provider's token.", r)
        self.token_state = Gauge("gitea_api_token_state", "The provider's token as Gitea sees it: 1 for the current "
                                 f"state ({', '.join(TOKEN_STATES)}), 0 for the others.", ["state"],
                                 registry=r)
        self.tls_expiry = UnknownUntilSet("gitea_api_tls_cert_expiry_timestamp_seconds",
                                          "Expiry of the TLS certificate Gitea presents (https only).", r)
        self.info = Gauge("gitea_api_info", "Gitea server version.", ["version"], registry=r)
        self.last_probe = Gauge("gitea_api_last_probe_timestamp_seconds", "When each endpoint was last probed.",
                                ["endpoint"], registry=r)
        # Back-off after a 429 (Gitea, or the ingress in front of it, throttling the probes).
        self.backoff = Gauge("gitea_api_probe_backoff_seconds", "Seconds the prober still waits before probing "
                             "again because it was answered 429 (0: not backing off).", registry=r)
        self.backoffs = Counter("gitea_api_probe_backoffs", "Back-offs after a 429 answer, honouring Retry-After "
                                "when given.", registry=r)
        build = Gauge("gitea_api_exporter_build_info", "Exporter version.", ["version"], registry=r)
        build.labels(version=__version__).set(1)
        if proxy:
            self.requests = Counter("gitea_api_requests", "Provider calls to Gitea through the proxy, by kind, "
                                    "operation and HTTP status (502/504: the proxy could not reach Gitea; 400/408/501: "
                                    "the proxy refused a malformed or stalled request).",
                                    ["kind", "operation", "code"], registry=r)
            self.request_duration = Histogram("gitea_api_request_duration_seconds", "Time from the provider's "
                                              "request to Gitea's response headers, through the proxy.",
                                              ["kind", "operation"], buckets=PROBE_DURATION_BUCKETS,
                                              registry=r)
            for kind in PROXY_KINDS:
                for operation in PROXY_OPERATIONS:
                    self.request_duration.labels(kind=kind, operation=operation)
            self.refused = Counter("gitea_api_proxy_refused", "Requests the proxy answered itself and never forwarded "
                                   "to Gitea, by reason (" + ", ".join(PROXY_REFUSAL_REASONS) + ").", ["reason"],
                                   registry=r)
            for reason in PROXY_REFUSAL_REASONS:
                self.refused.labels(reason=reason)
        # Pre-create every series so rates and ratios exist (as 0) before the first failure.
        for endpoint in endpoints:
            self.probes.labels(endpoint=endpoint)
            self.duration.labels(endpoint=endpoint)
            for reason in REASONS:
                self.failures.labels(endpoint=endpoint, reason=reason)

    def set_token_state(self, state: str) -> None:
        """One state at 1, the others 0; absent until the first verdict. gitea_api_token_valid follows: 1 for a
        token Gitea lets through (even one lacking a scope), 0 when rejected or its account is blocked, absent when
        there is none."""
        for name in TOKEN_STATES:
            self.token_state.labels(state=name).set(1 if name == state else 0)
        if state == "missing":
            self.token_valid.unset()
        else:
            self.token_valid.set(0 if state in REFUSED_STATES else 1)

    def set_version(self, version: str) -> None:
        """One gitea_api_info series: the current version only."""
        self.info.clear()
        self.info.labels(version=version).set(1)
