"""The R1 penalty on real images: `--r1-gamma G` (Mescheder et al. 2018, "Which training
methods for GANs do actually converge?"), and `--r1-every N`, StyleGAN2's lazy form of it.

The discriminator's loss gains G/2 * E[ |d D(x) / d x|^2 ] over the real batch: the
discriminator is kept flat on the data, so it cannot push the generator around with steep,
oscillating gradients near the real images. The paper proves local convergence with it where
plain GAN training circles; StyleGAN uses it with G around 1 to 10 for 28x28 to 1024x1024.

The penalty needs a second backward pass through the discriminator (a gradient of a gradient):
a third more time per step here. Karras et al. 2020 ("Analyzing and improving the image quality
of StyleGAN", lazy regularization) add it on every Nth discriminator update only, N times as
strong, so that its average pull is the same at 1/N of the cost (they use N = 16).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def make_r1_penalty(
    gamma: float, every: int = 1, updates: tf.Variable | None = None
) -> Callable[..., tf.Tensor] | None:
    """The discriminator's extra loss term `penalty(score, images)` for `gamma`; None for 0.
    `every` N > 1: the term is N * gamma / 2 * R1 on the updates whose count `updates` (the
    discriminator optimizer's, before this update) is a multiple of N, and 0 on the others."""
    if not gamma:
        return None
    if every == 1:
        return lambda score, images: gamma / 2.0 * r1_penalty(score, images)

    def lazy_penalty(score: Callable[[tf.Tensor], tf.Tensor], images: tf.Tensor) -> tf.Tensor:
        return tf.cond(
            updates % every == 0,
            lambda: every * gamma / 2.0 * r1_penalty(score, images),
            lambda: tf.constant(0.0),
        )

    return lazy_penalty


def r1_penalty(score: Callable[[tf.Tensor], tf.Tensor], images: tf.Tensor) -> tf.Tensor:
    """Mean over the batch of the squared gradient norm of the logit `score(images)` with
    respect to the images (under a tf.distribute strategy, this replica's share of the global
    batch's mean: the replicas' gradients are summed). Differentiable in the discriminator's
    weights: called inside the discriminator's tape, its gradient reaches them."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(images)
        total = tf.reduce_sum(score(images))  # each image's logit depends on that image only
    grads = tape.gradient(total, images)  # (B, 28, 28, C), or (B, 784) for flat images
    per_image = tf.reduce_sum(tf.square(grads), axis=list(range(1, grads.shape.rank)))  # (B,)
    return tf.nn.compute_average_loss(per_image)  # a replica's share of the global batch's mean
