"""Raw HTTP on loopback for the hostile-input tests and benchmarks: bytes exactly as an attacker sends them,
and an upstream that records every request that reaches it (what "Gitea" saw through the proxy)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


class RecordingUpstream:
    """A plain HTTP/1.1 server that records method, path, headers and body of each request and answers
    200 "ok". Bodies are read by Content-Length or chunked, as a real server would frame them."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.aborted = 0  # requests whose body never completed (the proxy cut them)
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                try:
                    body = self._body()
                except (ValueError, OSError):
                    upstream.aborted += 1
                    self.close_connection = True
                    return
                upstream.seen.append(Seen(self.command, self.path, list(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def _body(self) -> bytes:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    out = []
                    while True:
                        line = self.rfile.readline(100)
                        if not line.endswith(b"\r\n"):
                            raise ValueError("chunked body cut")
                        size = int(line.split(b";")[0], 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(out)
                        data = self.rfile.read(size + 2)
                        if len(data) != size + 2:
                            raise ValueError("chunk cut")
                        out.append(data[:-2])
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if len(data) != length:
                    raise ValueError("body cut")
                return data

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def methods(self) -> list[str]:
        return [s.method for s in self.seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def recording_upstream() -> Iterator[RecordingUpstream]:
    upstream = RecordingUpstream()
    try:
        yield upstream
    finally:
        upstream.close()


def send_raw(port: int, data: bytes, timeout: float = 10.0, then_stall: bool = False) -> bytes:
    """Send `data`, then read until the server closes (or `timeout`); returns what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if not then_stall:
            s.shutdown(socket.SHUT_WR)
        return read_until_closed(s)


def read_until_closed(s: socket.socket) -> bytes:
    """Everything the server sends until it closes, resets, or the socket's timeout passes."""
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return out


def status_of(response: bytes) -> int:
    """The status code of the first response in `response` (0 when there is none)."""
    parts = response.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[0].startswith(b"HTTP/") and parts[1].isdigit() else 0
