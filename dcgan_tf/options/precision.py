"""--precision: Keras mixed-precision policies for the models, and loss scaling for float16.

Under `mixed_bfloat16` or `mixed_float16` the layers compute in 16 bits while every variable stays
float32, so a checkpoint is the same whatever the precision: it restores into any other. The train
step casts the discriminator's logits to float32 before the losses (`train_step.as_float32`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras
import tensorflow as tf


@contextlib.contextmanager
def precision_policy(precision: str) -> Iterator[None]:
    """Build the models inside this block to give their layers `precision`'s dtype policy.

    Keras keeps the policy as a process-wide global; it is put back on leaving, so that models
    built elsewhere (samplers, the classifier) stay float32.
    """
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


class DynamicLossScale:
    """float16's loss scaling, as Keras' LossScaleOptimizer does it, but beside the optimizer
    instead of around it, so the checkpoint keeps the tutorial's plain Adam objects.

    The loss is multiplied by `scale` before the gradients (small float16 gradients would flush to
    zero) and the gradients divided by it after. Non-finite gradients skip the update and halve
    the scale; `growth_interval` finite steps in a row double it.
    """

    def __init__(self, initial: float = 2.0**15, growth_interval: int = 2000) -> None:
        self.scale = tf.Variable(initial, dtype=tf.float32, trainable=False, name="loss_scale")
        self.good_steps = tf.Variable(0, dtype=tf.int64, trainable=False, name="good_steps")
        self.growth_interval = growth_interval

    def scaled(self, loss: tf.Tensor) -> tf.Tensor:
        return loss * self.scale

    def unscale(self, scaled_grads: list[tf.Tensor]) -> tuple[list[tf.Tensor], tf.Tensor]:
        """The true gradients, and whether every one of them is finite."""
        grads = [g / self.scale for g in scaled_grads]
        return grads, tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in grads])

    def apply(
        self,
        optimizer: keras.optimizers.Optimizer,
        scaled_grads: list[tf.Tensor],
        variables: list[tf.Variable],
    ) -> None:
        """Unscale, and apply the gradients only when all are finite (graph mode only)."""
        grads, finite = self.unscale(scaled_grads)
        if finite:
            optimizer.apply_gradients(zip(grads, variables, strict=True))
            self.after_finite_step()
        else:
            self.after_overflow()

    def after_finite_step(self) -> None:
        """Count an applied update; `growth_interval` of them in a row double the scale."""
        self.good_steps.assign_add(1)
        grow = self.good_steps >= self.growth_interval
        self.scale.assign(tf.where(grow, self.scale * 2.0, self.scale))
        self.good_steps.assign(tf.where(grow, tf.constant(0, tf.int64), self.good_steps))

    def after_overflow(self) -> None:
        """A skipped update: halve the scale (not below 1) and count again from zero."""
        self.scale.assign(tf.maximum(self.scale / 2.0, 1.0))
        self.good_steps.assign(0)
