"""The notebook's data stage: scale the uint8 digits to [-1, 1], then shuffle and batch them.

The images come from `dcgan_tf.data` (tensorflow-datasets, IDX or .npz files, a folder).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 (N, S, S[, C]) -> float32 (N, S, S, C) in [-1, 1], as the tutorial scales them."""
    pixels = images.astype(np.float32)
    pixels = pixels[..., np.newaxis] if pixels.ndim == 3 else pixels
    return (pixels - 127.5) / 127.5  # the tutorial's own expression


def make_dataset(
    images: tf.Tensor,
    batch_size: int,
    seed: int,
    epoch: int,
    skip_batches: int = 0,
    labels: tf.Tensor | None = None,
) -> tf.data.Dataset:
    """One epoch of shuffled batches of `images` (float32, already scaled; or an object whose
    `gather(indices)` scales them as it reads them, `data.scaled.ScaledOnRead`): tuples
    `(images,)`, or `(images, labels)` when labels are given (the conditional model).

    The order depends only on (seed, epoch), so a resumed run sees the same batches as an
    uninterrupted one; `skip_batches` skips those an interrupted epoch already trained on.
    The last batch may be partial: the train step takes any batch size without retracing.
    """
    count = int(images.shape[0])
    # Shuffle indices over the whole set (the tutorial's buffer of 60000 = the whole train split),
    # then gather: the same permutation without copying every image through the shuffle buffer.
    order = tf.data.Dataset.range(count).shuffle(count, seed=seed * 100_003 + epoch)
    batches = order.batch(batch_size).skip(skip_batches)
    arrays = (images,) if labels is None else (images, labels)

    def gather(idx: tf.Tensor) -> tuple[tf.Tensor, ...]:
        # (Pictures memory-mapped from disk are scaled as they are read: `data/scaled.py`.)
        return tuple(
            tf.gather(array, idx) if isinstance(array, tf.Tensor) else array.gather(idx)
            for array in arrays
        )

    # A batch is gathered in about a millisecond: two ready ahead of the train step are plenty.
    return batches.map(gather).prefetch(2).with_options(without_autotune())


def without_autotune() -> tf.data.Options:
    """tf.data's autotuning off. Its background thread wakes at periods doubling from 10 ms to
    60 s, and deleting an epoch's iterator waits for its next wake-up: whole idle seconds
    between epochs (20 s after an epoch of 21 s; BENCHMARKS.md, "Slow epochs")."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return options
