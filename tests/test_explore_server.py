"""The explorer as a server among clients that misbehave (issue 30): clients that hang up before
their answer, a Host or Origin of another site (DNS rebinding), requests that trickle in a byte
at a time, and the errors http.server answers above the API. Served on 127.0.0.1 with a
stand-in engine (no trained run, no TensorFlow) and, where time matters, short time limits, so
each test takes seconds. The API on real runs, and the server under load: test_explore.py."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from dcgan_tf.explorer.api import Api
from dcgan_tf.explorer.server import MAX_THREADS, ExplorerServer, served_names


class StandIn:
    """The little of an engine that /api/info and /api/image ask for; `hold` keeps /api/info
    waiting (its request in the middle of being answered) until `release` is set."""

    noise_dim, conditional, shots = 2, False, []

    def __init__(self, hold: bool = False) -> None:
        self.hold, self.entered, self.release = hold, threading.Event(), threading.Event()

    def info(self) -> dict:
        if self.hold:
            self.entered.set()
            self.release.wait(10)
        return {"model": "stand-in"}

    def render(self, z, labels, shot=None) -> list[dict]:
        return [{"png": "data:,", "digit": None, "confidence": None} for _ in z]


@contextmanager
def serving(engine: StandIn | None = None, **limits) -> Iterator[ExplorerServer]:
    server = ExplorerServer(("127.0.0.1", 0), Api(engine or StandIn()), **limits)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def host(server: ExplorerServer) -> str:
    return f"127.0.0.1:{server.server_address[1]}"


def connect(server: ExplorerServer, timeout: float = 10) -> socket.socket:
    return socket.create_connection(server.server_address[:2], timeout=timeout)


def exchange(server: ExplorerServer, data: bytes) -> tuple[int, dict, bytes]:
    """Send `data` as it is, read until the server closes: (status, headers, body)."""
    with connect(server) as conn:
        conn.sendall(data)
        answer = read_all(conn)
    return parse(answer)


def read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_answer(conn: socket.socket) -> tuple[int, dict, bytes]:
    """One answer on a kept-alive connection: up to the end of the body it announces."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += received(conn)
    status, headers, body = parse(answer)
    while len(body) < int(headers["Content-Length"]):
        body += received(conn)
    return status, headers, body


def received(conn: socket.socket) -> bytes:
    chunk = conn.recv(65536)
    assert chunk, "the server closed the connection before the whole answer"
    return chunk


def parse(answer: bytes) -> tuple[int, dict, bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split(" ")[1]), headers, body


def request(server, target="/api/info", method="GET", body=b"", **headers) -> bytes:
    """One whole request, closing its connection; `headers` replace the defaults."""
    fields = {"Host": host(server), "Connection": "close", **headers}
    if method == "POST":
        fields.setdefault("Content-Length", str(len(body)))
    lines = [f"{method} {target} HTTP/1.1"] + [f"{k}: {v}" for k, v in fields.items() if v]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def wait_until(condition: Callable[[], bool], seconds: float = 10) -> None:
    ends = time.monotonic() + seconds
    while not condition() and time.monotonic() < ends:
        time.sleep(0.02)


def hang_up(conn: socket.socket) -> None:
    """Close at once with a reset (SO_LINGER 0), as a client that leaves does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


@pytest.mark.parametrize("moment", ["while its answer is made", "while it sends its body"])
def test_a_client_hanging_up_before_its_answer_leaves_no_traceback(moment, capfd):
    engine = StandIn(hold=moment == "while its answer is made")
    with serving(engine) as server:
        threads = threading.active_count()
        conn = connect(server)
        if engine.hold:
            conn.sendall(request(server))
            assert engine.entered.wait(10)
        else:
            conn.sendall(request(server, "/api/image", "POST", b"", **{"Content-Length": "900"}))
            conn.sendall(b'{"z": [0,')
            time.sleep(0.2)
        hang_up(conn)
        engine.release.set()
        wait_until(lambda: threading.active_count() < threads + 1)  # its thread has ended
        assert exchange(server, request(server))[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err and err.count("\n") <= 1, err


def test_the_names_it_serves_are_127_0_0_1_localhost_and_the_host_given_with_the_port():
    assert served_names("127.0.0.1", 8022) == {"127.0.0.1:8022", "localhost:8022"}
    assert served_names("0.0.0.0", 8022) == {"127.0.0.1:8022", "localhost:8022"}
    assert served_names("Box.Lan", 80) == {
        *("127.0.0.1", "localhost", "box.lan"),
        *("127.0.0.1:80", "localhost:80", "box.lan:80"),
    }


@pytest.mark.parametrize("name", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_a_request_naming_a_host_it_serves_is_answered(name):
    with serving() as server:
        port = server.server_address[1]
        assert exchange(server, request(server, Host=name.format(port=port)))[0] == 200


@pytest.mark.parametrize(
    "name",
    [
        "rebound.example:{port}",  # DNS rebinding: another site's name, resolved to 127.0.0.1
        "rebound.example",
        "127.0.0.1.rebound.example:{port}",
        "127.0.0.1:{other}",
        "localhost",
        None,  # no Host at all
    ],
)
@pytest.mark.parametrize("target", ["/api/info", "/"])
def test_a_request_naming_another_host_is_a_403(name, target):
    with serving() as server:
        port = server.server_address[1]
        given = name and name.format(port=port, other=port + 1)
        status, headers, body = exchange(server, request(server, target, Host=given))
    assert status == 403 and headers["Content-Type"] == "application/json"
    assert "host" in json.loads(body)["error"].lower()


def test_two_host_headers_are_a_403():
    with serving() as server:
        data = request(server).replace(b"Host:", b"Host: rebound.example\r\nHost:", 1)
        assert exchange(server, data)[0] == 403


@pytest.mark.parametrize(
    "origin,status",
    [
        ("http://127.0.0.1:{port}", 200),  # the page's own fetches
        ("http://localhost:{port}", 200),
        (None, 200),  # no Origin: not from a browser's page
        ("http://rebound.example:{port}", 403),
        ("http://rebound.example", 403),
        ("https://127.0.0.1:{port}", 403),
        ("http://127.0.0.1:{other}", 403),
        ("null", 403),  # a sandboxed frame or a file:// page
    ],
)
def test_a_post_from_another_origin_is_a_403(origin, status):
    with serving() as server:
        port = server.server_address[1]
        given = origin and origin.format(port=port, other=port + 1)
        body = b'{"z": [0, 0]}'
        got, _, answer = exchange(server, request(server, "/api/image", "POST", body,
                                                         Origin=given))  # fmt: skip
    assert got == status, answer
    if status == 403:
        assert "origin" in json.loads(answer)["error"].lower()


def trickle(conn: socket.socket, data: bytes, pause: float) -> float:
    """Send `data` a byte every `pause` seconds until it is sent or the server stops taking it;
    the seconds it took."""
    started = time.monotonic()
    for byte in data:
        try:
            conn.sendall(bytes([byte]))
        except OSError:  # the server closed the connection
            break
        time.sleep(pause)
    return time.monotonic() - started


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_request_trickling_in_is_cut_off_at_the_time_limit_with_a_408(part):
    with serving(timeout=2, request_limit=1) as server:
        data = request(server, "/api/image", "POST", b'{"z": [0, 0]}' + b" " * 40)
        head, body = data.split(b"\r\n\r\n")
        with connect(server) as conn:
            if part == "body":
                conn.sendall(head + b"\r\n\r\n")
            seconds = trickle(conn, head + b"\r\n\r\n" + body if part == "headers" else body, 0.1)
            status, headers, answer = parse(read_all(conn))
    assert seconds < 4  # the limit (1 s) and a margin; the whole request would take 6 s
    assert (status, headers["Content-Type"]) == (408, "application/json")
    assert "within 1 s" in json.loads(answer)["error"]


def test_a_silent_connection_is_closed_after_the_idle_timeout_without_an_answer():
    with serving(timeout=0.5, request_limit=5) as server, connect(server) as conn:
        started = time.monotonic()
        assert read_all(conn) == b""
        assert time.monotonic() - started < 3


def test_trickling_clients_on_every_slot_cannot_keep_a_normal_one_waiting():
    with serving(timeout=2, request_limit=1) as server:
        slow = [connect(server) for _ in range(MAX_THREADS)]
        data = request(server)
        threads = [threading.Thread(target=trickle, args=(conn, data, 0.2)) for conn in slow]
        for thread in threads:
            thread.start()  # each sends a byte every 0.2 s: 16 s for the whole request
        time.sleep(0.3)  # every slot taken
        started = time.monotonic()
        with connect(server) as conn:
            conn.sendall(request(server))
            status = parse(read_all(conn))[0]
        waited = time.monotonic() - started
        for conn in slow:
            conn.close()
        for thread in threads:
            thread.join()
    assert status == 200 and waited < 5, waited  # the limit (1 s) and a margin


def test_a_keep_alive_connection_answers_each_request_of_its_time_limit():
    with serving(timeout=2, request_limit=0.5) as server, connect(server) as conn:
        for _ in range(3):  # 0.9 s in all: the limit counts for each request, not the connection
            conn.sendall(request(server, Connection="keep-alive"))
            assert read_answer(conn)[0] == 200
            time.sleep(0.3)


def test_an_answer_slower_than_the_limit_is_not_cut_off():
    engine = StandIn(hold=True)
    with serving(engine, timeout=2, request_limit=0.3) as server, connect(server) as conn:
        threading.Timer(0.8, engine.release.set).start()  # the answer takes 0.8 s to make
        conn.sendall(request(server, Connection="keep-alive"))
        assert read_answer(conn)[0] == 200
        conn.sendall(request(server, Connection="keep-alive"))  # the connection still serves
        assert read_answer(conn)[0] == 200


BEYOND_THE_API = [
    (b"GET /api/" + b"a" * 65528, 414),  # 65,537 bytes of request line, all the server reads
    (b"GET /api/info HTTP/1.1\r\nX-Long: " + b"a" * 65529, 431),  # a header line just as long
    (b"GET /api/info HTTP/1.1\r\n" + b"X-Many: 1\r\n" * 101 + b"\r\n", 431),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /api/info HTTP/x\r\n\r\n", 400),
    (b"GET /api/info HTTP/2.0\r\n\r\n", 505),
    (b"BREW /api/info HTTP/1.1\r\nHost: {host}\r\n\r\n", 501),
    (b"PUT /api/info HTTP/1.1\r\nHost: {host}\r\n\r\n", 405),
    (b"POST /api/image HTTP/1.1\r\nHost: {host}\r\nContent-Length: 999999999\r\n\r\n", 413),
]


@pytest.mark.parametrize("data,status", BEYOND_THE_API)
def test_errors_above_the_api_are_json_too(data, status):
    with serving() as server:
        got, headers, body = exchange(server, data.replace(b"{host}", host(server).encode()))
    assert (got, headers["Content-Type"]) == (status, "application/json"), body[:200]
    assert json.loads(body)["error"]
    assert int(headers["Content-Length"]) == len(body) and headers["Connection"] == "close"
