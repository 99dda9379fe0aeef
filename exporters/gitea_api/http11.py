"""HTTP/1.1 request framing as RFC 9112 says, for the requests the proxy forwards.

A proxy that frames a request differently from the server behind it lets a client hide a second request
in the body (request smuggling). So anything ambiguous is refused before a byte goes to Gitea:
both Content-Length and Transfer-Encoding (section 6.1), Transfer-Encoding in HTTP/1.0 (6.1), more than one
or a non-numeric Content-Length (6.3, 8.6), a coding other than chunked (501, 6.1), obs-fold (5.2), a bare CR
(2.2), whitespace before a field name's colon (5.1), an invalid chunk size or chunk end (7.1). And anything a
Gitea API client does not send is refused too (check_target): request-targets other than origin-form (3.2),
HTTP/1.1 without Host (3.2), paths outside the API.
Chunked bodies are decoded in pieces of bounded size however large a chunk says it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import BinaryIO

MAX_LINE = 8192  # one header line
MAX_FIELDS = 100  # header (or trailer) lines per message
MAX_CHUNK_LINE = 1024  # chunk-size line with its extensions
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CTL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # HTAB is allowed in field values
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")  # 15 hex digits: below 2**60, no bignum from a client
_DIGITS = re.compile(r"[0-9]{1,18}")


class FramingError(Exception):
    """The request cannot be framed safely: answer `status` and close the connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class BodyEnded(FramingError):
    """The client closed the connection before the end of the body."""

    def __init__(self) -> None:
        super().__init__(400, "the request body ended before its declared end")


class TargetRefused(FramingError):
    """A well-framed request that is not what a Gitea API client sends: answered `status`, counted as `label`."""

    def __init__(self, status: int, reason: str, label: str) -> None:
        super().__init__(status, reason)
        self.label = label


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_AUTHORITY = re.compile(r"^[^/?#@\s]+:[0-9]{1,5}$")
_DOT_SEGMENT = re.compile(r"(?:^|/)(?:\.|%2e){1,2}(?:/|$)", re.IGNORECASE)


def check_target(method: str, target: str, version: str, hosts: int, prefix: str) -> None:
    """Only origin-form targets under `prefix`, with a Host in HTTP/1.1 (RFC 9112 section 3.2): TargetRefused if not.

    absolute-form (`GET http://host/path`) is what a client sends to a forward proxy, authority-form
    (`CONNECT host:443`) asks for a tunnel, asterisk-form (`OPTIONS *`) asks about the server: none is a Gitea
    API call, and forwarding them would make this sidecar an open proxy carrying the provider's token. A path
    with dot-segments (`/api/v1/../../`, also percent-encoded) could resolve outside the prefix upstream.
    """
    if version == "HTTP/1.1" and hosts == 0:
        raise TargetRefused(400, "HTTP/1.1 request without Host (RFC 9112 section 3.2)", "missing_host")
    if target == "*":
        raise TargetRefused(400, "asterisk-form request-target (OPTIONS *) is not forwarded; only origin-form "
                                 f"{prefix}/...", "asterisk_form")
    if method == "CONNECT" or _AUTHORITY.match(target):
        raise TargetRefused(400, "authority-form request-target (CONNECT) is not forwarded: this is not a forward "
                                 "proxy", "authority_form")
    if _SCHEME.match(target):
        raise TargetRefused(400, "absolute-form request-target is not forwarded: this is not a forward proxy; send "
                                 f"origin-form {prefix}/...", "absolute_form")
    if not target.startswith("/"):
        raise TargetRefused(400, "request-target is not origin-form (it must start with /)", "invalid_target")
    path = target.split("?", 1)[0]
    if not path.startswith(prefix + "/") or _DOT_SEGMENT.search(path):
        raise TargetRefused(403, f"only Gitea's API ({prefix}/...) is forwarded", "outside_api")


def _line(rfile: BinaryIO, limit: int, what: str) -> bytes:
    """One line without its terminator (CRLF, or a bare LF which section 2.2 lets a recipient accept)."""
    line = rfile.readline(limit + 1)
    if not line:
        raise BodyEnded
    if not line.endswith(b"\n"):
        raise FramingError(431 if len(line) > limit else 400, f"{what} too long" if len(line) > limit
                           else f"{what} not terminated")
    content = line[:-2] if line.endswith(b"\r\n") else line[:-1]
    if b"\r" in content:
        raise FramingError(400, f"bare CR in {what}")
    return content


def check_request_line(raw: bytes) -> None:
    content = raw[:-2] if raw.endswith(b"\r\n") else raw.rstrip(b"\n")
    if b"\r" in content:
        raise FramingError(400, "bare CR in the request line")


def read_fields(rfile: BinaryIO, what: str = "a header line") -> list[bytes]:
    """The field lines up to the empty line, each checked (headers, or the trailers of a chunked body)."""
    lines: list[bytes] = []
    while True:
        content = _line(rfile, MAX_LINE, what)
        if not content:
            return lines
        if content[:1] in (b" ", b"\t"):
            raise FramingError(400, "obsolete line folding (obs-fold) in the headers")
        name, colon, value = content.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise FramingError(400, "invalid header field name (whitespace before the colon?)")
        if _CTL.search(value):
            raise FramingError(400, "control character in a header value")
        lines.append(content)
        if len(lines) > MAX_FIELDS:
            raise FramingError(431, f"more than {MAX_FIELDS} header fields")


@dataclass(frozen=True)
class Framing:
    length: int | None  # Content-Length; None when chunked or no body
    chunked: bool = False


def framing(headers: Message, version: str) -> Framing:
    """How the body of a request is delimited (RFC 9112 section 6.3); FramingError when ambiguous."""
    te = headers.get_all("Transfer-Encoding") or []
    cl = headers.get_all("Content-Length") or []
    if te:
        if version == "HTTP/1.0":
            raise FramingError(400, "Transfer-Encoding in an HTTP/1.0 request")
        if cl:
            raise FramingError(400, "both Content-Length and Transfer-Encoding")
        codings = [c.strip().lower() for value in te for c in value.split(",")]
        if codings == ["chunked"]:
            return Framing(None, chunked=True)
        if codings and codings[-1] == "chunked" and "chunked" not in codings[:-1] and all(codings):
            raise FramingError(501, "transfer coding not supported (only chunked is)")
        raise FramingError(400, "Transfer-Encoding must be chunked, once, and last")
    if len(cl) > 1:
        raise FramingError(400, "more than one Content-Length")
    if cl:
        if not _DIGITS.fullmatch(cl[0].strip()):
            raise FramingError(400, "invalid Content-Length")
        return Framing(int(cl[0].strip()))
    return Framing(None)


def read_exact(rfile: BinaryIO, length: int, piece: int) -> Iterator[bytes]:
    """A Content-Length body in pieces of at most `piece` bytes."""
    remaining = length
    while remaining:
        data = rfile.read1(min(piece, remaining)) if hasattr(rfile, "read1") else rfile.read(min(piece, remaining))
        if not data:
            raise BodyEnded
        remaining -= len(data)
        yield data


def read_chunked(rfile: BinaryIO, piece: int) -> Iterator[bytes]:
    """The decoded body of a chunked request in pieces of at most `piece` bytes (section 7.1)."""
    while True:
        line = _line(rfile, MAX_CHUNK_LINE, "a chunk-size line")
        size_text = line.split(b";", 1)[0].rstrip(b" \t")
        if not _HEX.fullmatch(size_text):
            raise FramingError(400, "invalid chunk size")
        size = int(size_text, 16)
        if size == 0:
            read_fields(rfile, "a trailer line")
            return
        yield from read_exact(rfile, size, piece)
        if rfile.read(2) != b"\r\n":
            raise FramingError(400, "chunk data not followed by CRLF")
