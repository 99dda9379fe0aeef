"""Routing: build/alertmanager/alertmanager.yml and the AlertmanagerConfig resource, from one description.

Every alert we emit carries the project label (`part_of="gitea-provider-monitoring"` by default). Routes
and the inhibition match that label plus `severity`, so the file can be merged into a shared Alertmanager
without touching other teams' alerts, and an alert added later is routed without editing this file.

critical -> the paging receiver, warning -> the chat receiver, info -> the ticket receiver. Receivers are
webhooks (Alertmanager's universal integration); swap in Slack/PagerDuty configs by editing the config
values or merging `route.routes` into your own Alertmanager configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from gitea_provider_monitoring.model.rules import SEVERITIES

RECEIVERS = {"critical": "gitea-provider-page", "warning": "gitea-provider-chat", "info": "gitea-provider-ticket"}
GROUP_BY = ("alertname", "namespace")


@dataclass(frozen=True)
class AlertmanagerSettings:
    urls: dict[str, str]  # severity -> webhook URL
    group_wait: str
    group_interval: str
    repeat_interval: str
    inhibit_equal: tuple[str, ...]
    cluster_label: str
    project_label: tuple[str, str]  # (name, value) carried by every alert of ours

    @property
    def group_by(self) -> list[str]:
        return [self.cluster_label, *GROUP_BY]


def _ours(s: AlertmanagerSettings) -> str:
    name, value = s.project_label
    return f'{name}="{value}"'


def config(s: AlertmanagerSettings) -> dict:
    """alertmanager.yml: a top-level route for a standalone Alertmanager, its sub-routes ready to merge."""
    assert set(RECEIVERS) == set(SEVERITIES), "one receiver per severity"
    ours = _ours(s)
    return {
        "route": {
            "receiver": RECEIVERS["warning"],  # anything without a known severity still reaches people
            "group_by": s.group_by,
            "group_wait": s.group_wait,
            "group_interval": s.group_interval,
            "repeat_interval": s.repeat_interval,
            "routes": [{"matchers": [ours, f'severity="{sev}"'], "receiver": RECEIVERS[sev]} for sev in SEVERITIES],
        },
        "inhibit_rules": [{
            "source_matchers": [ours, 'severity="critical"'],
            "target_matchers": [ours, 'severity="warning"'],
            "equal": [s.cluster_label, *s.inhibit_equal],
        }],
        "receivers": [
            {"name": RECEIVERS[sev], "webhook_configs": [{"url": s.urls[sev], "send_resolved": True}]}
            for sev in SEVERITIES
        ],
    }


def _matcher(name: str, value: str) -> dict:
    return {"name": name, "value": value, "matchType": "="}


def alertmanager_config(s: AlertmanagerSettings, metadata: dict) -> dict:
    """The same routing as a prometheus-operator AlertmanagerConfig (monitoring.coreos.com/v1alpha1).

    The operator prefixes receiver names with `<namespace>/<name>/` and, by default
    (alertmanagerConfigMatcherStrategy OnNamespace), adds `namespace="<its namespace>"` to the route and
    inhibit rules: so it must live in the namespace our alerts carry, the provider's.
    """
    name, value = s.project_label
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1",
        "kind": "AlertmanagerConfig",
        "metadata": metadata,
        "spec": {
            "route": {
                "receiver": RECEIVERS["warning"],
                "matchers": [_matcher(name, value)],
                "groupBy": s.group_by,
                "groupWait": s.group_wait,
                "groupInterval": s.group_interval,
                "repeatInterval": s.repeat_interval,
                "routes": [{"matchers": [_matcher("severity", sev)], "receiver": RECEIVERS[sev]} for sev in SEVERITIES],
            },
            "inhibitRules": [{
                "sourceMatch": [_matcher(name, value), _matcher("severity", "critical")],
                "targetMatch": [_matcher(name, value), _matcher("severity", "warning")],
                "equal": [s.cluster_label, *s.inhibit_equal],
            }],
            "receivers": [
                {"name": RECEIVERS[sev], "webhookConfigs": [{"url": s.urls[sev], "sendResolved": True}]}
                for sev in SEVERITIES
            ],
        },
    }
