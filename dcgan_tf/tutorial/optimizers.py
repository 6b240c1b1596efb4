"""The notebook's optimizers: one Adam for each network, since the two are trained separately."""

from __future__ import annotations

import keras


def make_optimizers(
    learning_rate: float = 1e-4,
    disc_learning_rate: float = 1e-4,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
) -> tuple[keras.optimizers.Optimizer, keras.optimizers.Optimizer]:
    """(generator_optimizer, discriminator_optimizer): the notebook's `Adam(1e-4)` twice.

    The recipes change only the numbers (`--learning-rate`, `--disc-learning-rate`, `--beta1`,
    `--beta2`).
    """
    generator_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2)
    discriminator_optimizer = keras.optimizers.Adam(
        disc_learning_rate, beta_1=beta_1, beta_2=beta_2
    )
    return generator_optimizer, discriminator_optimizer
