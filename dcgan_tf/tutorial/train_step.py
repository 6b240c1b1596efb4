"""The notebook's `train_step`: one GradientTape update of both nets, traced once with tf.function.

`make_train_step` builds the step the training loop runs (`training/steps.py` calls it). The step
is a pure function of (images, noise[, labels]): the loop draws the noise (the notebook draws it
inside the step), so tests, benchmarks and distribution strategies can call the very same step
with noise of their own. With `StepOptions()` it is the notebook's step exactly; the options of
`dcgan_tf/options/` come in as that one object's fields (`training/steps.py` fills them from the
run's config), each used at one marked place of the step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import tensorflow as tf

from dcgan_tf.tutorial.losses import discriminator_loss, generator_loss

TrainStep = Callable[..., dict[str, tf.Tensor]]


@dataclass(frozen=True)
class StepOptions:
    """What the options change in the step; every default is the notebook's step."""

    generator_loss: Callable[..., tf.Tensor] = generator_loss  # options/losses.py: --gen-loss
    discriminator_loss: Callable[..., tf.Tensor] = discriminator_loss  # ... --label-smoothing
    logit: Callable[[tf.Tensor], tf.Tensor] | None = None  # D's output -> one logit (2-class D)
    conditional: bool = False  # both nets also take the labels (cdcgan, carpedm20)
    jit_compile: bool = False  # --jit-compile: XLA
    disc_steps: int = 1  # --disc-steps K: G is updated on every K-th batch only
    set_learning_rates: Callable[[], None] | None = None  # options/schedule.py: runs first
    augment: Callable[[tf.Tensor], tf.Tensor] | None = None  # options/diff_augment.py, ada.py
    observe_real: Callable[[tf.Tensor], None] | None = None  # options/ada.py: D(real) steers p
    real_penalty: Callable[..., tf.Tensor] | None = None  # options/r1.py: added to D's loss
    consistency: Callable[..., tf.Tensor] | None = None  # options/consistency.py: D's loss too
    after_generator_update: Callable[[], None] | None = None  # options/ema.py: the EMA update
    loss_scales: tuple | None = None  # options/precision.py: (G's, D's) float16 loss scales


def make_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    options: StepOptions = StepOptions(),
) -> TrainStep:
    """The notebook's `train_step(images, noise)`, traced once for any batch size (the last,
    partial batch of an epoch included); a conditional model's step also takes the labels.
    Returns the two losses as `{"gen_loss": ..., "disc_loss": ...}`."""
    o = options
    gen_scale, disc_scale = o.loss_scales or (None, None)

    def train_step(images: tf.Tensor, noise: tf.Tensor, *labels: tf.Tensor) -> dict:
        def with_labels(x: tf.Tensor) -> tf.Tensor | list[tf.Tensor]:
            return [x, *labels] if labels else x  # the notebook's models take x alone

        def judge(x: tf.Tensor) -> tf.Tensor:  # the discriminator's logit, in float32 also
            output = as_float32(discriminator(with_labels(x), training=True))  # (16-bit models)
            return output if o.logit is None else o.logit(output)

        def score(x: tf.Tensor) -> tf.Tensor:  # (--diff-augment: real and fake images alike)
            return judge(x if o.augment is None else o.augment(x))

        if o.set_learning_rates is not None:  # (--lr-warmup-steps, --lr-decay)
            o.set_learning_rates()
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            # 1. Turn the noise into fakes: one per real image in the batch.
            generated_images = generator(with_labels(noise), training=True)
            # 2. Let the discriminator score the real and the fake batch.
            real_output = score(images)
            fake_output = score(generated_images)
            # 3. The generator wants fakes called real; the discriminator wants both right.
            gen_loss = o.generator_loss(fake_output)
            disc_loss = o.discriminator_loss(real_output, fake_output)
            if o.real_penalty is not None:  # (--r1-gamma: keep D flat on the real images)
                disc_loss += o.real_penalty(score, images)
            if o.consistency is not None:  # (--consistency-weight: the same verdict, shifted)
                disc_loss += o.consistency(judge, images, real_output)
                disc_loss += o.consistency(judge, generated_images, fake_output)
            if o.observe_real is not None:  # (--ada-target: more augmentation if D overfits)
                o.observe_real(real_output)
            # (float16 only: scaled up, so that small gradients survive in 16 bits.)
            gen_target, disc_target = scaled(gen_loss, gen_scale), scaled(disc_loss, disc_scale)

        # 4. One Adam update for each net, each from its own loss.
        def update_generator() -> tf.Tensor:
            minimize(gen_tape, gen_target, generator, generator_optimizer, gen_scale)
            if o.after_generator_update is not None:  # (--ema-decay)
                o.after_generator_update()
            return tf.constant(True)

        if o.disc_steps == 1:  # the notebook's step
            update_generator()
        else:  # the generator's turn on every K-th batch: D has K - 1 updates behind it
            turn = (discriminator_optimizer.iterations + 1) % o.disc_steps == 0
            tf.cond(turn, update_generator, lambda: tf.constant(False))
        minimize(disc_tape, disc_target, discriminator, discriminator_optimizer, disc_scale)
        return {"gen_loss": gen_loss, "disc_loss": disc_loss}

    return trace(train_step, generator, o.conditional, o.jit_compile)


def minimize(
    tape: tf.GradientTape,
    loss: tf.Tensor,
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    loss_scale: object | None = None,
) -> None:
    """The notebook's gradient and `apply_gradients`; under a float16 loss scale, `loss` was
    scaled up inside the tape, and the scale unscales the gradients (`options/precision.py`)."""
    grads = tape.gradient(loss, model.trainable_variables)
    if loss_scale is None:  # the tutorial's update
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    else:
        loss_scale.apply(optimizer, grads, model.trainable_variables)


def scaled(loss: tf.Tensor, loss_scale: object | None) -> tf.Tensor:
    return loss if loss_scale is None else loss_scale.scaled(loss)


def as_float32(x: tf.Tensor) -> tf.Tensor:
    """Logits leave a 16-bit model as float32, so that the losses stay exact."""
    return tf.cast(x, tf.float32)


def trace(
    step: TrainStep,
    generator: keras.Model,
    conditional: bool = False,
    jit_compile: bool = False,
    noise_draws: int | None = None,
) -> TrainStep:
    """`tf.function` of a step over (images, noise[, labels]) of any batch size, traced once.

    `noise_draws` D: the noise comes stacked, (D, B, noise_dim) (the alternating update).
    """
    noise_shape = () if noise_draws is None else (noise_draws,)
    signature = [
        tf.TensorSpec((None, *generator.outputs[0].shape[1:]), tf.float32),  # images
        tf.TensorSpec((*noise_shape, None, generator.inputs[0].shape[1]), tf.float32),  # noise
    ]
    if conditional:
        signature.append(tf.TensorSpec((None,), tf.int32))  # labels
    return tf.function(step, input_signature=signature, jit_compile=jit_compile)
