"""Pictures too many to hold in memory as float32: scaled batch by batch as they are read."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf


class ScaledOnRead:
    """uint8 images left as they are (a folder's prepared pictures, memory-mapped from disk),
    scaled by `scale` batch by batch as `tutorial.dataset.make_dataset` gathers them: the same
    batches as scaling them all first, without a float32 copy of them all in memory (4 bytes a
    pixel)."""

    def __init__(self, images: np.ndarray, scale: Callable[[np.ndarray], np.ndarray]) -> None:
        self.images, self.scale = images, scale
        self.shape = (len(images), *scale(images[:1]).shape[1:])

    def gather(self, idx: tf.Tensor) -> tf.Tensor:
        """The scaled images at `idx` (a batch of indices, in their order)."""
        batch = tf.numpy_function(lambda i: self.scale(self.images[i]), [idx], tf.float32)
        batch.set_shape([None, *self.shape[1:]])
        return batch
