"""Inception-v3's 2048-d pool features: the space the standard FID and KID are measured in.

`keras.applications.InceptionV3(include_top=False, pooling="avg")` with ImageNet's weights,
the features the FID of Heusel et al. and the KID of Binkowski et al. use. Each picture is
resized to 299x299 bilinearly (TF-GAN's `resize_bilinear`; clean-fid resizes with PIL's bicubic
instead), gray repeated to 3 channels, and scaled to [-1, 1] by
`keras.applications.inception_v3.preprocess_input`.

The weights (87 MB) are read from `--inception-weights` (the file, or a folder holding it), else
from Keras' cache (`~/.keras/models/`, or `$KERAS_HOME/models/`), where Keras downloads them once
when the machine is online. Offline and missing, `InceptionUnavailable` says in one line which
file to put where, within seconds (no download is tried when its host does not answer).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dcgan_tf.common.errors import UserError, gist
from dcgan_tf.data.sources import can_connect

WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_URL = (
    f"https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/{WEIGHTS_FILE}"
)
WEIGHTS_HOST = "storage.googleapis.com"
INPUT_SIZE = 299
FEATURES = 2048
BATCH_SIZE = 25  # pictures per Inception call: about 1 GB of activations at 299x299 on a CPU


class InceptionUnavailable(UserError):
    """Inception's weights are not on this machine and cannot be fetched (one line)."""


def keras_models_folder() -> Path:
    """Where Keras keeps the weights it downloads: $KERAS_HOME/models, else ~/.keras/models."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models"


def missing_line(folder: Path, why: str = "") -> str:
    return (
        f"Inception-v3 weights missing{why}: put {WEIGHTS_FILE} ({WEIGHTS_URL}) into {folder}/ "
        "(or name the file or its folder with --inception-weights); FID and KID are not measured"
    )


def locate_weights(given: str | Path | None = None) -> str:
    """The weights file to load: `given` (a file, or a folder holding WEIGHTS_FILE), else Keras'
    cached copy, else "imagenet" (Keras downloads it) when the host answers within seconds."""
    if given is not None:
        path = Path(given)
        path = path / WEIGHTS_FILE if path.is_dir() else path
        if not path.is_file():
            raise InceptionUnavailable(missing_line(path.parent))
        return str(path)
    cached = keras_models_folder() / WEIGHTS_FILE
    if cached.is_file():
        return str(cached)
    if not can_connect(WEIGHTS_HOST):  # urllib would wait on the network far longer
        raise InceptionUnavailable(
            missing_line(keras_models_folder(), f" ({WEIGHTS_HOST} unreachable)")
        )
    return "imagenet"


def load_inception(given: str | Path | None = None) -> keras.Model:
    """InceptionV3 without its top, average-pooled: (B, 299, 299, 3) in [-1, 1] -> (B, 2048)."""
    weights = locate_weights(given)
    try:
        return keras.applications.InceptionV3(
            include_top=False,
            pooling="avg",
            weights=weights,
            input_shape=(INPUT_SIZE, INPUT_SIZE, 3),
        )
    except Exception as err:  # a download cut off; a file of other weights
        if weights == "imagenet":
            folder = keras_models_folder()
            failed = f" (download failed: {gist(err)})"
            raise InceptionUnavailable(missing_line(folder, failed)) from None
        raise InceptionUnavailable(
            f"{weights}: not Inception-v3's no-top weights ({gist(err)}); FID and KID are not "
            "measured"
        ) from None


def as_pixels(batch: np.ndarray) -> np.ndarray:
    """float32 pixels 0..255 (B, S, S, 3) of uint8 pictures (B, S, S[, C]), or of the
    generator's floats in [-1, 1]; gray repeated to 3 channels."""
    pixels = np.asarray(batch, np.float32)
    if np.asarray(batch).dtype != np.uint8:
        pixels = (pixels + 1.0) * 127.5
    pixels = pixels[..., np.newaxis] if pixels.ndim == 3 else pixels
    return np.repeat(pixels, 3, axis=-1) if pixels.shape[-1] == 1 else pixels


class InceptionFeatures:
    """Pictures of any size, gray or colour, to Inception-v3's pool features (N, 2048)."""

    def __init__(self, model: keras.Model, batch_size: int = BATCH_SIZE) -> None:
        self.model, self.batch_size = model, batch_size
        # One graph for every batch and picture size: Inception is traced once.
        signature = [tf.TensorSpec([None, None, None, 3], tf.float32)]
        self.embed = tf.function(self.embed_pixels, input_signature=signature)

    def embed_pixels(self, pixels: tf.Tensor) -> tf.Tensor:
        """float32 pixels 0..255 (B, S, S, 3) -> features (B, 2048)."""
        resized = tf.image.resize(pixels, (INPUT_SIZE, INPUT_SIZE), method="bilinear")
        scaled = keras.applications.inception_v3.preprocess_input(resized)  # x / 127.5 - 1
        return self.model(scaled, training=False)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """Features (N, 2048) float32 of uint8 pictures (N, S, S[, C]) or floats in [-1, 1],
        a batch at a time (a memory map is read a batch at a time too)."""
        features = [
            np.asarray(self.embed(tf.constant(as_pixels(images[start : start + self.batch_size]))))
            for start in range(0, len(images), self.batch_size)
        ]
        return np.concatenate(features) if features else np.empty((0, FEATURES), np.float32)
