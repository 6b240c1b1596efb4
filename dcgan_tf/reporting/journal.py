"""The run's journal, OUT/journal.json: when each part of the run ran, and each epoch's time.

A run may be stopped and resumed many times. The journal keeps one segment per start (when it
started and last saved, its first and last step, device and data, whether it completed) and
one row per epoch (its last step and wall time). It is written at each checkpoint, never per
step, so it holds what the checkpoint holds. When the run completes, the hook writes the run
report (dcgan_tf.report).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from dcgan_tf.common.errors import DamagedFile
from dcgan_tf.common.files import set_aside, write_atomic
from dcgan_tf.reporting.page import write_report
from dcgan_tf.reporting.records import JOURNAL, read_journal
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState


def now_text() -> str:
    """The current UTC time, to the second: 2026-11-25T18:46:10Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RunJournal(Hook):
    """Appends this run's segment and epochs to OUT/journal.json; writes OUT/report.html at
    the end of the run."""

    def __init__(
        self,
        out: str | Path,
        device: str = "",
        data: str = "",
        log: Callable[[str], None] = print,
    ) -> None:
        self.out, self.device, self.data, self.log = Path(out), device, data, log
        self.journal: dict = {}
        self.segment: dict = {}
        self.epoch_start = 0.0
        self.resumed_midway = False  # the first epoch of this segment started before it

    def on_train_begin(self, state: GanState) -> None:
        try:
            self.journal = read_journal(self.out)
        except DamagedFile as damaged:  # a record of the run, never in the way of training it
            set_aside(damaged.path, damaged.why, self.log, "started a new one")
            self.journal = {"segments": [], "epochs": []}
        # Epochs past the checkpoint (a run sent back to an older one) are trained again.
        done = int(state.epoch)
        self.journal["epochs"] = [row for row in self.journal["epochs"] if row["epoch"] <= done]
        step = int(state.step)
        self.segment = {
            "started": now_text(),
            "ended": now_text(),
            "first_step": step,
            "last_step": step,
            "device": self.device,
            "data": self.data,
            "completed": False,
        }
        self.journal["segments"].append(self.segment)
        self.epoch_start = time.time()
        self.resumed_midway = int(state.epoch_step) > 0

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        now = time.time()
        row = {"epoch": epoch, "step": int(state.step), "seconds": round(now - self.epoch_start, 2)}
        if self.resumed_midway:  # only the part after the resume was timed
            row["partial"] = True
            self.resumed_midway = False
        self.journal["epochs"].append(row)
        self.epoch_start = now

    def on_checkpoint(self, state: GanState) -> None:
        self.save(state)

    def on_train_end(self, state: GanState) -> None:
        self.segment["completed"] = True
        if int(state.step) == self.segment["first_step"]:  # a finished run rerun: nothing ran
            self.journal["segments"].remove(self.segment)
        self.save(state)
        self.log(f"Wrote {self.write_report()}")

    def write_report(self) -> Path:
        """OUT/report.html; a damaged quality.csv or metrics.json is moved aside, not shown."""
        while True:
            try:
                return write_report(self.out)
            except DamagedFile as damaged:  # each one moved once: the loop ends
                set_aside(damaged.path, damaged.why, self.log, "wrote the report without it")

    def save(self, state: GanState) -> None:
        self.segment["ended"] = now_text()
        self.segment["last_step"] = int(state.step)
        text = json.dumps(self.journal, indent=1) + "\n"
        write_atomic(self.out / JOURNAL, text.encode())
