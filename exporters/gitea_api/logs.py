"""One-line logfmt logs: `ts=... level=warning msg="probe failing" endpoint=healthz reason=timeout`."""

from __future__ import annotations

import logging
import re
import ssl

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


def cause(exc: BaseException) -> str:
    """A one-line reason from the innermost cause: no URL, no headers, no stack trace."""
    seen = exc
    while True:
        inner = seen.__cause__ or seen.__context__ or (seen.args[0] if seen.args and isinstance(seen.args[0],
                                                                                              BaseException) else None)
        reason = getattr(seen, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
        if inner is None or inner is seen:
            break
        seen = inner
    text = str(seen)
    if "Name or service not known" in text or "NameResolution" in type(seen).__name__ or "getaddrinfo" in text \
            or "nodename nor servname" in text or "Temporary failure in name resolution" in text:
        return "DNS lookup failed"
    if isinstance(seen, ConnectionRefusedError) or "Connection refused" in text:
        return "connection refused"
    if "RemoteDisconnected" in type(seen).__name__ or "closed connection" in text or "reset by peer" in text:
        return "connection closed by Gitea before an answer"
    if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate not trusted: " + (getattr(seen, "verify_message", "") or "verify failed")
    first = text.splitlines()[0] if text else ""
    # urllib3 messages start with the pool and URL; keep the part after the last colon-separated prefix.
    return (type(seen).__name__ + (": " + first[-160:] if first else ""))
