"""severity-label (warning): an alert without a `severity` label, or with one outside the accepted set.

Alertmanager routes on severity (page for critical, ticket for warning); an alert without one falls through
to the default route, one with `severity: page` matches no route written for critical/warning. The accepted
set is critical, warning, info and none (kube-prometheus gives `none` to Watchdog and InfoInhibitor);
`--severities a,b,c` replaces it.

Bad:  labels: {severity: page}
Good: labels: {severity: critical}
Disable: annotation `lint_disable: severity-label`; `--severities` for another set.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.model.rules import SEVERITIES

CHECK = Check("severity-label", WARNING, "routing keys on severity; the accepted set is --severities", "style")
# Ours plus `none`, which kube-prometheus and other mixins give the always-firing Watchdog and InfoInhibitor.
DEFAULT_SEVERITIES = (*SEVERITIES, "none")


def check(labels: dict, severities: tuple[str, ...], emit: Callable[[str, str], None]) -> None:
    severity = labels.get("severity")
    if severity not in severities:
        emit(CHECK.id, f"severity {severity!r}; use one of {', '.join(severities)} (or accept it with --severities)"
             if severity else f"no severity label; add severity: {' | '.join(severities)}")
