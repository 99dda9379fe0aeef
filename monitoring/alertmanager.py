"""build/alertmanager/alertmanager.yml: route by severity, inhibit warnings under a matching critical.

Routes and the inhibition match our alert names only, so the file can be merged into a shared
Alertmanager without touching other teams' alerts.

critical -> the paging receiver, warning -> the chat receiver, info -> the ticket receiver. Receivers are
webhooks (Alertmanager's universal integration); swap in Slack/PagerDuty configs by editing the config
values or merging `route.routes` into your own Alertmanager configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.rules import SEVERITIES

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
    alert_names: tuple[str, ...]  # ours: routes and inhibition never touch other teams' alerts


def config(s: AlertmanagerSettings) -> dict:
    assert set(RECEIVERS) == set(SEVERITIES), "one receiver per severity"
    group_by = [s.cluster_label, *GROUP_BY]
    ours = f'alertname=~"{"|".join(sorted(s.alert_names))}"'
    return {
        "route": {
            "receiver": RECEIVERS["warning"],  # anything without a known severity still reaches people
            "group_by": group_by,
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
