"""The explorer's web server: Python's own `http.server`, no new dependency.

A `ThreadingHTTPServer` answers each connection on a thread of its own, at most MAX_THREADS at
once (more wait in the listen queue). A connection that sends nothing is closed after TIMEOUT
seconds, and a request must arrive whole, headers and body, within REQUEST_LIMIT seconds of its
first byte (else a 408), so clients trickling a byte at a time cannot hold every thread. A body
is read only up to its declared length, and a length over MAX_BODY is refused (413) without
reading it. A request must name this server in its `Host` (and its `Origin`, if it gives one):
127.0.0.1, localhost or the host it was started on, with the port; anything else is a 403, which
keeps other sites' pages out even through DNS rebinding. Every error is JSON, those of
http.server itself too (400, 414, 431, 501, 505). An error inside a request is a 500 for that
request alone; a client that hangs up early costs its connection, not a traceback. Every
response forbids the page to fetch anything from elsewhere (Content-Security-Policy) and to be
framed.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dcgan_tf.explorer.api import JSON, MAX_BODY, Api

MAX_THREADS = 16
TIMEOUT = 10  # seconds a connection may stay silent, and a response may take to send
REQUEST_LIMIT = 10  # seconds from a request's first byte to its last
POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"
)


def served_names(host: str, port: int) -> frozenset[str]:
    """The `Host` values naming this server: 127.0.0.1, localhost and `host` (unless it is the
    wildcard 0.0.0.0), each with the port; on port 80, also without it (as browsers send it)."""
    names = {"127.0.0.1", "localhost", host.lower()} - {"", "0.0.0.0"}
    return frozenset({f"{name}:{port}" for name in names} | (names if port == 80 else set()))


class RequestClock(io.RawIOBase):
    """The connection's reads, timed: the wait for a request's first byte is at most `idle`
    seconds (a silent connection is closed), and the request must then arrive whole within
    `limit` seconds (each read waits only for what is left), however the bytes trickle in."""

    def __init__(self, connection: socket.socket, idle: float, limit: float) -> None:
        self.connection, self.idle, self.limit = connection, idle, limit
        self.deadline: float | None = None  # set by a request's first byte
        self.expired = False  # the request began to arrive, and not all of it in time

    def readable(self) -> bool:
        return True

    def next_request(self) -> None:
        self.deadline, self.expired = None, False

    def readinto(self, buffer) -> int:
        wait = self.idle if self.deadline is None else self.deadline - time.monotonic()
        try:
            if wait <= 0:
                raise TimeoutError("the request took too long")
            self.connection.settimeout(wait)
            count = self.connection.recv_into(buffer)
        except TimeoutError:
            self.expired = self.deadline is not None
            raise
        if count and self.deadline is None:
            self.deadline = time.monotonic() + self.limit
        return count


class Handler(BaseHTTPRequestHandler):
    server_version = "dcgan_tf-explore"
    protocol_version = "HTTP/1.1"  # keep-alive: a slider's requests reuse one connection
    default_request_version = "HTTP/1.0"  # a status line even for a garbled request line
    disable_nagle_algorithm = True  # else the body waits ~40 ms for the headers' ACK (Nagle)

    def setup(self) -> None:
        self.timeout = self.server.connection_timeout
        super().setup()
        limit = self.server.request_limit
        self.clock = RequestClock(self.connection, self.timeout, limit)
        self.rfile = io.BufferedReader(self.clock)

    def handle_one_request(self) -> None:
        self.clock.next_request()
        self.requestline, self.command = "", ""  # what an error's log line shows, until read
        self.request_version = self.default_request_version
        super().handle_one_request()  # a read or a write that timed out closes the connection
        if self.clock.expired:  # (a connection silent from the start closes without a word)
            limit = self.server.request_limit
            with contextlib.suppress(OSError):  # the client may be gone too
                self.send_error(408, f"the request did not arrive whole within {limit:g} s")

    def parse_request(self) -> bool:
        if not super().parse_request():
            return False
        refusal = self.refusal()
        if refusal:
            self.send_error(403, refusal)
        return not refusal

    def refusal(self) -> str | None:
        """Why this request may not be answered (another site's Host or Origin), or None."""
        names = self.server.names
        hosts = [value.strip().lower() for value in self.headers.get_all("Host", [])]
        origins = [value.strip().lower() for value in self.headers.get_all("Origin", [])]
        served = ", ".join(sorted(names))
        if len(hosts) != 1 or hosts[0] not in names:
            given = repr(", ".join(hosts)[:100]) if hosts else "no Host"
            return (f"this server answers to the host {served}, not {given}; "
                    "to serve another name, start it with --host NAME")  # fmt: skip
        if len(origins) > 1 or (origins and origins[0] not in {f"http://{n}" for n in names}):
            return f"requests from the origin {', '.join(origins)[:100]!r} are not served here"
        return None

    def do_GET(self) -> None:
        self.answer("GET", b"")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            size = int(length)
        except (TypeError, ValueError):
            self.send_error(411, "a POST needs a Content-Length")
            return
        if not 0 <= size <= MAX_BODY:
            self.send_error(413, f"the body is over {MAX_BODY} bytes")  # left unread
            return
        self.answer("POST", self.rfile.read(size))

    def do_PUT(self) -> None:
        self.send_error(405, "only GET and POST")

    do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_PUT

    def answer(self, method: str, body: bytes) -> None:
        try:
            status, kind, content = self.server.api.handle(method, self.path, body)
        except Exception as err:  # a bug or an exhausted resource: this request fails, not all
            traceback.print_exc(file=sys.stderr)
            status, kind = 500, JSON
            content = json.dumps({"error": f"{type(err).__name__}: {err}"[:300]}).encode()
        self.reply(status, kind, content)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every error as JSON {"error": message}, http.server's own ones (400, 414, 431, 501,
        505) too; the connection is closed after it."""
        self.log_error("code %d, message %s", code, message)
        text = message or self.responses.get(code, ("error",))[0]
        self.reply(code, JSON, json.dumps({"error": text}).encode(), close=True)

    def reply(self, status: int, kind: str, content: bytes, close: bool = False) -> None:
        self.connection.settimeout(self.timeout)  # the reads may have left it at less
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class ExplorerServer(ThreadingHTTPServer):
    """`Api` on a port; at most MAX_THREADS connections served at once. `timeout` and
    `request_limit` (seconds) as TIMEOUT and REQUEST_LIMIT above."""

    daemon_threads = True
    request_queue_size = 128  # the listen queue (socketserver's 5 resets clients under load)

    def __init__(
        self,
        address: tuple[str, int],
        api: Api,
        verbose: bool = False,
        timeout: float = TIMEOUT,
        request_limit: float = REQUEST_LIMIT,
    ) -> None:
        self.api, self.verbose = api, verbose
        self.connection_timeout, self.request_limit = timeout, request_limit
        self.slots = threading.BoundedSemaphore(MAX_THREADS)
        super().__init__(address, Handler)
        self.names = served_names(address[0], self.server_address[1])

    def process_request(self, request, client_address) -> None:
        self.slots.acquire()  # the accept loop waits here while MAX_THREADS are busy
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (or went silent) mid-request: one line with --verbose, else
        nothing. Anything else is a bug: its traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)
        elif self.verbose:
            print(f"{client_address[0]}:{client_address[1]} left: {error}", file=sys.stderr)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"
