"""The digit classifier whose features and outputs the quality metrics are computed on.

The project trains it itself, once per dataset, and saves it under `checkpoints/` as a bundle:
`classifier-<dataset>.keras` (the model), `.json` (how it was trained, its held-out accuracy)
and `.reference.npz` (the held-out real images: metrics compare samples against these, never
against images the classifier was trained on).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic, write_atomic_with
from dcgan_tf.common.progress import ProgressBar
from dcgan_tf.data.sources import has_split, load_split
from dcgan_tf.tutorial.dataset import to_model_range

HELD_OUT_SHARE = 0.4  # of the test split, when it is the only split there is
TRAIN_IMAGES_SEEN = 90_000  # images seen in training: 2 epochs of MNIST train, 15 of 6,000
MAX_EPOCHS = 30  # for tiny data sets
ACCURACY_TARGET = 0.975


def make_classifier_model() -> keras.Sequential:
    """The Keras MNIST convnet recipe (over 99% on full MNIST) with a 128-unit feature layer."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),  # images in [-1, 1], as the generator makes them
            layers.Conv2D(32, 3, activation="relu"),  # (B, 26, 26, 32)
            layers.MaxPooling2D(2),  # (B, 13, 13, 32)
            layers.Conv2D(64, 3, activation="relu"),  # (B, 11, 11, 64)
            layers.MaxPooling2D(2),  # (B, 5, 5, 64)
            layers.Flatten(),  # (B, 1600)
            layers.Dropout(0.5),
            layers.Dense(128, activation="relu", name="features"),  # (B, 128): FID's space
            layers.Dense(10, name="logits"),  # (B, 10)
        ],
        name="classifier",
    )


@dataclass
class Classifier:
    """A trained classifier and the real images held out from its training."""

    model: keras.Model
    reference: np.ndarray  # uint8 (N, 28, 28): held-out real images
    reference_labels: np.ndarray
    info: dict

    @cached_property
    def feature_model(self) -> keras.Model:
        """The classifier with two outputs: its 128-d features and its logits."""
        outputs = [self.model.get_layer("features").output, self.model.get_layer("logits").output]
        return keras.Model(self.model.inputs[0], outputs)

    @cached_property
    def reference_features(self) -> np.ndarray:
        """Features of the held-out real images, computed once (every evaluation needs them)."""
        return self.features_and_probs(to_model_range(self.reference))[0]

    def features_and_probs(
        self, images: np.ndarray, batch_size: int = 500
    ) -> tuple[np.ndarray, np.ndarray]:
        """Penultimate features (N, 128) and class probabilities (N, 10) of images in [-1, 1],
        or of uint8 pixels (N, S, S), scaled a batch at a time (e.g. from a memory map).
        Pictures of another size than 28x28 are resized to it first (area: each pixel the mean
        of those it covers), so numbers at every size compare with the 28x28 tables."""
        features, logits = [], []
        for start in range(0, len(images), batch_size):
            batch = images[start : start + batch_size]
            batch = to_model_range(batch) if batch.dtype == np.uint8 else batch
            f, lg = self.feature_model(at_classifier_size(batch), training=False)
            features.append(np.asarray(f))
            logits.append(np.asarray(lg))
        logits = np.concatenate(logits).astype(np.float64)
        probs = np.exp(logits - logits.max(1, keepdims=True))
        return np.concatenate(features), probs / probs.sum(1, keepdims=True)


class EpochsBar(keras.callbacks.Callback):
    """Keras' fit on the project's progress bar: one line for the whole fit (redrawn in a
    terminal or a notebook), not a line per epoch."""

    def __init__(self, bar: ProgressBar, images_per_epoch: int) -> None:
        super().__init__()
        self.bar, self.images, self.values = bar, images_per_epoch, {}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.values = {name: float(value) for name, value in (logs or {}).items()}
        self.bar.update(epoch + 1, self.images, self.values)

    def on_train_end(self, logs: dict | None = None) -> None:
        self.bar.close(self.bar.total, self.values)


def at_classifier_size(images):
    """Images (N, S, S, 1) in [-1, 1] as the classifier reads them: 28x28, resized when S is
    another size (area: each pixel the mean of those it covers)."""
    if tuple(images.shape[1:3]) == (28, 28):
        return images
    return tf.image.resize(images, (28, 28), method="area")


def classifier_path(checkpoint_dir: str | Path, dataset: str) -> Path:
    return Path(checkpoint_dir) / f"classifier-{dataset}.keras"


def load_or_train_classifier(
    path: str | Path, dataset: str, data_dir: str | None, log=print
) -> Classifier:
    """The saved classifier at `path`; trained and saved there first if there is none.

    The model file is written last, so its presence means the whole bundle is there.
    """
    if dataset == "folder":  # labels all 0: nothing a classifier could learn
        raise UserError(
            "the digit classifier measures mnist and fashion_mnist; a folder's pictures are "
            "measured by Inception-v3 (python -m dcgan_tf.evaluate --dataset folder)"
        )
    if Path(path).exists():
        classifier = load_classifier(path)
        log(f"Classifier {path}: {classifier.info['held_out_accuracy']:.2%} held-out accuracy")
        return classifier
    return train_classifier(dataset, data_dir, path, log=log)


def load_classifier(path: str | Path) -> Classifier:
    """Load a bundle written by `train_classifier`."""
    path = Path(path)
    info_path, reference_path = path.with_suffix(".json"), path.with_suffix(".reference.npz")
    for needed in (path, info_path, reference_path):
        if not needed.exists():
            raise UserError(
                f"{needed}: missing; a classifier bundle is .keras, .json and .reference.npz "
                "(python -m dcgan_tf.evaluate trains one)"
            )
    try:
        with np.load(reference_path) as reference:
            images, labels = reference["images"], reference["labels"]
        info = json.loads(info_path.read_text())
        if "held_out_accuracy" not in info:
            raise KeyError("held_out_accuracy")
        model = keras.models.load_model(path, compile=False)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UserError(f"{path}: not a readable classifier bundle ({err!r})") from None
    return Classifier(model, images, labels, info)


def classifier_data(dataset: str, data_dir: str | None, seed: int) -> tuple[tuple, tuple, str]:
    """(train images, labels), (held-out images, labels) and a description of the split.

    The train split trains it and the test split is held out; with only one of the two at hand
    (offline, say), a seeded 60% of it trains and the other 40% is held out.
    """
    if data_dir is None:
        train = load_split(dataset, "train", data_dir)
        return train, load_split(dataset, "test", data_dir), "train split; test split held out"
    present = [s for s in ("train", "test") if has_split(Path(data_dir), dataset, s)]
    if present == ["train", "test"]:
        train = load_split(dataset, "train", data_dir)
        return train, load_split(dataset, "test", data_dir), "train split; test split held out"
    split = present[0] if present else "test"  # with neither, loading says what is missing
    images, labels = load_split(dataset, split, data_dir)
    order = np.random.default_rng(seed).permutation(len(images))
    cut = round(len(images) * (1 - HELD_OUT_SHARE))
    train, held = order[:cut], order[cut:]
    description = f"{cut} of the {split} split (seed {seed}); the other {len(held)} held out"
    return (images[train], labels[train]), (images[held], labels[held]), description


def train_classifier(
    dataset: str,
    data_dir: str | None,
    path: str | Path,
    seed: int = 0,
    epochs: int | None = None,
    log=print,
) -> Classifier:
    """Train the classifier, report its held-out accuracy, and save the bundle at `path`."""
    (x_train, y_train), (x_held, y_held), description = classifier_data(dataset, data_dir, seed)
    keras.utils.set_random_seed(seed)
    model = make_classifier_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    epochs = epochs or min(MAX_EPOCHS, math.ceil(TRAIN_IMAGES_SEEN / len(x_train)))
    log(f"Training the {dataset} classifier on {description}: {epochs} epoch(s)")
    bar = EpochsBar(ProgressBar(epochs, f"Classifier {dataset}"), len(x_train))
    model.fit(
        to_model_range(x_train), y_train, batch_size=128, epochs=epochs, verbose=0, callbacks=[bar]
    )
    _, accuracy = model.evaluate(to_model_range(x_held), y_held, batch_size=500, verbose=0)
    log(f"Classifier accuracy on the {len(x_held)} held-out images: {accuracy:.4f}")
    if accuracy < ACCURACY_TARGET:
        log(f"Warning: under the {ACCURACY_TARGET:.1%} expected; metrics will be less reliable")
    info = {
        "dataset": dataset,
        "trained_on": description,
        "train_images": len(x_train),
        "epochs": epochs,
        "seed": seed,
        "held_out_images": len(x_held),
        "held_out_accuracy": round(float(accuracy), 5),
    }
    path = Path(path)
    write_atomic(path.with_suffix(".json"), (json.dumps(info, indent=2) + "\n").encode())
    write_atomic_with(
        path.with_suffix(".reference.npz"),
        lambda tmp: np.savez_compressed(tmp, images=x_held, labels=y_held),
    )
    write_atomic_with(path, lambda tmp: model.save(tmp))  # last: it marks the bundle complete
    return Classifier(model, x_held, y_held, info)
