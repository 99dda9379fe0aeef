"""group-too-large (warning): a rule group with more than 20 rules.

Prometheus evaluates a group's rules one after another; a large group takes long enough to miss its
interval (prometheus_rule_group_iterations_missed_total) and is hard to review. Split it by concern
(recording rules of one metric family, alerts of one component).

Bad:  one group `everything` with 60 rules
Good: groups `gitea-provider.recording`, `gitea-provider.alerts`, `gitea-api.alerts`
Disable: --disable group-too-large (it is about the group, not one rule).
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import WARNING, Check

CHECK = Check("group-too-large", WARNING, "groups over 20 rules evaluate slowly and are hard to review", "style")
MAX_GROUP_RULES = 20


def check(group: str, rules: list, report: Callable[[str, str, str], None]) -> None:
    if len(rules) > MAX_GROUP_RULES:
        report(group, CHECK.id, f"{len(rules)} rules (at most {MAX_GROUP_RULES}); split the group by concern")
