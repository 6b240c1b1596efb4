"""The course models' own update order: the discriminator first, then the generator against it.

The tutorial computes both losses from one forward pass and updates both nets at once
(`tutorial/train_step.py`, `--update simultaneous`). The course's other GANs do this instead
(`--update alternating`):

    1. D learns on a real batch and on G(z_D):       one Adam step of D
    2. G learns against the *updated* D, `gen_steps` times (carpedm20: twice)

Each generator update draws its noise afresh (the one-hidden-layer GAN, TensorFlow-Examples) or
reuses z_D (`--gen-noise same`: carpedm20 feeds every run the same batch_z, PyTorch's recipe reuses
its fake batch). The noise comes in as one (draws, B, noise_dim) tensor drawn by
`training.steps.Stepper`: draws = 1 + gen_steps for fresh noise, 1 for the same.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from dcgan_tf.options.precision import DynamicLossScale
from dcgan_tf.tutorial.losses import DISCRIMINATOR_LOGIT, GENERATOR_LOSSES, discriminator_loss
from dcgan_tf.tutorial.train_step import TrainStep, as_float32, minimize, scaled, trace


def noise_draws(gen_steps: int, gen_noise: str) -> int:
    """How many noise batches one alternating step uses."""
    return 1 + gen_steps if gen_noise == "fresh" else 1


def make_alternating_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    gen_loss: str = "non-saturating",
    loss_kind: str = "sigmoid",
    gen_steps: int = 1,
    gen_noise: str = "fresh",
    loss_scales: tuple[DynamicLossScale, DynamicLossScale] | None = None,
    conditional: bool = False,
    jit_compile: bool = False,
    *,
    label_smoothing: float = 0.0,
    after_generator_update: Callable[[], None] | None = None,
    set_learning_rates: Callable[[], None] | None = None,
    augment: Callable[[tf.Tensor], tf.Tensor] | None = None,
    real_penalty: Callable[..., tf.Tensor] | None = None,
) -> TrainStep:
    """The alternating step, traced once: (images, noise (draws, B, D)[, labels]) -> the
    discriminator's loss and the last generator update's loss. The keyword options are those of
    `tutorial.train_step.make_train_step`, at the same places of the step."""
    generator_loss = GENERATOR_LOSSES[gen_loss]
    logit = DISCRIMINATOR_LOGIT[loss_kind]
    gen_scale, disc_scale = loss_scales or (None, None)

    def train_step(images: tf.Tensor, noise: tf.Tensor, *labels: tf.Tensor) -> dict:
        def with_labels(x: tf.Tensor) -> tf.Tensor | list[tf.Tensor]:
            return [x, *labels] if labels else x

        def scored(x: tf.Tensor) -> tf.Tensor:
            if augment is not None:  # (--diff-augment: real and fake images alike)
                x = augment(x)
            return logit(as_float32(discriminator(with_labels(x), training=True)))

        if set_learning_rates is not None:  # (--lr-warmup-steps, --lr-decay)
            set_learning_rates()
        # 1. The discriminator: real images against fakes of the first noise batch. The fakes
        # are made outside the tape: this update changes D only.
        fakes = generator(with_labels(noise[0]), training=True)
        with tf.GradientTape() as disc_tape:
            disc_loss = discriminator_loss(scored(images), scored(fakes), label_smoothing)
            if real_penalty is not None:  # (--r1-gamma)
                disc_loss += real_penalty(scored, images)
            disc_target = scaled(disc_loss, disc_scale)  # float16 only: scaled up
        minimize(disc_tape, disc_target, discriminator, discriminator_optimizer, disc_scale)

        # 2. The generator, `gen_steps` times, each against the discriminator as it is now.
        gen_loss = tf.constant(0.0)
        for k in range(gen_steps):
            z = noise[1 + k] if gen_noise == "fresh" else noise[0]
            with tf.GradientTape() as gen_tape:
                gen_loss = generator_loss(scored(generator(with_labels(z), training=True)))
                gen_target = scaled(gen_loss, gen_scale)
            minimize(gen_tape, gen_target, generator, generator_optimizer, gen_scale)
            if after_generator_update is not None:  # (--ema-decay)
                after_generator_update()
        return {"gen_loss": gen_loss, "disc_loss": disc_loss}

    draws = noise_draws(gen_steps, gen_noise)
    return trace(train_step, generator, conditional, jit_compile, noise_draws=draws)
