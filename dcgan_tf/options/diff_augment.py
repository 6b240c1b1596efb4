"""Differentiable augmentation: `--diff-augment translation,cutout` (Zhao et al. 2020,
"Differentiable augmentation for data-efficient GAN training").

The same random transformations are applied to real AND generated images every time the
discriminator sees them, in both nets' losses; they are differentiable, so the generator's
gradient passes through them. The discriminator then cannot memorise the training images
(what makes it overfit on small data, e.g. MNIST's 10,000 test images), while the generator
still has to produce untransformed digits: it never sees a reason to shift or cut its own.

As in the paper's code: translation moves each image by up to 1/8 of its size (here 4 pixels,
filling with the background -1 rather than the paper's 0, which is mid-gray for [-1, 1] digits);
cutout zeroes one square of half the image's size at a random place; color moves each image's
brightness by up to 0.5, its saturation by a factor in [0, 2] (colour images only: a gray image has
none) and its contrast by a factor in [0.5, 1.5].
The draws come from the run's `tf.random.Generator`, which each checkpoint saves, so a resumed
run augments exactly as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from dcgan_tf.config.choices import AUGMENTATIONS


def parse_policy(policy: str) -> tuple[str, ...]:
    """'translation,cutout' -> ('translation', 'cutout'); raises ValueError for unknown names."""
    names = tuple(name.strip() for name in policy.split(",") if name.strip())
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation {unknown[0]!r}; choose from {AUGMENTATIONS}")
    return names


def make_diff_augment(
    policy: str, rng: tf.random.Generator
) -> Callable[[tf.Tensor], tf.Tensor] | None:
    """The augmentation of `policy` as one function of a (B, H, W, C) batch; None when empty."""
    names = parse_policy(policy)
    if not names:
        return None

    def augment(images: tf.Tensor) -> tf.Tensor:
        for name in names:
            images = AUGMENT_STEPS[name](images, rng)
        return images

    return augment


def translate(images: tf.Tensor, rng: tf.random.Generator, ratio: float = 0.125) -> tf.Tensor:
    """Shift each image by its own (dy, dx) in [-s, s] pixels, s = round(size * ratio)."""
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    shift = int(height * ratio + 0.5)
    padded = tf.pad(images, [[0, 0], [shift, shift], [shift, shift], [0, 0]], constant_values=-1.0)
    dy = rng.uniform([batch, 1], 0, 2 * shift + 1, dtype=tf.int32)
    dx = rng.uniform([batch, 1], 0, 2 * shift + 1, dtype=tf.int32)
    rows = dy + tf.range(height)[None]  # (B, H): which padded rows each image keeps
    cols = dx + tf.range(width)[None]  # (B, W)
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)  # (B, H, W + 2s, C)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)  # (B, H, W, C)


def cutout(images: tf.Tensor, rng: tf.random.Generator, ratio: float = 0.5) -> tf.Tensor:
    """Zero one square of side round(size * ratio) per image, centred at a random pixel (it may
    hang over the edge, as in the paper's code)."""
    batch, height, width = tf.shape(images)[0], images.shape[1], images.shape[2]
    size = int(height * ratio + 0.5)
    cy = rng.uniform([batch, 1, 1], 0, height + (1 - size % 2), dtype=tf.int32)
    cx = rng.uniform([batch, 1, 1], 0, width + (1 - size % 2), dtype=tf.int32)
    ys = tf.range(height)[None, :, None]
    xs = tf.range(width)[None, None, :]
    inside_y = (ys >= cy - size // 2) & (ys < cy - size // 2 + size)
    inside_x = (xs >= cx - size // 2) & (xs < cx - size // 2 + size)
    keep = 1.0 - tf.cast(inside_y & inside_x, images.dtype)  # (B, H, W)
    return images * keep[..., None]


def color(images: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
    """Per image: add a brightness in [-0.5, 0.5], scale the colours around their pixel's gray
    by [0, 2] (saturation), then the pixels around the image's mean by [0.5, 1.5] (contrast)."""

    def amount(low: float, high: float) -> tf.Tensor:  # (B, 1, 1, 1): one draw per image
        return tf.cast(rng.uniform([tf.shape(images)[0], 1, 1, 1], low, high), images.dtype)

    images = images + amount(-0.5, 0.5)
    if images.shape[-1] > 1:  # one channel: the gray is the pixel itself, nothing to saturate
        gray = tf.reduce_mean(images, axis=3, keepdims=True)
        images = (images - gray) * amount(0.0, 2.0) + gray
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * amount(0.5, 1.5) + mean


# Each name of AUGMENTATIONS and its transformation of a (B, H, W, C) batch (also options/ada.py).
AUGMENT_STEPS = {"translation": translate, "cutout": cutout, "color": color}
