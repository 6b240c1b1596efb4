"""The tutorial's train step: one GradientTape update of both nets, traced once.

The step is a pure function of (images, noise[, labels]): the loop draws the noise, so tests,
benchmarks and distribution strategies can call the very same step with noise of their own.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import tensorflow as tf

from dcgan_tf.losses import GENERATOR_LOSSES, discriminator_loss

TrainStep = Callable[..., dict[str, tf.Tensor]]


def make_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    gen_loss: str = "non-saturating",
    conditional: bool = False,
) -> TrainStep:
    """The tutorial's `train_step`, traced once: any batch size, the last partial one included.

    A conditional model's step takes the batch's labels as a third argument; both nets see them.
    """
    generator_loss = GENERATOR_LOSSES[gen_loss]
    signature = [
        tf.TensorSpec((None, *generator.outputs[0].shape[1:]), tf.float32),  # images
        tf.TensorSpec((None, generator.inputs[0].shape[1]), tf.float32),  # noise
    ]
    if conditional:
        signature.append(tf.TensorSpec((None,), tf.int32))  # labels

    @tf.function(input_signature=signature)
    def train_step(images: tf.Tensor, noise: tf.Tensor, *labels: tf.Tensor) -> dict:
        def with_labels(x: tf.Tensor) -> tf.Tensor | list[tf.Tensor]:
            return [x, *labels] if labels else x  # the tutorial's models take x alone

        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            # 1. Turn the noise into fakes: one per real image in the batch.
            generated_images = generator(with_labels(noise), training=True)
            # 2. Let the discriminator score the real and the fake batch.
            real_output = discriminator(with_labels(images), training=True)
            fake_output = discriminator(with_labels(generated_images), training=True)
            # 3. The generator wants fakes called real; the discriminator wants both right.
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        # 4. One Adam update for each net, each from its own loss.
        gen_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        disc_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(
            zip(gen_grads, generator.trainable_variables, strict=True)
        )
        discriminator_optimizer.apply_gradients(
            zip(disc_grads, discriminator.trainable_variables, strict=True)
        )
        return {"gen_loss": gen_loss, "disc_loss": disc_loss}

    return train_step
