"""An exponential moving average (EMA) of the generator's weights: `--ema-decay D`.

After every generator update, each weight w of the shadow generator moves towards the trained
one's: shadow <- D * shadow + (1 - D) * w. Sampling from the shadow averages out the last few
hundred updates' oscillation, which is where much of a GAN's sample noise comes from (Yazici et
al. 2019, "The unusual effectiveness of averaging in GAN training").

The shadow starts as a copy of the generator (no bias correction), so after k updates it holds
D^k of the starting weights: with D = 0.999 that is 37% after 1,000 updates. Pick D so that
1 / (1 - D) is well below the run's generator updates (0.99 for a few hundred, 0.999 for thousands).
`--ema-warmup` lifts that limit as TensorFlow's `ExponentialMovingAverage(num_updates=...)` does:
after n generator updates the decay is min(D, (1 + n) / (10 + n)), so the first updates move the
shadow almost all the way and the starting weights are forgotten within a few dozen updates.

Batch normalisation: the moving mean and variance are averaged exactly like the weights (they are
weights too, only not trained by the optimizer), so the shadow normalises with a smoothed version
of the statistics the trained generator saw; no extra pass over data is made to recompute them.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def averaged_variables(model: keras.Model) -> list:
    """What the EMA follows: every floating-point weight, trained or not (BN statistics)."""
    return [v for v in model.weights if tf.as_dtype(v.dtype).is_floating]


def copy_weights(source: keras.Model, target: keras.Model) -> None:
    """Make `target` (the same architecture) hold `source`'s weights: the EMA's start."""
    for target_variable, variable in zip(
        averaged_variables(target), averaged_variables(source), strict=True
    ):
        target_variable.assign(variable.value)


def make_ema_update(
    generator: keras.Model,
    shadow: keras.Model,
    decay: float,
    updates: tf.Variable | None = None,
):
    """A function (traceable inside the train step) that moves `shadow` one EMA step towards
    `generator`: shadow <- d * shadow + (1 - d) * generator, variable by variable. d is `decay`,
    or with `updates` (the generator optimizer's update count: the warm-up) the smaller of
    `decay` and (1 + n) / (10 + n)."""
    pairs = list(zip(averaged_variables(shadow), averaged_variables(generator), strict=True))

    def update() -> None:
        d = tf.constant(decay, tf.float32)
        if updates is not None:
            n = tf.cast(updates, tf.float32)
            d = tf.minimum(d, (1.0 + n) / (10.0 + n))
        for average, variable in pairs:
            average.assign(d * average.value + (1.0 - d) * variable.value)

    return update
