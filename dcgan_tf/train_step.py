"""The tutorial's train step: one GradientTape update of both nets, traced once.

The step is a pure function of (images, noise[, labels]): the loop draws the noise, so tests,
benchmarks and distribution strategies can call the very same step with noise of their own.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from dcgan_tf.losses import DISCRIMINATOR_LOGIT, GENERATOR_LOSSES, discriminator_loss
from dcgan_tf.precision import DynamicLossScale, to_float32

TrainStep = Callable[..., dict[str, tf.Tensor]]


def make_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    gen_loss: str = "non-saturating",
    conditional: bool = False,
    jit_compile: bool = False,
) -> TrainStep:
    """The tutorial's `train_step`, traced once: any batch size, the last partial one included.

    A conditional model's step takes the batch's labels as a third argument; both nets see them.
    `jit_compile` compiles it with XLA (one compilation per batch shape).
    """
    update = make_update(
        generator, discriminator, generator_optimizer, discriminator_optimizer, gen_loss
    )
    signature = [
        tf.TensorSpec((None, *generator.outputs[0].shape[1:]), tf.float32),  # images
        tf.TensorSpec((None, generator.inputs[0].shape[1]), tf.float32),  # noise
    ]
    if conditional:
        signature.append(tf.TensorSpec((None,), tf.int32))  # labels
    return tf.function(update, input_signature=signature, jit_compile=jit_compile)


def make_update(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    gen_loss: str = "non-saturating",
    loss_scales: tuple[DynamicLossScale, DynamicLossScale] | None = None,
    loss_kind: str = "sigmoid",
    label_smoothing: float = 0.0,
    disc_steps: int = 1,
    after_generator_update: Callable[[], None] | None = None,
) -> TrainStep:
    """The body of the tutorial's `train_step`, untraced: `steps.py` wraps it (tf.function,
    XLA, several steps per call). `loss_scales` (generator's, discriminator's): float16 only.
    `loss_kind` (`ModelSpec.loss`): how the discriminator's output becomes the losses' logit.

    The recipe options (the defaults are the tutorial's step): `label_smoothing` of the real
    targets; `disc_steps` K: every batch updates the discriminator, only every K-th also the
    generator (counted by the discriminator's optimizer, so it survives a resume);
    `after_generator_update` runs right after each generator update (the EMA, `ema.py`).
    """
    generator_loss = GENERATOR_LOSSES[gen_loss]
    logit = DISCRIMINATOR_LOGIT[loss_kind]

    gen_scale, disc_scale = loss_scales or (None, None)

    def scaled(loss: tf.Tensor, loss_scale: DynamicLossScale | None) -> tf.Tensor:
        return loss if loss_scale is None else loss_scale.scaled(loss)

    def apply(tape, loss, model, optimizer, loss_scale) -> None:
        grads = tape.gradient(loss, model.trainable_variables)
        if loss_scale is None:  # the tutorial's update
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        else:
            loss_scale.apply(optimizer, grads, model.trainable_variables)

    def train_step(images: tf.Tensor, noise: tf.Tensor, *labels: tf.Tensor) -> dict:
        def with_labels(x: tf.Tensor) -> tf.Tensor | list[tf.Tensor]:
            return [x, *labels] if labels else x  # the tutorial's models take x alone

        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            # 1. Turn the noise into fakes: one per real image in the batch.
            generated_images = generator(with_labels(noise), training=True)
            # 2. Let the discriminator score the real and the fake batch (logits in float32).
            real_output = to_float32(discriminator(with_labels(images), training=True))
            fake_output = to_float32(discriminator(with_labels(generated_images), training=True))
            real_output, fake_output = logit(real_output), logit(fake_output)
            # 3. The generator wants fakes called real; the discriminator wants both right.
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output, label_smoothing)
            # (float16 only: scaled up, so that small gradients survive in 16 bits.)
            gen_target, disc_target = scaled(gen_loss, gen_scale), scaled(disc_loss, disc_scale)

        # 4. One Adam update for each net, each from its own loss.
        def update_generator() -> tf.Tensor:
            apply(gen_tape, gen_target, generator, generator_optimizer, gen_scale)
            if after_generator_update is not None:
                after_generator_update()
            return tf.constant(True)

        if disc_steps == 1:  # the tutorial's step
            update_generator()
        else:  # the generator's turn on every K-th batch: D has K - 1 updates behind it
            turn = (discriminator_optimizer.iterations + 1) % disc_steps == 0
            tf.cond(turn, update_generator, lambda: tf.constant(False))
        apply(disc_tape, disc_target, discriminator, discriminator_optimizer, disc_scale)
        return {"gen_loss": gen_loss, "disc_loss": disc_loss}

    return train_step
