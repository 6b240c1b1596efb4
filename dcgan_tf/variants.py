"""The other GANs of the course material, each a pair of builders and a description of its inputs.

`MODEL_SPECS[name]` is all the training loop, checkpoints, images and samplers need to know about
a model; the tutorial's DCGAN is `MODEL_SPECS["dcgan"]` and stays the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from dcgan_tf import course_models
from dcgan_tf.data import to_model_range
from dcgan_tf.models import make_discriminator_model, make_generator_model

NUM_CLASSES = 10


def make_conditional_generator(noise_dim: int = 100, channels: int = 1) -> keras.Model:
    """(noise (B, noise_dim), label (B,)) -> image (B, 28, 28, channels) in [-1, 1].

    The tutorial's generator with the one-hot label joined to the noise.
    """
    noise = keras.Input(shape=(noise_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    one_hot = layers.CategoryEncoding(NUM_CLASSES, output_mode="one_hot")(label)  # (B, 10)
    joined = layers.Concatenate()([noise, one_hot])  # (B, noise_dim + 10)
    body = make_generator_model(noise_dim + NUM_CLASSES, channels)
    return keras.Model([noise, label], body(joined), name="conditional_generator")


def make_conditional_discriminator(channels: int = 1) -> keras.Model:
    """(image (B, 28, 28, channels), label (B,)) -> one logit (B, 1).

    The label's learned 28x28 embedding is joined to the image as one more channel.
    """
    image = keras.Input(shape=(28, 28, channels), name="image")
    label = keras.Input(shape=(), dtype="int32", name="label")
    plane = layers.Embedding(NUM_CLASSES, 28 * 28)(label)  # (B, 784)
    plane = layers.Reshape((28, 28, 1))(plane)  # (B, 28, 28, 1)
    joined = layers.Concatenate()([image, plane])  # (B, 28, 28, channels + 1)
    body = make_discriminator_model(channels + 1)
    return keras.Model([image, label], body(joined), name="conditional_discriminator")


def make_mlp_generator(noise_dim: int = 100, channels: int = 1) -> keras.Sequential:
    """The one-hidden-layer GAN's generator: noise -> 128 ReLU -> 784 sigmoid pixels in [0, 1]."""
    return keras.Sequential(
        [
            keras.Input(shape=(noise_dim,)),
            layers.Dense(128, activation="relu", kernel_initializer="glorot_normal"),  # (B, 128)
            layers.Dense(
                28 * 28 * channels, activation="sigmoid", kernel_initializer="glorot_normal"
            ),  # (B, 784 * channels)
        ],
        name="mlp_generator",
    )


def make_mlp_discriminator(channels: int = 1) -> keras.Sequential:
    """The one-hidden-layer GAN's discriminator: 784 pixels -> 128 ReLU -> one logit."""
    return keras.Sequential(
        [
            keras.Input(shape=(28 * 28 * channels,)),
            layers.Dense(128, activation="relu", kernel_initializer="glorot_normal"),  # (B, 128)
            layers.Dense(1, kernel_initializer="glorot_normal"),  # (B, 1)
        ],
        name="mlp_discriminator",
    )


@dataclass(frozen=True)
class ModelSpec:
    """A model: its two builders and the form of its inputs and outputs."""

    name: str
    make_generator: Callable[[int, int], keras.Model]  # (noise_dim, channels)
    make_discriminator: Callable[[int], keras.Model]  # (channels)
    conditional: bool = False  # both nets also take the digit label
    uniform_noise: bool = False  # z ~ U(-1, 1) instead of the tutorial's N(0, 1)
    sigmoid_pixels: bool = False  # images in [0, 1] instead of tanh's [-1, 1]
    flat: bool = False  # images as vectors of 784 * channels
    grid_noise: int = 16  # noise vectors of the progress grid (conditional: one per column)
    loss: str = "sigmoid"  # sigmoid: one logit | softmax2: two-class logits, real is class 1

    def sample_noise(self, rng: tf.random.Generator, count: int, noise_dim: int) -> tf.Tensor:
        if self.uniform_noise:
            return rng.uniform([count, noise_dim], -1.0, 1.0)
        return rng.normal([count, noise_dim])

    def scale(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, 28, 28[, C]) -> the discriminator's float32 input."""
        pixels = to_model_range(images)  # [-1, 1], (N, 28, 28, C)
        if self.sigmoid_pixels:
            pixels = (pixels + 1.0) / 2.0  # [0, 1]
        return pixels.reshape(len(pixels), -1) if self.flat else pixels

    def to_pixels(self, output: np.ndarray, channels: int) -> np.ndarray:
        """Generator output -> uint8 images (N, 28, 28, channels)."""
        output = np.asarray(output, np.float32).reshape(-1, 28, 28, channels)  # 16-bit too
        output = output * 255.0 if self.sigmoid_pixels else output * 127.5 + 127.5
        return np.clip(np.rint(output), 0, 255).astype(np.uint8)

    def grid_inputs(self, seed_noise: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None, int]:
        """Generator inputs of the progress grid and its number of columns.

        Conditional: one row per digit, the same noise (style) down each column.
        """
        if not self.conditional:
            return seed_noise, None, 4
        columns = int(seed_noise.shape[0])
        noise = tf.tile(seed_noise, [NUM_CLASSES, 1])
        labels = tf.repeat(tf.range(NUM_CLASSES), columns)
        return noise, labels, columns


MODEL_SPECS = {
    "dcgan": ModelSpec("dcgan", make_generator_model, make_discriminator_model),
    "cdcgan": ModelSpec(
        "cdcgan",
        make_conditional_generator,
        make_conditional_discriminator,
        conditional=True,
        grid_noise=8,
    ),
    "gan": ModelSpec(
        "gan",
        make_mlp_generator,
        make_mlp_discriminator,
        uniform_noise=True,
        sigmoid_pixels=True,
        flat=True,
    ),
    # The course's other DCGANs (course_models.py); their training habits: config.MODEL_PRESETS.
    "tfexamples": ModelSpec(
        "tfexamples",
        course_models.make_tfexamples_generator,
        course_models.make_tfexamples_discriminator,
        uniform_noise=True,
        loss="softmax2",
    ),
    "carpedm20": ModelSpec(
        "carpedm20",
        course_models.make_carpedm20_generator,
        course_models.make_carpedm20_discriminator,
        conditional=True,
        uniform_noise=True,
        sigmoid_pixels=True,
        grid_noise=8,
    ),
    "pytorch": ModelSpec(
        "pytorch", course_models.make_pytorch_generator, course_models.make_pytorch_discriminator
    ),
}
