"""The explorer's page in a real browser: headless Chromium, driven over its DevTools protocol
(a few lines of WebSocket below: no new dependency). The page's own `selfTest` moves the sliders
and scrubbers as a user would (their `input` events) and reports what it saw: each slider move's
time from the event to the new image decoded, whether the pixels changed, what the classifier read,
and every resource fetched from outside the server."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import keras
import numpy as np
import pytest
from conftest import synthetic_digits
from test_explore import make_engine, train_runs

from dcgan_tf.explorer.api import Api
from dcgan_tf.explorer.server import ExplorerServer
from dcgan_tf.tutorial.dataset import to_model_range

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs chromium on the PATH"),
]


class DevTools:
    """One page's DevTools WebSocket: `call(method, **params)` returns the result."""

    def __init__(self, url: str) -> None:
        where = urlparse(url)
        self.sock = socket.create_connection((where.hostname, where.port), timeout=180)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {where.path} HTTP/1.1\r\nHost: {where.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += self.exactly(1)
        assert b" 101 " in head.split(b"\r\n")[0], head
        self.last = 0

    def exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def call(self, method: str, **params):
        self.last += 1
        payload = json.dumps({"id": self.last, "method": method, "params": params}).encode()
        size = len(payload)
        header = bytearray([0x81])  # one text frame; a client's frames are masked
        if size < 126:
            header.append(0x80 | size)
        elif size < 65536:
            header += bytes([0x80 | 126]) + size.to_bytes(2, "big")
        else:
            header += bytes([0x80 | 127]) + size.to_bytes(8, "big")
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + mask + masked)
        while True:
            message = json.loads(self.receive())
            if message.get("id") == self.last:
                if "error" in message:
                    raise RuntimeError(message["error"])
                return message["result"]

    def receive(self) -> str:
        parts = []
        while True:
            first, second = self.exactly(2)
            size = second & 0x7F
            if size == 126:
                size = int.from_bytes(self.exactly(2), "big")
            elif size == 127:
                size = int.from_bytes(self.exactly(8), "big")
            data = self.exactly(size)
            if first & 0x0F == 8:
                raise ConnectionError("DevTools closed the connection")
            parts.append(data)
            if first & 0x80:
                return b"".join(parts).decode()

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")


def open_page(url: str, profile: Path):
    """Chromium showing `url`, and the DevTools of that page."""
    browser = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1280,1500",
         url],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    for line in browser.stderr:
        found = re.search(r"DevTools listening on ws://([^/]+)/", line)
        if found:
            break
    else:
        raise AssertionError("chromium never opened its DevTools port")
    threading.Thread(target=browser.stderr.read, daemon=True).start()  # never let it block
    with urllib.request.urlopen(f"http://{found.group(1)}/json/list", timeout=30) as answer:
        pages = json.load(answer)
    (page,) = [p for p in pages if p["type"] == "page" and p["url"].startswith(url)]
    tools = DevTools(page["webSocketDebuggerUrl"])
    tools.evaluate(
        "new Promise((done, fail) => { const t0 = Date.now(); const wait = () => window.ready ?"
        " done(true) : Date.now() - t0 > 120000 ? fail('not ready') : setTimeout(wait, 50);"
        " wait(); })"
    )
    return browser, tools


def serve(engine):
    server = ExplorerServer(("127.0.0.1", 0), Api(engine))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return train_runs(tmp_path_factory.mktemp("runs"))


def percentile(values, share: float) -> float:
    return float(np.percentile(np.asarray(values), share))


def test_sliders_and_scrubbers_change_the_pictures(runs, classifier_bundle, tmp_path):
    engine = make_engine(runs, "dcgan", classifier_bundle)
    server = serve(engine)
    browser, tools = open_page(server.url, tmp_path / "profile")
    try:
        seen = tools.evaluate("selfTest(60)")
        shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    finally:
        browser.terminate()
        browser.wait(30)
        server.shutdown()
        server.server_close()
    (tmp_path / "explore.png").write_bytes(base64.b64decode(shot["data"]))
    if os.environ.get("EXPLORE_SCREENSHOT"):  # docs/explore.png: see docs/README.md
        Path(os.environ["EXPLORE_SCREENSHOT"]).write_bytes(base64.b64decode(shot["data"]))
    assert seen["slider_changed"] and seen["training_changed"] and seen["interpolation_changed"]
    assert seen["checkpoints"] == 6
    assert seen["external"] == []
    times = seen["slider_ms"]
    print(f"slider moves: {len(times)}, median {percentile(times, 50):.1f} ms, "
          f"p95 {percentile(times, 95):.1f} ms")  # fmt: skip
    assert len(times) >= 30


def digit_generator(noise_dim: int = 100) -> keras.Model:
    """A stand-in for a well-trained conditional generator: draws one synthetic digit of the
    label asked for (the kind the test classifier learned), plus a small linear trace of the
    noise, so that the sliders still move pixels."""
    images, labels = synthetic_digits(200, seed=3)
    table = np.stack([to_model_range(images[labels == d][:1])[0].reshape(-1) for d in range(10)])
    noise = keras.Input((noise_dim,))
    label = keras.Input((), dtype="int32")
    embedding = keras.layers.Embedding(10, 784)
    trace = keras.layers.Dense(784, use_bias=False)
    out = keras.layers.Add()([embedding(label), trace(noise)])
    model = keras.Model([noise, label], keras.layers.Reshape((28, 28, 1))(out))
    embedding.set_weights([table])
    trace.set_weights([np.random.default_rng(0).normal(0, 0.01, (noise_dim, 784))])
    return model


def test_picking_digit_7_draws_sevens_the_classifier_reads(runs, classifier_bundle, tmp_path):
    engine = make_engine(runs, "cdcgan", classifier_bundle)
    engine.state.generator = digit_generator()
    server = serve(engine)
    browser, tools = open_page(server.url, tmp_path / "profile")
    try:
        assert tools.evaluate("!document.getElementById('digitbox').hidden")
        seen = tools.evaluate("selfTest(5, 7)")
    finally:
        browser.terminate()
        browser.wait(30)
        server.shutdown()
        server.server_close()
    readings = seen["readings"]
    assert len(readings) == 16 and readings.count(7) > len(readings) / 2, readings
    assert seen["slider_changed"]


def measure(url: str, moves: int, screenshot: str | None) -> dict:
    """Open a running explorer at `url`, move its sliders `moves` times, and say how long each
    move took to show its image (BENCHMARKS.md); optionally save a screenshot (docs/)."""
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        browser, tools = open_page(url, Path(profile))
        try:
            seen = tools.evaluate(f"selfTest({moves})")
            if screenshot:
                shot = tools.call(
                    "Page.captureScreenshot", format="png", captureBeyondViewport=True
                )
                Path(screenshot).write_bytes(base64.b64decode(shot["data"]))
        finally:
            browser.terminate()
            browser.wait(30)
    times = seen.pop("slider_ms")
    seen.update(
        moves=len(times),
        median_ms=round(percentile(times, 50), 1),
        p95_ms=round(percentile(times, 95), 1),
        max_ms=round(max(times), 1),
    )
    return seen


if __name__ == "__main__":  # python tests/test_explore_browser.py URL [MOVES] [SCREENSHOT.png]
    import sys

    arguments = sys.argv[1:]
    print(json.dumps(measure(arguments[0], int(arguments[1]) if len(arguments) > 1 else 200,
                             arguments[2] if len(arguments) > 2 else None), indent=2))  # fmt: skip
