"""The R1 penalty on real images: `--r1-gamma G` (Mescheder et al. 2018, "Which training
methods for GANs do actually converge?").

The discriminator's loss gains G/2 * E[ |d D(x) / d x|^2 ] over the real batch: the
discriminator is kept flat on the data, so it cannot push the generator around with steep,
oscillating gradients near the real images. The paper proves local convergence with it where
plain GAN training circles; StyleGAN uses it with G around 1 to 10 for 28x28 to 1024x1024.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf


def make_r1_penalty(gamma: float) -> Callable[..., tf.Tensor] | None:
    """The discriminator's extra loss term `penalty(score, images)` for `gamma`; None for 0."""
    if not gamma:
        return None
    return lambda score, images: gamma / 2.0 * r1_penalty(score, images)


def r1_penalty(score: Callable[[tf.Tensor], tf.Tensor], images: tf.Tensor) -> tf.Tensor:
    """Mean over the batch of the squared gradient norm of the logit `score(images)` with
    respect to the images. Differentiable in the discriminator's weights: called inside the
    discriminator's tape, its gradient reaches them (a gradient of a gradient)."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(images)
        total = tf.reduce_sum(score(images))  # each image's logit depends on that image only
    grads = tape.gradient(total, images)  # (B, 28, 28, C), or (B, 784) for flat images
    return tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=list(range(1, grads.shape.rank))))
