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

import keras
import tensorflow as tf

from dcgan_tf.tutorial.train_step import (
    StepOptions,
    TrainStep,
    as_float32,
    minimize,
    scaled,
    trace,
)


def noise_draws(gen_steps: int, gen_noise: str) -> int:
    """How many noise batches one alternating step uses."""
    return 1 + gen_steps if gen_noise == "fresh" else 1


def make_alternating_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    options: StepOptions,
    gen_steps: int = 1,
    gen_noise: str = "fresh",
) -> TrainStep:
    """The alternating step, traced once: (images, noise (draws, B, D)[, labels]) -> the
    discriminator's loss and the last generator update's loss. `options` are those of
    `tutorial.train_step.make_train_step`, used at the same places of the step (`disc_steps`
    aside: here `gen_steps` sets the ratio)."""
    o = options
    gen_scale, disc_scale = o.loss_scales or (None, None)

    def train_step(images: tf.Tensor, noise: tf.Tensor, *labels: tf.Tensor) -> dict:
        def with_labels(x: tf.Tensor) -> tf.Tensor | list[tf.Tensor]:
            return [x, *labels] if labels else x

        def judge(x: tf.Tensor) -> tf.Tensor:
            output = as_float32(discriminator(with_labels(x), training=True))
            return output if o.logit is None else o.logit(output)

        def scored(x: tf.Tensor) -> tf.Tensor:  # (--diff-augment: real and fake images alike)
            return judge(x if o.augment is None else o.augment(x))

        if o.set_learning_rates is not None:  # (--lr-warmup-steps, --lr-decay)
            o.set_learning_rates()
        # 1. The discriminator: real images against fakes of the first noise batch. The fakes
        # are made outside the tape: this update changes D only.
        fakes = generator(with_labels(noise[0]), training=True)
        with tf.GradientTape() as disc_tape:
            real_output, fake_output = scored(images), scored(fakes)
            disc_loss = o.discriminator_loss(real_output, fake_output)
            if o.real_penalty is not None:  # (--r1-gamma)
                disc_loss += o.real_penalty(scored, images)
            if o.consistency is not None:  # (--consistency-weight)
                disc_loss += o.consistency(judge, images, real_output)
                disc_loss += o.consistency(judge, fakes, fake_output)
            if o.observe_real is not None:  # (--ada-target)
                o.observe_real(real_output)
            disc_target = scaled(disc_loss, disc_scale)  # float16 only: scaled up
        minimize(disc_tape, disc_target, discriminator, discriminator_optimizer, disc_scale)

        # 2. The generator, `gen_steps` times, each against the discriminator as it is now.
        gen_loss = tf.constant(0.0)
        for k in range(gen_steps):
            z = noise[1 + k] if gen_noise == "fresh" else noise[0]
            with tf.GradientTape() as gen_tape:
                gen_loss = o.generator_loss(scored(generator(with_labels(z), training=True)))
                gen_target = scaled(gen_loss, gen_scale)
            minimize(gen_tape, gen_target, generator, generator_optimizer, gen_scale)
            if o.after_generator_update is not None:  # (--ema-decay)
                o.after_generator_update()
        return {"gen_loss": gen_loss, "disc_loss": disc_loss}

    draws = noise_draws(gen_steps, gen_noise)
    return trace(train_step, generator, o.conditional, o.jit_compile, noise_draws=draws)
