"""`--until-fid X`: end the run at the first measurement of `--eval-every` at or below FID X.

Ask for "good digits" instead of a number of epochs: `--epochs` (or `--steps`) becomes the most
the run may take. The run ends as a finished one does (checkpoint, loss plot, GIF), and the
best checkpoint (`run/best.py`) holds the measured generator.
"""

from __future__ import annotations

from collections.abc import Callable

from dcgan_tf.evaluation.measure import QualityHook
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState


class UntilFid(Hook):
    """Asks the loop to stop (`stop_requested`) once `quality` has measured FID <= `target`.
    Listed after `quality`, so that it reads the measurement of the same epoch."""

    def __init__(
        self, quality: QualityHook, target: float, log: Callable[[str], None] = print
    ) -> None:
        self.quality, self.target, self.log = quality, target, log

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        if self.quality.latest is None or self.quality.latest[0] != epoch:
            return  # not measured this epoch
        fid = self.quality.latest[2]["fid"]
        if fid <= self.target:
            self.stop_requested = True
            self.log(
                f"FID {fid:.2f} after epoch {epoch} (step {int(state.step)}) is at or below "
                f"--until-fid {self.target:g}: the run ends here"
            )
