"""Headless Chromium driven over its DevTools protocol: the explorer's browser tests and its
benchmark (tools/explore_bench.py) open a page with `open_page` and run JavaScript in it with
`DevTools.evaluate`. A few lines of WebSocket (RFC 6455, text frames only): no new dependency.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse


class ProtocolError(RuntimeError):
    """DevTools refused a call (e.g. the page's context went away while it loaded)."""


class PageError(RuntimeError):
    """The page threw, showed an error, or never became ready."""


def find_chromium() -> str | None:
    """The Chromium on the PATH (Debian's `chromium`, Ubuntu's `chromium-browser`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


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
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ProtocolError(f"DevTools refused the WebSocket: {head[:200]!r}")
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
                    raise ProtocolError(message["error"])
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
            raise PageError(str(result["exceptionDetails"])[:2000])
        return result["result"].get("value")


@contextmanager
def open_page(url: str, profile: Path) -> Iterator[DevTools]:
    """Chromium showing `url` once its script has set `window.ready`: the page's DevTools. The
    browser (its whole process group) is stopped on the way out, whatever happened."""
    browser = subprocess.Popen(
        [find_chromium() or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1280,1500",
         "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its helpers in one group: stopped together, none left over
    )  # fmt: skip
    try:
        tools = DevTools(page_socket(browser))
        tools.call("Page.navigate", url=url)
        wait_until_ready(tools, seconds=120)
        yield tools
    finally:
        stop(browser)


def page_socket(browser: subprocess.Popen) -> str:
    """The DevTools WebSocket of the browser's one page (its port from the line it prints)."""
    for line in browser.stderr:
        found = re.search(r"DevTools listening on ws://([^/]+)/", line)
        if found:
            break
    else:
        raise PageError("chromium never opened its DevTools port")
    threading.Thread(target=browser.stderr.read, daemon=True).start()  # never let it block
    with urllib.request.urlopen(f"http://{found.group(1)}/json/list", timeout=30) as answer:
        (page,) = [p for p in json.load(answer) if p["type"] == "page"]
    return page["webSocketDebuggerUrl"]


def wait_until_ready(tools: DevTools, seconds: float) -> None:
    """Until the page's script says it is ready; its error line, if it shows one, fails fast.
    (While the page loads, an evaluation may land in a context the navigation destroys.)"""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = tools.evaluate(
                "({ready: window.ready === true,"
                " error: (document.getElementById('error') || {}).textContent || ''})"
            )
        except ProtocolError:  # the context went away mid-call: the page is still loading
            state = None
        if state and state["ready"]:
            return
        if state and state["error"]:
            raise PageError(f"the page shows an error: {state['error']}")
        time.sleep(0.1)
    raise PageError(f"the page was not ready within {seconds} s")


def stop(browser: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(browser.pid, sig)
            browser.wait(15)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def screenshot(tools: DevTools, path: str | Path) -> None:
    """The whole page as a PNG at `path`."""
    shot = tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    Path(path).write_bytes(base64.b64decode(shot["data"]))
