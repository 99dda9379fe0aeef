"""Values an extension reads from the config's `settings:` mapping, with the default it declares.

`settings:` is to extensions what `thresholds:` is to our alerts: one place for their numbers and
durations, overridable per alert (`overrides.alerts.<name>.thresholds`), and found by a `for` override.
"""

from __future__ import annotations

from typing import Any, TypeVar

from gitea_provider_monitoring.model.errors import ConfigError

T = TypeVar("T", str, float, int)

_DECLARED: dict[str, str | float | int] = {}  # name -> default, as extensions asked for them


def setting(config: Any, name: str, default: T) -> T:
    """`config.settings[name]` as the type of `default` (a number or a duration string), else `default`."""
    previous = _DECLARED.setdefault(name, default)
    if previous != default:
        raise ConfigError("<extensions>", f"settings.{name}", f"declared with two defaults: {previous!r} and {default!r}",
                          "declare each setting once, e.g. as a module constant")
    raw = config.settings.get(name)
    if raw is None:
        return default
    if isinstance(default, str):
        return type(default)(raw)
    try:
        return type(default)(float(raw)) if isinstance(default, float) else type(default)(raw)
    except ValueError:
        raise ConfigError("<config>", f"settings.{name}", f"expected a number, got {raw!r}") from None


def declared_settings() -> dict[str, str | float | int]:
    return dict(_DECLARED)
