"""HTTP servers that stay bounded whatever clients do: the metrics port is reachable from every pod.

http.server's ThreadingHTTPServer starts one thread per connection with no read timeout and listens with a
backlog of 5: 1,200 idle connections took 65 MB (the sidecar's limit is 64Mi) and 200 concurrent scrapes
overflowed the backlog. Here:

- at most `max_connections` connections have a thread; when a new one arrives at the cap, the connection
  that has waited longest for its request (idle keep-alive, or a client trickling its headers) is closed
  once it has waited `evict_after` seconds; otherwise the new connection waits in the listen backlog
  until a slot frees;
- every read has a timeout (`BoundedHandler.timeout`), so an idle connection ends on its own;
- the listen backlog is `request_queue_size` (>= 128);
- a client that disconnects or times out is one log line, never a traceback.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .logs import cause, event, log

LISTEN_BACKLOG = 128


class BoundedServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], name: str,
                 max_connections: int = 64, evict_after: float = 0.5) -> None:
        self.name, self.max_connections, self.evict_after = name, max_connections, evict_after
        self._lock = threading.Condition()
        self._waiting_since: dict[socket.socket, float | None] = {}  # None: a request is being served
        self._closing = False
        self.evicted = 0
        super().__init__(address, handler)

    # -- connection accounting (called from the accept loop and from handler threads)

    def process_request(self, request: socket.socket, client_address: tuple) -> None:  # type: ignore[override]
        with self._lock:
            while len(self._waiting_since) >= self.max_connections and not self._closing:
                if not self._evict_longest_waiting():
                    self._lock.wait(0.1)
            self._waiting_since[request] = time.monotonic()
        super().process_request(request, client_address)

    def _evict_longest_waiting(self) -> bool:
        now = time.monotonic()
        waiting = [(since, sock) for sock, since in self._waiting_since.items()
                   if since is not None and now - since >= self.evict_after]
        if not waiting:
            return False
        _, sock = min(waiting, key=lambda item: item[0])
        del self._waiting_since[sock]
        self.evicted += 1
        try:
            sock.shutdown(socket.SHUT_RDWR)  # its thread's read returns at once and the thread ends
        except OSError:
            pass
        return True

    def waiting(self, sock: socket.socket) -> None:
        """The connection waits for the client (its next request, or the rest of one)."""
        with self._lock:
            if sock in self._waiting_since:
                self._waiting_since[sock] = time.monotonic()

    def busy(self, sock: socket.socket) -> bool:
        """A request is complete and being served; False when the connection was evicted meanwhile."""
        with self._lock:
            if sock not in self._waiting_since:
                return False
            self._waiting_since[sock] = None
            return True

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._lock:
            self._waiting_since.pop(request, None)
            self._lock.notify_all()
        super().shutdown_request(request)

    def shutdown(self) -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
        super().shutdown()

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._waiting_since)

    def handle_error(self, request: object, client_address: tuple) -> None:
        """One line, no traceback: a client going away is routine, and a traceback may quote request data."""
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # reset, broken pipe, timeout: the client went away or stalled
            log.info(event("client connection ended early", server=self.name,
                           detail=exc.strerror or type(exc).__name__))
        else:
            log.warning(event("request failed", server=self.name, detail=cause(exc) if exc else "unknown"))


class BoundedHandler(BaseHTTPRequestHandler):
    """Reports to a BoundedServer when the connection waits for the client and when it is busy."""

    timeout = 10.0  # seconds any read may block (StreamRequestHandler applies it to the socket)
    server: BoundedServer

    def handle_one_request(self) -> None:
        self.server.waiting(self.request)
        super().handle_one_request()

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        if not self.server.busy(self.request):
            self.close_connection = True
            return False
        return True

    def log_message(self, *args: object) -> None:  # never log request lines (paths carry names)
        pass
