"""Balanced consistency regularisation: `--consistency-weight L` (Zhang et al. 2020, "Consistency
regularization for generative adversarial networks"; Zhao et al. 2021, "Improved consistency
regularization for GANs", bCR).

The discriminator's loss gains L * E[(D(x) - D(T(x)))^2] over the real batch and the same over
the fake batch, T a random transformation that should not change what the picture shows: the
discriminator is asked to judge a digit shifted by a few pixels, or with a square cut out, as it
judges the digit itself, so it cannot lean on details no transformation keeps. The generator's
loss is left as it was. The papers use L = 10 for real and fake alike, flips and shifts for T.

Here T is `--diff-augment`'s policy at full strength, drawn afresh. With `--ada-target` early in
a run (p near 0) the discriminator's own logits are of the plain images, and this is bCR as
published; with plain `--diff-augment` they are of one random draw of the policy and T is a
second one. The extra cost is the discriminator's pass over two more batches.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from dcgan_tf.options.diff_augment import make_diff_augment

Judge = Callable[[tf.Tensor], tf.Tensor]  # the discriminator's logits of a batch, unaugmented


def make_consistency_term(
    weight: float, policy: str, rng: tf.random.Generator
) -> Callable[[Judge, tf.Tensor, tf.Tensor], tf.Tensor] | None:
    """`term(judge, images, logits)`, the discriminator's extra loss for one batch (call it for
    the real and for the fake batch); `logits` are what the step's discriminator gave `images`.
    None for weight 0."""
    if not weight:
        return None
    transform = make_diff_augment(policy, rng)
    if transform is None:
        raise ValueError("consistency regularisation needs an augmentation policy")

    def term(judge: Judge, images: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
        return weight * consistency_penalty(judge(transform(images)), logits)

    return term


def consistency_penalty(transformed_logits: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean over the batch of (D(T(x)) - D(x))^2; under a tf.distribute strategy, this replica's
    share of the global batch's mean (the replicas' gradients are summed)."""
    per_image = tf.reshape(tf.square(transformed_logits - logits), [-1])  # (B,)
    return tf.nn.compute_average_loss(per_image)
