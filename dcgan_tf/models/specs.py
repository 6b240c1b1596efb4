"""Every model, each a pair of builders and a description of its inputs.

`MODEL_SPECS[name]` is all the training loop, checkpoints, images and samplers need to know about
a model; the tutorial's DCGAN is `MODEL_SPECS["dcgan"]` and stays the default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from dcgan_tf.models import course
from dcgan_tf.models.conditional import (
    NUM_CLASSES,
    make_conditional_discriminator,
    make_conditional_generator,
)
from dcgan_tf.models.mlp import make_mlp_discriminator, make_mlp_generator
from dcgan_tf.models.pytorch import make_pytorch_discriminator, make_pytorch_generator
from dcgan_tf.tutorial.dataset import to_model_range
from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model


@dataclass(frozen=True)
class ModelSpec:
    """A model: its two builders and the form of its inputs and outputs."""

    name: str
    # (noise_dim, channels, image_size=S) and (channels, image_size=S): S x S pictures
    make_generator: Callable[..., keras.Model]
    make_discriminator: Callable[..., keras.Model]
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
        """uint8 (N, S, S[, C]) -> the discriminator's float32 input."""
        pixels = to_model_range(images)  # [-1, 1], (N, S, S, C)
        if self.sigmoid_pixels:
            pixels = (pixels + 1.0) / 2.0  # [0, 1]
        return pixels.reshape(len(pixels), -1) if self.flat else pixels

    def to_pixels(self, output: np.ndarray, channels: int) -> np.ndarray:
        """Generator output (N, S, S, channels), or flat (N, S * S * channels) -> uint8 images
        (N, S, S, channels)."""
        output = np.asarray(output, np.float32)  # 16-bit outputs too
        side = output.shape[1] if output.ndim == 4 else round((output[0].size / channels) ** 0.5)
        output = output.reshape(-1, side, side, channels)
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


def only_28(make: Callable[..., keras.Model]) -> Callable[..., keras.Model]:
    """A builder of 28x28 models as one that takes `image_size` as the others do and accepts 28
    (the config refuses other sizes for these models first: config.MODEL_IMAGE_SIZES)."""

    def make_at(*args: int, image_size: int = 28) -> keras.Model:
        if image_size != 28:
            raise ValueError(f"{make.__name__} builds 28x28 models, not {image_size}x{image_size}")
        return make(*args)

    return make_at


MODEL_SPECS = {
    "dcgan": ModelSpec("dcgan", make_generator_model, make_discriminator_model),
    "cdcgan": ModelSpec(
        "cdcgan",
        only_28(make_conditional_generator),
        only_28(make_conditional_discriminator),
        conditional=True,
        grid_noise=8,
    ),
    "gan": ModelSpec(
        "gan",
        only_28(make_mlp_generator),
        only_28(make_mlp_discriminator),
        uniform_noise=True,
        sigmoid_pixels=True,
        flat=True,
    ),
    # The course's other DCGANs (course.py); their training habits: config.MODEL_PRESETS.
    "tfexamples": ModelSpec(
        "tfexamples",
        only_28(course.make_tfexamples_generator),
        only_28(course.make_tfexamples_discriminator),
        uniform_noise=True,
        loss="softmax2",
    ),
    "carpedm20": ModelSpec(
        "carpedm20",
        only_28(course.make_carpedm20_generator),
        only_28(course.make_carpedm20_discriminator),
        conditional=True,
        uniform_noise=True,
        sigmoid_pixels=True,
        grid_noise=8,
    ),
    "pytorch": ModelSpec("pytorch", make_pytorch_generator, make_pytorch_discriminator),
}


def spec_of_models(
    generator: keras.Model, discriminator: keras.Model, name: str = "custom", like: str = "dcgan"
) -> ModelSpec:
    """A Keras pair of your own, described to the loop as `like`'s models are (noise, pixel
    range, loss): the first generator built is `generator` itself, any other one (the moving
    average's) a fresh clone of it; the discriminator is `discriminator`. `name` is saved in the
    checkpoints: a run of other models never restores into these."""
    built: list[keras.Model] = []

    def make_generator(noise_dim: int, channels: int, image_size: int = 28) -> keras.Model:
        model = keras.models.clone_model(generator) if built else generator
        built.append(model)
        return model

    return dataclasses.replace(
        MODEL_SPECS[like],
        name=name,
        make_generator=make_generator,
        make_discriminator=lambda channels, image_size=28: discriminator,
    )
