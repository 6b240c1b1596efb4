"""Headless Chromium driven by Selenium through Debian's `chromedriver` (apt: `chromium` and
`chromium-driver`, one source package, so the driver always matches the browser): the explorer's
browser tests and its benchmark (tools/explore_bench.py) open its page with `open_page`, the
report's test any page with `headless_chromium`. Selenium Manager is never asked: the driver and
the browser are named here, so nothing is downloaded. docs/exploring.md says why Selenium.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.wait import WebDriverWait

# What Chromium does besides showing the page: nothing (no updates, no first-run pages).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--window-size=1280,1500")  # fmt: skip


class PageError(RuntimeError):
    """The page showed an error or never became ready."""


def find_chromium() -> str | None:
    """The Chromium on the PATH (Debian's `chromium`, Ubuntu's `chromium-browser`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """The apt command that installs what this machine lacks to drive Chromium, or None."""
    lacking = [
        package
        for package, found in (("chromium", find_chromium()), ("chromium-driver", chromedriver()))
        if found is None
    ]
    return f"apt-get install -y {' '.join(lacking)}" if lacking else None


def chromedriver() -> str | None:
    return shutil.which("chromedriver")


@contextmanager
def headless_chromium(profile: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium (its profile in `profile`) as Selenium's driver. chromedriver and
    every process it starts run in a session of their own: all stopped on the way out."""
    options = webdriver.ChromeOptions()
    options.binary_location = find_chromium() or "chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    service = Service(
        executable_path=chromedriver() or "chromedriver", popen_kw={"start_new_session": True}
    )
    try:
        driver = webdriver.Chrome(options=options, service=service)
        try:
            driver.set_script_timeout(180)
            yield driver
        finally:
            driver.quit()
    finally:
        stop(service)


def stop(service: Service) -> None:
    """chromedriver's whole process group (the browser's helpers too), if it still runs."""
    process = getattr(service, "process", None)  # set once chromedriver started
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait(15)


@contextmanager
def open_page(url: str, profile: Path) -> Iterator[webdriver.Chrome]:
    """Chromium showing the explorer's page at `url` once its script has set `window.ready`."""
    with headless_chromium(profile) as driver:
        driver.get(url)
        wait_until_ready(driver, seconds=120)
        yield driver


def wait_until_ready(driver: webdriver.Chrome, seconds: float) -> None:
    """Until the page's script says it is ready; its error line, if it shows one, fails fast."""

    def ready(driver: webdriver.Chrome) -> bool:
        state = driver.execute_script(
            "return {ready: window.ready === true,"
            " error: (document.getElementById('error') || {}).textContent || ''}"
        )
        if state["error"] and not state["ready"]:
            raise PageError(f"the page shows an error: {state['error']}")
        return state["ready"]

    try:
        WebDriverWait(driver, seconds, poll_frequency=0.1).until(ready)
    except TimeoutException:
        raise PageError(f"the page was not ready within {seconds} s") from None


def screenshot(driver: webdriver.Chrome, path: str | Path) -> None:
    """The whole page (beyond the window too) as a PNG at `path`."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    Path(path).write_bytes(base64.b64decode(shot["data"]))
