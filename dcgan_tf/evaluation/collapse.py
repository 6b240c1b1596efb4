"""A one-line warning when a run looks like it is collapsing; the run goes on.

A listener of `evaluation.QualityHook`: after each measurement it warns when one digit is more
than half of the samples (mode collapse: the classifier reads most samples as that digit; digits
only), or
when FID has risen to at least twice the best this run has measured (a run falling apart).
Users lose days to a run that collapsed at epoch 20 and was never looked at.

Each warning is one line when its condition starts, not one per measurement while it lasts:
early in a run the generator draws blobs that the classifier reads as one digit for many
measurements in a row, and one line says that as well as twenty.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dcgan_tf.run.state import GanState

ONE_DIGIT_SHARE = 0.5  # above this, one digit dominates the samples
FID_RISE = 2.0  # FID at or above this multiple of its best


class CollapseWarning:
    def __init__(self, log: Callable[[str], None] = print) -> None:
        self.log = log
        self.best_fid: float | None = None
        self.best_step = 0
        self.one_digit = self.fid_risen = False  # what the previous measurement warned about

    def on_quality(self, epoch: int, state: GanState, metrics: dict) -> None:
        step, fid = int(state.step), float(metrics["fid"])
        histogram = np.asarray(metrics.get("class_histogram", [0.0]))  # none for pictures
        digit = int(histogram.argmax())
        one_digit = bool(histogram[digit] > ONE_DIGIT_SHARE)
        if one_digit and not self.one_digit:
            self.log(
                f"Warning: step {step} (epoch {epoch}): digit {digit} is {histogram[digit]:.0%} "
                "of the samples, more than half: the generator may be collapsing (training goes on)"
            )
        fid_risen = self.best_fid is not None and fid >= FID_RISE * self.best_fid
        if fid_risen and not self.fid_risen:
            self.log(
                f"Warning: step {step} (epoch {epoch}): FID {fid:.1f} is at least twice its best "
                f"({self.best_fid:.1f} at step {self.best_step}) (training goes on)"
            )
        self.one_digit, self.fid_risen = one_digit, fid_risen
        if self.best_fid is None or fid < self.best_fid:
            self.best_fid, self.best_step = fid, step
