"""One-line logfmt logs: `ts=... level=warning msg="probe failing" endpoint=healthz reason=timeout`."""

from __future__ import annotations

import logging
import re

log = logging.getLogger("gitea-api-exporter")
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")


def _value(value: object) -> str:
    text = str(value)
    if _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def event(msg: str, **fields: object) -> str:
    """The message part of a log line: msg first, then key=value pairs, quoted where needed."""
    return " ".join([f"msg={_value(msg)}"] + [f"{k}={_value(v)}" for k, v in fields.items()])


def setup(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("ts=%(asctime)s level=%(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("urllib3").setLevel(logging.ERROR)
