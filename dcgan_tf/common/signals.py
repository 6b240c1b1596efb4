"""Stop requests: Ctrl-C (SIGINT) and SIGTERM, the signal `kill`, Docker, Kubernetes and Slurm
send before they stop a job, both become a request the training loop honours between steps.

The loop finishes the running step, saves a checkpoint and exits with `exit_code` (130 for Ctrl-C,
143 for SIGTERM: 128 + the signal's number, as a shell reports a process the signal ended).
A second Ctrl-C quits at once; a repeated SIGTERM is ignored, so that a save in progress is not
cut short (schedulers follow up with SIGKILL anyway, which the checkpoints survive).
"""

from __future__ import annotations

import signal
import sys

SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class TrainingInterrupted(Exception):
    """Ctrl-C or SIGTERM: the run was saved where it stopped; rerunning the same command resumes
    it. `exit_code` is 130 for Ctrl-C, 143 for SIGTERM. (Here, below TensorFlow: a command can
    catch it before TensorFlow loads; `training/loop.py` raises it.)"""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class StopOnSignals:
    """Within the block, SIGINT and SIGTERM set `requested` instead of ending the process."""

    def __init__(self) -> None:
        self.requested: int | None = None  # the signal number of the first request
        self.previous: dict[int, object] = {}

    def __enter__(self) -> StopOnSignals:
        for signum in SIGNAL_NAMES:
            try:
                self.previous[signum] = signal.signal(signum, self.handle)
            except ValueError:  # not the main thread: leave the signals alone
                break
        return self

    @property
    def name(self) -> str:
        """How the request came: 'Ctrl-C' or 'SIGTERM'."""
        return SIGNAL_NAMES.get(self.requested, "a signal")

    @property
    def exit_code(self) -> int:
        """The exit status for the request: 128 + the signal's number."""
        return 128 + int(self.requested or signal.SIGINT)

    def handle(self, signum: int, frame: object) -> None:
        if self.requested:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            return
        self.requested = signum
        how = "press again to quit at once" if signum == signal.SIGINT else "then exit"
        print(f"\n{SIGNAL_NAMES[signum]}: saving after this step ({how})", file=sys.stderr)
        sys.stderr.flush()

    def __exit__(self, *exc: object) -> None:
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        self.previous = {}
