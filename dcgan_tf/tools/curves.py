"""`make recipes`' record of a run: each quality measurement with the training time before it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState

RAW_GENERATOR = " (raw generator)"  # ends the label of an EMA run's raw-generator curve


def curve_point(epoch: int, state: GanState, metrics: dict, train_seconds: float | None) -> dict:
    """One measurement as curves.json keeps it (train_seconds None: measured after training)."""
    histogram = metrics["class_histogram"]
    return {
        "step": int(state.step),
        "epoch": epoch,
        "train_seconds": None if train_seconds is None else round(train_seconds, 1),
        "fid": round(metrics["fid"], 3),
        "classifier_score": round(metrics["classifier_score"], 3),
        "digits_under_5": metrics["rare_classes"],
        "max_share": round(max(histogram), 4),
        "min_share": round(min(histogram), 4),
        "recall": round(metrics["recall"], 3),
        "coverage": round(metrics["coverage"], 3),
    }


class Curve(Hook):
    """A hook and a listener of the QualityHook: each measurement with the training time before
    it (up to the last train step), measuring time left out."""

    def __init__(self, record: dict, save: Callable[[], None]) -> None:
        self.record, self.save = record, save
        self.start = self.last_step = time.time()
        self.measuring = 0.0  # seconds spent measuring so far

    def train_seconds(self) -> float:
        """Training time up to the last step, measurements left out."""
        return self.last_step - self.start - self.measuring

    def on_train_begin(self, state: GanState) -> None:
        self.start = self.last_step = time.time()

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        self.last_step = time.time()

    def on_quality(self, epoch: int, state: GanState, metrics: dict) -> None:
        self.record["points"].append(curve_point(epoch, state, metrics, self.train_seconds()))
        self.measuring += time.time() - self.last_step  # listeners before this one count too
        self.save()


class RawGeneratorCurve:
    """In a run with --ema-decay, the same measurement of the raw generator (the one training
    updates), so one run shows what the moving average adds. A QualityHook listener placed
    before the run's Curve, whose clock leaves this measuring time out."""

    def __init__(self, clock: Curve, record: dict, measure: Callable[[GanState], dict]) -> None:
        self.clock, self.record, self.measure = clock, record, measure

    def on_quality(self, epoch: int, state: GanState, metrics: dict) -> None:
        raw = self.measure(dataclasses.replace(state, generator_ema=None))
        self.record["points"].append(curve_point(epoch, state, raw, self.clock.train_seconds()))
