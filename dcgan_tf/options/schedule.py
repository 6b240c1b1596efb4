"""Learning-rate warm-up and decay: `--lr-warmup-steps N` and `--lr-decay linear|cosine`.

The tutorial trains at one fixed rate. A GAN trained at a rate ten times higher learns digits
in a fraction of the steps, but its samples then jump from one measurement to the next; taking
the rate down to zero by the end of the run lets the last updates settle (RECIPES.md measures
it). A short warm-up keeps the first updates of the fresh Adam moments small.

The factor multiplies each optimizer's own rate (`--learning-rate`, `--disc-learning-rate`):

    warm-up:  (t + 1) / N              for the first N steps
    linear:   1 - t / T                (T: the run's steps, --steps or --epochs x batches)
    cosine:   (1 + cos(pi t / T)) / 2

`t` is the discriminator optimizer's update count, which counts every train step and is saved
in each checkpoint, so a resumed run continues on the same curve. The factor is set inside the
train step, before the updates, into the optimizers' own `learning_rate` variables: checkpoints
keep the tutorial's layout, and Keras' strategies see an ordinary variable.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import tensorflow as tf

from dcgan_tf.common.errors import UserError


def rate_factor(step: tf.Tensor, warmup_steps: int, decay: str, total_steps: int) -> tf.Tensor:
    """The factor on the base rates at 0-based train step `step` (a float32 tensor)."""
    t = tf.cast(step, tf.float32)
    factor = tf.constant(1.0)
    if warmup_steps:
        factor = tf.minimum(factor, (t + 1.0) / warmup_steps)
    if decay != "none":
        left = tf.clip_by_value(1.0 - t / max(total_steps, 1), 0.0, 1.0)
        if decay == "cosine":
            left = (1.0 - tf.cos(math.pi * left)) / 2.0  # = (1 + cos(pi t / T)) / 2
        factor *= left
    return factor


def make_rate_update(
    generator_optimizer: keras.optimizers.Optimizer,
    generator_rate: float,
    discriminator_optimizer: keras.optimizers.Optimizer,
    discriminator_rate: float,
    warmup_steps: int,
    decay: str,
    total_steps: int,
) -> Callable[[], None] | None:
    """A function (traced inside the train step) that sets both optimizers' rates, from their
    base rates, for the step about to be trained; None when neither warm-up nor decay is on."""
    if not warmup_steps and decay == "none":
        return None
    if decay != "none" and total_steps < 1:
        raise UserError("--lr-decay needs the run's length in steps")
    rates = ((generator_optimizer, generator_rate), (discriminator_optimizer, discriminator_rate))

    def set_rates() -> None:
        factor = rate_factor(discriminator_optimizer.iterations, warmup_steps, decay, total_steps)
        for optimizer, base in rates:
            optimizer.learning_rate.assign(base * factor)

    return set_rates
