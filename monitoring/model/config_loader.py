"""Reading a YAML config file onto the schema: each value checked against its field's declared type.

Unknown keys are errors (with the nearest known key) so that a typo never silently leaves a default
in place; range and cross-field checks follow (config_checks.validate_config).
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import math
import types
import typing
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from gitea_provider_monitoring.model import bounded_load
from gitea_provider_monitoring.model.config_checks import validate_config
from gitea_provider_monitoring.model.config_schema import Config
from gitea_provider_monitoring.model.errors import ConfigError, ConfigFileError, shown

CONFIG_MAX_BYTES = 1024 * 1024


def load_config(path: str | Path | None) -> Config:
    """Defaults, overridden by the YAML file at `path` when given."""
    if path is None:
        return Config()
    path = Path(path)
    try:  # bounded: an alias bomb, deep nesting or non-UTF-8 bytes are one error (exit 2), not a traceback
        raw = bounded_load.load_yaml(bounded_load.read_text(path, CONFIG_MAX_BYTES), str(path))
    except OSError as exc:
        raise ConfigFileError(str(path), "<file>", f"cannot read: {exc.strerror}") from None
    except bounded_load.InputTooLarge as exc:
        raise ConfigFileError(str(path), "<file>", f"line {exc.line}: {exc.problem}" if exc.line else exc.problem
                              ) from None
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise ConfigError(str(path), "<file>", "must be a mapping of settings", "see docs/user-guide.md, 'Configuration'")
    config = _override(Config(), raw, str(path), "")
    validate_config(config, str(path))
    return config


def _override(obj: Any, raw: dict, path: str, prefix: str) -> Any:
    """`obj` with the values of `raw` (one section of the YAML file), each checked against its declared type."""
    fields = {f.name: f for f in dataclasses.fields(obj)}
    hints = typing.get_type_hints(type(obj))
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if not isinstance(key, str) or key not in fields:
            raise ConfigError(path, dotted, "unknown key", _did_you_mean(str(key), list(fields), prefix))
        current = getattr(obj, key)
        if hasattr(current, "from_config"):  # a section that parses itself (overrides:)
            changes[key] = current.from_config(value, path, dotted)
        elif dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(path, dotted, f"expected a mapping, got {shown(value)}")
            changes[key] = _override(current, value, path, dotted + ".")
        else:
            changes[key] = _coerce(current, value, path, dotted, hints.get(key))
    return dataclasses.replace(obj, **changes)


def _did_you_mean(key: str, known: list[str], prefix: str) -> str:
    """The closest known key of this section, or where else that key lives, or the list of known keys."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {prefix}{close[0]}?"
    elsewhere = [k for k in _all_keys(Config()) if k.rsplit(".", 1)[-1] == key]
    if elsewhere:
        return f"did you mean {elsewhere[0]}?"
    return f"known keys{' under ' + prefix.rstrip('.') if prefix else ''}: {', '.join(sorted(known))}"


def _all_keys(obj: Any, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out += _all_keys(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else [prefix + f.name]
    return out


_NUMBER_TYPES = (int, float)


def _coerce(current: Any, value: Any, path: str, key: str, hint: Any = None) -> Any:
    """Check `value` against the declared type of the field (or, lacking one, the type of its default)."""
    if hint is None:
        hint = type(current) if current is not None else float | None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        others = [a for a in args if a is not type(None)]
        return _coerce(current, value, path, key, others[0] if len(others) == 1 else None)
    if hint is Decimal:
        if isinstance(value, bool) or not isinstance(value, (*_NUMBER_TYPES, str)):
            raise ConfigError(path, key, f"expected a number, got {shown(value)}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ConfigError(path, key, f"expected a number, got {shown(value)}", "write a fraction such as 0.99")\
                from None
        if not number.is_finite():
            raise ConfigError(path, key, f"expected a finite number, got {shown(value)}")
        return number
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, key, f"expected true or false, got {shown(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
            raise ConfigError(path, key, f"expected a number, got {shown(value)}")
        if not math.isfinite(value):
            raise ConfigError(path, key, f"expected a finite number, got {shown(value)}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, key, f"expected an integer, got {shown(value)}")
        return value
    if hint is str:
        if not isinstance(value, str):
            duration = fnmatch.fnmatchcase(key, "*_for") or key.endswith(("_window", "interval", "timeout", "period"))
            raise ConfigError(path, key, f"expected a {'duration' if duration else 'string'}, got {shown(value)}",
                              "write it with a unit, such as 5m or 90s" if duration else "quote the value")
        return value
    if origin in (tuple, list):
        item = args[0] if args else str
        if not isinstance(value, list):
            raise ConfigError(path, key, f"expected a list, got {shown(value)}")
        items = [_coerce(None, v, path, f"{key}[{i}]", item) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        key_type, value_type = args if args else (str, str)
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"expected a mapping, got {shown(value)}")
        return {_coerce(None, k, path, f"{key}.<key>", key_type): _coerce(None, v, path, f"{key}.{k}", value_type)
                for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # a section type (SLO), never an instance
        if not isinstance(value, dict):
            raise ConfigError(path, key, f"expected a mapping, got {shown(value)}")
        base = current if dataclasses.is_dataclass(current) else None
        if base is None:
            missing = [f.name for f in dataclasses.fields(hint)
                       if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
                       and f.name not in value]
            if missing:
                raise ConfigError(path, f"{key}.{missing[0]}", "required")
            base = hint(**{f.name: value[f.name] for f in dataclasses.fields(hint)
                           if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING})
        return _override(base, value, path, key + ".")
    if isinstance(current, _NUMBER_TYPES | str | bool | tuple | dict | Decimal):
        return _coerce(current, value, path, key, type(current))
    raise ConfigError(path, key, "cannot be overridden")  # pragma: no cover
