"""The tutorial's losses: binary cross-entropy on the discriminator's logits.

On one device each loss is the tutorial's batch mean. Inside `strategy.run` (several replicas,
`distribute.py`) a replica sees only its part of the batch, so the same loss is computed per
example and summed over that part, divided by the GLOBAL batch size (`tf.nn.compute_average_loss`):
the replicas' losses, and the gradients the optimizer sums over replicas, add up to the batch mean.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """The tutorial's `BinaryCrossentropy(from_logits=True)`: mean over the batch (on one device),
    this replica's share of the mean over the global batch (inside `strategy.run`)."""
    if in_replica_of_strategy():
        return global_batch_average(per_example_cross_entropy(labels, logits))
    return keras.losses.BinaryCrossentropy(from_logits=True)(labels, logits)


def per_example_cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """(B, 1) labels and logits -> (B,) losses, one per example, not reduced."""
    return keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)(labels, logits)


def in_replica_of_strategy() -> bool:
    """True inside `strategy.run` of a tf.distribute strategy (never on the default path)."""
    return tf.distribute.has_strategy() and tf.distribute.in_cross_replica_context() is False


def global_batch_average(per_example: tf.Tensor) -> tf.Tensor:
    """This replica's share of the global batch mean: sum(its losses) / global batch size.

    The global size is the sum of the replicas' sizes (an all-reduce), so uneven parts of a last,
    partial batch (even an empty part) are weighted right.
    """
    local_size = tf.shape(per_example)[0]
    global_size = tf.distribute.get_replica_context().all_reduce("sum", local_size)
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_size)


def discriminator_loss(
    real_output: tf.Tensor, fake_output: tf.Tensor, label_smoothing: float = 0.0
) -> tf.Tensor:
    """How well the discriminator calls real images real (1) and generated ones fake (0).

    `label_smoothing` S > 0 asks for 1 - S on real images only (one-sided, Salimans et al. 2016):
    an overconfident discriminator is penalised, and the fakes' target stays 0 so that the
    discriminator never rewards fakes for being where there is no data.
    """
    real_loss = cross_entropy(tf.ones_like(real_output) * (1.0 - label_smoothing), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    return real_loss + fake_loss


def generator_loss(fake_output: tf.Tensor) -> tf.Tensor:
    """Non-saturating generator loss -log D(G(z)): fakes scored against the label 'real'."""
    return cross_entropy(tf.ones_like(fake_output), fake_output)


def minimax_generator_loss(fake_output: tf.Tensor) -> tf.Tensor:
    """The original GAN's generator loss, log(1 - D(G(z))), to be minimised.

    It saturates: while the discriminator rejects the fakes confidently (early in training), its
    gradient vanishes, which is why the tutorial (and the default here) uses -log D(G(z)).
    """
    return -cross_entropy(tf.zeros_like(fake_output), fake_output)


GENERATOR_LOSSES = {"non-saturating": generator_loss, "minimax": minimax_generator_loss}


def two_class_logit(logits: tf.Tensor) -> tf.Tensor:
    """Two-class logits (B, 2), class 1 "real" -> the one logit (B, 1) of "real" vs "fake".

    softmax([l0, l1])[1] = sigmoid(l1 - l0), so the softmax cross-entropy of class 1 (0) equals
    the binary cross-entropy of l1 - l0 against 1 (0): every loss above serves a two-class
    discriminator through this margin (tests/test_course_models.py checks it against
    tf.nn.sparse_softmax_cross_entropy_with_logits, as TensorFlow-Examples' dcgan.py computes).
    """
    return logits[:, 1:2] - logits[:, 0:1]


# How a model's discriminator output becomes the losses' one logit (`ModelSpec.loss`).
DISCRIMINATOR_LOGIT = {"sigmoid": lambda logits: logits, "softmax2": two_class_logit}
