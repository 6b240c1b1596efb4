"""What the explorer's page asks of the run: samples, images of any noise vector, the directions
that change one most, an interpolation, and the same noise through every checkpoint kept.

One `Engine` per server. It holds the run's generator (loaded once), the digit classifier that
reads every image, and the fixed list of the run's checkpoints (`Shot`s, built at start-up and
never from a request: a request names a checkpoint by its index in this list, never by a path).
TensorFlow calls go through one lock; each checkpoint of the training scrubber is loaded once, on
first use (or by `preload` in the background), and kept. The generators and the classifier run as
compiled TensorFlow functions (`compiled`): an eager Keras call costs tens of milliseconds on a
CPU even for one image, which a slider move cannot afford (docs/exploring.md, "Speed").
"""

from __future__ import annotations

import base64
import io
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

from dcgan_tf.common.errors import UserError
from dcgan_tf.evaluation.classifier import at_classifier_size
from dcgan_tf.explorer.directions import EPSILON, top_directions
from dcgan_tf.generator.sampling import draw_noise, lerp, load_run, slerp
from dcgan_tf.run.best import read_best
from dcgan_tf.run.folders import BEST_DIR, KEPT_FOLDER
from dcgan_tf.run.going_back import checkpoint_counters
from dcgan_tf.run.recovery import damage, listed_checkpoints
from dcgan_tf.tutorial.dataset import to_model_range


@dataclass(frozen=True)
class Shot:
    """One checkpoint of the run, as the training scrubber lists it."""

    name: str  # ckpt-3, kept/epoch-0002, best/ckpt-120: relative to the run's folder
    path: str  # the checkpoint's prefix on disk: never sent to nor taken from a request
    epoch: int
    step: int


def training_shots(folder: Path, log: Callable[[str], None] = print) -> list[Shot]:
    """Every checkpoint the run kept, oldest step first: its newest three (ckpt-N), kept/ and
    best/. A damaged one is left out with a warning."""
    paths = list(listed_checkpoints(folder)[0])
    paths += sorted(str(p.with_suffix("")) for p in (folder / KEPT_FOLDER).glob("epoch-*.index"))
    try:
        best = read_best(folder)
    except UserError as err:
        log(f"warning: {err}; the training scrubber leaves best/ out")
        best = None
    if best is not None:
        paths.append(str(folder / BEST_DIR / best["checkpoint"]))
    shots = []
    for path in paths:
        reason = damage(path)
        if reason is not None:
            log(f"warning: the training scrubber leaves {path} out: {reason}")
            continue
        epoch, step = checkpoint_counters(path)
        prefix = Path(path)
        kind = prefix.parent.name
        name = f"{kind}/{prefix.name}" if kind in (KEPT_FOLDER, BEST_DIR) else prefix.name
        shots.append(Shot(name, str(path), epoch, step))
    return sorted(shots, key=lambda s: (s.step, s.name))


def compiled(model, *inputs: tf.TensorSpec) -> Callable:
    """`model` (inference mode) as one TensorFlow graph for any batch size, traced now. (One
    graph per checkpoint of the scrubber: TensorFlow would warn of "retracing", expected here.)"""

    def forward(*args):
        return model(list(args) if len(args) > 1 else args[0], training=False)

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        return tf.function(forward).get_concrete_function(*inputs)
    finally:
        logger.setLevel(level)


def png_data_url(pixels: np.ndarray) -> str:
    """uint8 (S, S, C) -> a data: URL of its PNG (the page enlarges it a whole number of times,
    pixelated, by the `image_size` of `info`: page.html's pictureSizes)."""
    image = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class Engine:
    """The run's generator, its classifier and checkpoints, behind one lock (see the module)."""

    def __init__(self, state, config, path: str, classifier=None, shots=(), loader=None):
        self.state, self.config, self.path = state, config, str(path)
        self.spec, self.noise_dim, self.channels = state.spec, config.noise_dim, config.channels
        self.classifier, self.classify = classifier, None  # classify: its compiled graph
        self.shots = list(shots)
        self.loader = loader or (lambda shot: load_run(Path(shot.path).parent, shot.path)[0])
        self.states: dict[int, object] = {}  # the scrubber's checkpoints, by index in shots
        self.generators: dict[int, tuple[object, Callable]] = {}  # id(state) -> (state, graph)
        self.lock, self.load_lock = threading.Lock(), threading.Lock()

    @property
    def conditional(self) -> bool:
        return self.spec.conditional

    def info(self) -> dict:
        """What the page shows and needs: the model, its noise and the scrubber's checkpoints."""
        return {
            "checkpoint": Path(self.path).name,
            "model": self.spec.name,
            "step": int(self.state.step),
            "epoch": int(self.state.epoch),
            "noise_dim": self.noise_dim,
            "image_size": int(self.config.image_size),  # the page sizes its pictures by it
            "channels": self.channels,
            "noise": "uniform in [-1, 1]" if self.spec.uniform_noise else "standard normal",
            "slider_range": 1.0 if self.spec.uniform_noise else 3.0,
            "conditional": self.conditional,
            "classifier": None if self.classifier is None else self.classifier.info,
            "epsilon": EPSILON,
            "checkpoints": [{"name": s.name, "epoch": s.epoch, "step": s.step} for s in self.shots],
        }

    def draw(self, seed: int, count: int, label: int | None) -> tuple[np.ndarray, list | None]:
        """`count` noise vectors of `seed` (the `sample` command's for the same seed) and their
        digits: `label` for all, or 0-9 in turn, for a conditional model; None otherwise."""
        with self.lock:
            z = draw_noise(self.spec, count, self.noise_dim, seed).numpy()
        if not self.conditional:
            return z, None
        labels = [label if label is not None else i % 10 for i in range(count)]
        return z, labels

    def render(self, z: np.ndarray, labels: list | None, shot: int | None = None) -> list[dict]:
        """The images of noise `z` (N, D) by the run's generator (or checkpoint `shot`), each a
        PNG data URL with what the classifier reads: {"png", "digit", "confidence"}."""
        state = self.state if shot is None else self.shot_state(shot)
        with self.lock:
            output = self.generate(state, z, labels)
            pixels = self.spec.to_pixels(output, self.channels)
            readings = self.read(pixels)
        return [{"png": png_data_url(p), **r} for p, r in zip(pixels, readings, strict=True)]

    def generate(self, state, z: np.ndarray, labels) -> np.ndarray:
        """The generator output (N, ...) of `state` for noise `z` (N, D) (and digits `labels`)."""
        if id(state) not in self.generators:  # the state is kept too: its id stays its own
            spec = [tf.TensorSpec([None, self.noise_dim], tf.float32)]
            spec += [tf.TensorSpec([None], tf.int32)] if self.conditional else []
            self.generators[id(state)] = (state, compiled(state.image_generator, *spec))
        inputs = [tf.constant(z, tf.float32)]
        inputs += [tf.constant(labels, tf.int32)] if self.conditional else []
        return self.generators[id(state)][1](*inputs).numpy()

    def read(self, pixels: np.ndarray) -> list[dict]:
        """What the classifier reads in each image and how sure it is (none without one)."""
        if self.classifier is None or self.channels != 1:
            return [{"digit": None, "confidence": None} for _ in pixels]
        if self.classify is None:
            spec = tf.TensorSpec([None, 28, 28, 1], tf.float32)  # the classifier's own size
            self.classify = compiled(self.classifier.feature_model, spec)
        _, logits = self.classify(at_classifier_size(tf.constant(to_model_range(pixels))))
        probs = tf.nn.softmax(tf.cast(logits, tf.float64)).numpy()
        return [{"digit": int(p.argmax()), "confidence": round(float(p.max()), 4)} for p in probs]

    def directions(self, z: np.ndarray, label: int | None, count: int) -> dict:
        """The `count` directions that change G(z) most (directions.py), with their strengths."""

        def generator_output(points: np.ndarray) -> np.ndarray:
            labels = np.full(len(points), label, np.int32) if self.conditional else None
            return self.generate(self.state, points, labels)

        with self.lock:
            vectors, strengths = top_directions(generator_output, z.astype(np.float32), count)
        return {
            "directions": np.round(vectors, 6).tolist(),
            "strengths": np.round(strengths, 4).tolist(),
        }

    def interpolate(
        self, z0: np.ndarray, z1: np.ndarray, steps: int, method: str, label: int | None
    ) -> list[dict]:
        """`steps` images from G(z0) to G(z1), both included; method 'lerp' or 'slerp'."""
        path = (slerp if method == "slerp" else lerp)(z0.astype(np.float64), z1, steps)
        return self.render(path, None if label is None else [label] * steps)

    def training(self, z: np.ndarray, label: int | None) -> list[dict]:
        """G(z) by every checkpoint of the scrubber, oldest first, each with its name and step."""
        frames = []
        for index, shot in enumerate(self.shots):
            (image,) = self.render(z[None, :], None if label is None else [label], index)
            frames.append({"name": shot.name, "step": shot.step, "epoch": shot.epoch, **image})
        return frames

    def shot_state(self, index: int):
        """The state of checkpoint `index` of the scrubber, loaded on first use and kept."""
        with self.load_lock:
            if index not in self.states:
                shot = self.shots[index]
                same = os.path.realpath(shot.path) == os.path.realpath(self.path)
                self.states[index] = self.state if same else self.loader(shot)
            return self.states[index]

    def preload(self, stop: threading.Event | None = None) -> None:
        """Load every checkpoint of the scrubber (run in the background at start-up); once
        `stop` is set, no further one (Ctrl-C waits for one load at most, not all)."""
        for index in range(len(self.shots)):
            if stop is not None and stop.is_set():
                return
            self.shot_state(index)
