"""A one-line progress bar per epoch: step, losses, images per second and time left.

In a terminal it redraws its line with a carriage return; in a log, one line per epoch; in a
notebook, one output line per epoch rewritten in place (`common/notebook.py`), so the saved
notebook shows each epoch's last line and no carriage-return trail.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from dcgan_tf.common.notebook import LiveLine, in_notebook


class ProgressBar:
    """Redraws one line in a terminal (at most every `min_interval` s); in a log, writes one line
    per epoch at the end, so CI and `nohup` logs stay readable; in a notebook (no `stream`
    given), rewrites one output line in place."""

    def __init__(
        self,
        total: int,
        title: str,
        first_step: int = 0,
        stream: TextIO | None = None,
        min_interval: float = 0.2,
    ) -> None:
        self.total = total
        self.first_step = first_step  # steps already done when the bar starts (a resumed epoch)
        self.title = title
        self.cell = LiveLine(title) if stream is None and in_notebook() else None
        self.stream = stream or sys.stdout
        self.live = self.cell is not None or self.stream.isatty()
        self.min_interval = min_interval
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.images = 0

    def update(self, step: int, batch_images: int, values: dict[str, float]) -> None:
        """Record that step `step` of `total` is done, on a batch of `batch_images` images."""
        self.images += batch_images
        now = time.perf_counter()
        if self.live and (now - self.last_draw >= self.min_interval or step == self.total):
            self.last_draw = now
            self.draw(self.line(step, values, now))

    def close(self, step: int, values: dict[str, float]) -> None:
        """End the bar's line."""
        line = self.line(step, values, time.perf_counter())
        if self.cell is not None:
            self.cell.update(line)
            return
        self.stream.write(("\r" + line if self.live else line) + "\n")
        self.stream.flush()

    def draw(self, line: str) -> None:
        """Show `line` in place of the one before."""
        if self.cell is not None:
            self.cell.update(line)
            return
        self.stream.write("\r" + line)
        self.stream.flush()

    def line(self, step: int, values: dict[str, float], now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        done = step / self.total if self.total else 1.0
        bar = ("#" * int(20 * done)).ljust(20, ".")
        rate = self.images / elapsed
        done_here = step - self.first_step
        eta = elapsed / done_here * (self.total - step) if done_here else float("nan")
        losses = " ".join(f"{name} {value:.4f}" for name, value in values.items())
        return (
            f"{self.title} [{bar}] {step}/{self.total} {losses} "
            f"{rate:.0f} img/s ETA {format_seconds(eta)}"
        )


def format_seconds(seconds: float) -> str:
    """1h02m03s / 2m03s / 3s; '?' before anything is known."""
    if seconds != seconds:  # NaN
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
