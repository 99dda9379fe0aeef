"""alert-name-case (warning): an alert name that is not CamelCase.

Alertmanager routes, silences, inhibitions, runbook URLs and dashboards' alert lists match alert names as
text; the Prometheus community (and every mixin) writes them in CamelCase, so `gitea_provider_down` next to
`GiteaProviderDown` is a second name for the on-call to guess. The rule is the build's own (render/validate.py,
ALERT_NAME): a capital letter first, then letters and digits.

Bad:  alert: gitea_provider_down
Good: alert: GiteaProviderDown
Disable: annotation `lint_disable: alert-name-case`.
"""

from __future__ import annotations

from collections.abc import Callable

from gitea_provider_monitoring.lint.check import WARNING, Check
from gitea_provider_monitoring.render.validate import ALERT_NAME

CHECK = Check("alert-name-case", WARNING, "CamelCase alert names are what routes, silences and runbooks expect", "style")


def check(name: str, emit: Callable[[str, str], None]) -> None:
    if not ALERT_NAME.match(name):
        emit(CHECK.id, f"{name!r} is not CamelCase (e.g. GiteaProviderDown)")
