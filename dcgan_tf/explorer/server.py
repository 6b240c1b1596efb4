"""The explorer's web server: Python's own `http.server`, no new dependency.

A `ThreadingHTTPServer` answers each connection on a thread of its own, at most MAX_THREADS at
once (more wait in the listen queue), each with a TIMEOUT for a client that sends nothing. Every
request goes through `Api.handle`; a body is read only up to its declared length, and a length
over MAX_BODY is refused (413) without reading it. An error inside a request is a 500 for that
request alone: the server keeps answering. Every response forbids the page to fetch anything
from elsewhere (Content-Security-Policy) and to be framed.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from dcgan_tf.explorer.api import JSON, MAX_BODY, Api

MAX_THREADS = 16
TIMEOUT = 10  # seconds a connection may stay silent
POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'"
)


class Handler(BaseHTTPRequestHandler):
    server_version = "dcgan_tf-explore"
    protocol_version = "HTTP/1.1"  # keep-alive: a slider's requests reuse one connection
    disable_nagle_algorithm = True  # else the body waits ~40 ms for the headers' ACK (Nagle)
    timeout = TIMEOUT

    def do_GET(self) -> None:
        self.answer("GET", b"")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        try:
            size = int(length)
        except (TypeError, ValueError):
            self.reply(411, JSON, b'{"error": "a POST needs a Content-Length"}', close=True)
            return
        if not 0 <= size <= MAX_BODY:
            message = {"error": f"the body is over {MAX_BODY} bytes"}
            self.reply(413, JSON, json.dumps(message).encode(), close=True)  # left unread
            return
        self.answer("POST", self.rfile.read(size))

    def do_PUT(self) -> None:
        self.reply(405, JSON, b'{"error": "only GET and POST"}', close=True)

    do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_PUT

    def answer(self, method: str, body: bytes) -> None:
        try:
            status, kind, content = self.server.api.handle(method, self.path, body)
        except Exception as err:  # a bug or an exhausted resource: this request fails, not all
            traceback.print_exc(file=sys.stderr)
            status, kind = 500, JSON
            content = json.dumps({"error": f"{type(err).__name__}: {err}"[:300]}).encode()
        self.reply(status, kind, content)

    def reply(self, status: int, kind: str, content: bytes, close: bool = False) -> None:
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
    """`Api` on a port; at most MAX_THREADS connections served at once."""

    daemon_threads = True
    request_queue_size = 128  # the listen queue (socketserver's 5 resets clients under load)

    def __init__(self, address: tuple[str, int], api: Api, verbose: bool = False) -> None:
        self.api, self.verbose = api, verbose
        self.slots = threading.BoundedSemaphore(MAX_THREADS)
        super().__init__(address, Handler)

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

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"
