"""The notebook's losses: binary cross-entropy on the discriminator's logits.

The variants the options ask for (the minimax generator loss, one-sided label smoothing, a
two-class discriminator, each replica's share under --strategy) are built in `options/losses.py`
from the same cross-entropy.
"""

from __future__ import annotations

import keras
import tensorflow as tf

# The notebook's helper: the discriminator outputs logits, not probabilities.
cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output: tf.Tensor, fake_output: tf.Tensor) -> tf.Tensor:
    """How well the discriminator calls real images real (1) and generated ones fake (0)."""
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss


def generator_loss(fake_output: tf.Tensor) -> tf.Tensor:
    """How well the generator fooled the discriminator: its fakes scored against 'real' (1)."""
    return cross_entropy(tf.ones_like(fake_output), fake_output)
