"""Evaluating any generator the project trains, through one small interface: `Sampler`.

A model plugs in by giving `sample(num, seed) -> Samples`; conditional models also say which label
each sample was drawn for, and get per-label accuracy on top.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from dcgan_tf.common.errors import gist
from dcgan_tf.common.files import set_aside, write_atomic
from dcgan_tf.common.plots import plot_series
from dcgan_tf.evaluation.classifier import Classifier
from dcgan_tf.evaluation.metrics import (
    class_histogram,
    classifier_score,
    fid,
    kl_from_uniform,
    precision_recall_coverage,
    rare_classes,
)
from dcgan_tf.generator.sampling import draw_noise, generate_pixels
from dcgan_tf.models.specs import NUM_CLASSES
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState
from dcgan_tf.tutorial.dataset import to_model_range


@dataclass
class Samples:
    images: np.ndarray  # float32 (N, S, S, 1) in [-1, 1], or uint8 pixels (N, S, S[, C])
    labels: np.ndarray | None = None  # the label each sample was drawn for (conditional models)


class Sampler(Protocol):
    def sample(self, num: int, seed: int) -> Samples: ...


@dataclass
class GeneratorSampler:
    """Any model of `models.specs.MODEL_SPECS`: noise of its kind in, images out (gray: floats
    in [-1, 1]; colour: uint8 pixels, a quarter of the memory). A conditional model draws the
    digits 0 to 9 in turn and says so."""

    state: GanState
    channels: int = 1

    def sample(self, num: int, seed: int) -> Samples:
        spec = self.state.spec
        noise = draw_noise(spec, num, self.state.generator.inputs[0].shape[1], seed)
        labels = np.arange(num) % NUM_CLASSES if spec.conditional else None
        pixels = generate_pixels(self.state, noise, labels, self.channels)
        if self.channels != 1:
            return Samples(pixels, labels)
        return Samples(to_model_range(pixels[..., 0]), labels)


def evaluate_samples(
    samples: Samples, classifier: Classifier, real: np.ndarray | None = None
) -> dict:
    """Every metric of `samples` against `real` uint8 images; by default the classifier's
    held-out set, whose features are computed once per classifier."""
    if real is None:
        real, real_features = classifier.reference, classifier.reference_features
    else:
        real_features, _ = classifier.features_and_probs(to_model_range(real))
    features, probs = classifier.features_and_probs(samples.images)
    histogram = class_histogram(probs)
    metrics = {
        "num_samples": len(samples.images),
        "num_real": len(real),
        "fid": fid(features, real_features),
        "classifier_score": classifier_score(probs),
        "kl_from_uniform": kl_from_uniform(histogram),
        "rare_classes": rare_classes(histogram),
        **precision_recall_coverage(real_features, features, k=3),
        "class_histogram": [round(float(h), 5) for h in histogram],
    }
    if samples.labels is not None:
        predicted = probs.argmax(1)
        metrics["per_label_accuracy"] = {
            int(k): float((predicted[samples.labels == k] == k).mean())
            for k in np.unique(samples.labels)
        }
    return metrics


def real_data_metrics(classifier: Classifier, seed: int = 0) -> dict:
    """The same metrics for real data: one half of the held-out set against the other half.

    The floor a perfect generator would reach with this many images (FID shrinks with N).
    """
    order = np.random.default_rng(seed).permutation(len(classifier.reference))
    half = len(order) // 2
    images = to_model_range(classifier.reference[order[:half]])
    return evaluate_samples(Samples(images), classifier, classifier.reference[order[half:]])


DIGIT_COLUMNS = ("fid", "classifier_score")  # quality.csv's measures, after epoch and step
SERIES_TITLES = {"fid": "FID", "classifier_score": "classifier score", "kid": "KID"}


class QualityLog:
    """The measures (`columns`: FID and classifier score for digits) against training time:
    `quality.csv` and `quality.png`."""

    def __init__(self, directory: str | Path, columns: Sequence[str] = DIGIT_COLUMNS) -> None:
        self.directory, self.columns = Path(directory), tuple(columns)
        self.rows: list[tuple] | None = None  # (epoch, step, *measures), read at the first record

    def load(self) -> list[tuple]:
        """The rows already in quality.csv (after --fresh has moved an old one aside)."""
        path = self.directory / "quality.csv"
        if not path.exists():
            return []
        try:
            with path.open(newline="") as f:
                return [
                    (int(r["epoch"]), int(r["step"]), *(float(r[c]) for c in self.columns))
                    for r in csv.DictReader(f)
                ]
        except (OSError, ValueError, KeyError, TypeError, csv.Error) as err:  # a side file:
            set_aside(path, f"not a quality history ({gist(err)})", print, "started a new one")
            return []

    def record(self, epoch: int, step: int, metrics: dict) -> None:
        # Rows from this epoch on were written by a run killed before its checkpoint: redone.
        rows = self.load() if self.rows is None else self.rows
        self.rows = [row for row in rows if row[0] < epoch]
        self.rows.append((epoch, step, *(metrics[c] for c in self.columns)))
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(("epoch", "step", *self.columns))
        writer.writerows((e, s, *(f"{v:.{self.digits(v)}f}" for v in m)) for e, s, *m in self.rows)
        write_atomic(self.directory / "quality.csv", text.getvalue().encode())
        steps = [row[1] for row in self.rows]
        series = {
            SERIES_TITLES[c]: [row[2 + i] for row in self.rows]
            for i, c in enumerate(self.columns)
            if c in SERIES_TITLES  # a spread (kid_std) is in the CSV, not a plot of its own
        }
        plot_series(steps, series, self.directory / "quality.png")

    @staticmethod
    def digits(value: float) -> int:
        """Decimals a value is written with: 4, more for a small one (KID is about 1e-3)."""
        return 4 if abs(value) >= 0.1 or value == 0 else 7


def measure_generator(state: GanState, classifier: Classifier, num: int, seed: int) -> dict:
    """Every metric of `num` samples (noise drawn from `seed`) of the state's generator."""
    return evaluate_samples(GeneratorSampler(state).sample(num, seed), classifier)


class Yardstick(Protocol):
    """What `QualityHook` measures with: the digit classifier (`DigitYardstick`), or Inception
    for other pictures (`picture_quality.PictureYardstick`)."""

    columns: tuple[str, ...]  # the measures quality.csv keeps

    def measure(self, state: GanState, num: int, seed: int) -> dict: ...

    def describe(self, metrics: dict) -> str: ...


@dataclass
class DigitYardstick:
    """FID and classifier score in the digit classifier's features and outputs."""

    classifier: Classifier
    columns: tuple[str, ...] = DIGIT_COLUMNS

    def measure(self, state: GanState, num: int, seed: int) -> dict:
        return measure_generator(state, self.classifier, num, seed)

    def describe(self, metrics: dict) -> str:
        return f"FID {metrics['fid']:.3f}, classifier score {metrics['classifier_score']:.3f}"


class QualityListener(Protocol):
    """Told each measurement of `QualityHook`: the best checkpoint, the collapse warning."""

    def on_quality(self, epoch: int, state: GanState, metrics: dict) -> None: ...


class QualityHook(Hook):
    """--eval-every: every `every` epochs and at the end of training, the measures of `num`
    samples (FID and classifier score by a digit classifier, or the FID and KID of a
    `Yardstick`) into `quality.csv` and `quality.png`; then each of `listeners` gets the
    metrics, and `latest` holds them as (epoch, step, metrics) for other hooks (the TensorBoard
    summaries)."""

    def __init__(
        self,
        classifier: Classifier | Yardstick,
        out: str | Path,
        every: int,
        num: int,
        seed: int,
        log: Callable[[str], None] = print,
        listeners: Sequence[QualityListener] = (),
    ) -> None:
        digits = isinstance(classifier, Classifier)
        self.yardstick = DigitYardstick(classifier) if digits else classifier
        self.quality = QualityLog(out, self.yardstick.columns)
        self.every, self.num, self.seed, self.log = every, num, seed, log
        self.listeners = list(listeners)
        self.latest: tuple[int, int, dict] | None = None
        self.last_epoch = 0  # of the last step this run trained (0: none yet)

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        self.last_epoch = epoch

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        if epoch % self.every == 0:
            self.measure(epoch, state)

    def on_train_end(self, state: GanState) -> None:
        measured_end = self.latest is not None and self.latest[1] == int(state.step)
        if self.last_epoch and not measured_end:  # trained past the last measurement
            self.measure(self.last_epoch, state)

    def measure(self, epoch: int, state: GanState) -> None:
        start = time.time()
        metrics = self.yardstick.measure(state, self.num, self.seed)
        self.quality.record(epoch, int(state.step), metrics)
        seconds = time.time() - start
        described = self.yardstick.describe(metrics)
        self.log(f"Quality after epoch {epoch}: {described} ({self.num} samples, {seconds:.1f} s)")
        self.latest = (epoch, int(state.step), metrics)
        for listener in self.listeners:
            listener.on_quality(epoch, state, metrics)
