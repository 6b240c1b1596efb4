"""What a run's models and batches take in memory, checked before the real models are built: a
--noise-dim or --batch-size the machine cannot hold is one line, not a process the kernel kills
halfway through building or through the first step.

Only the generator's first layer takes the noise, so its parameters grow linearly with
--noise-dim: two small generators (noise sizes 1 and 2) tell how fast. A train step keeps every
layer's output of both nets for the backward pass, per image of the batch (measured below).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from dcgan_tf.common.limits import require_memory
from dcgan_tf.config import TrainConfig
from dcgan_tf.models.specs import MODEL_SPECS

# Copies of each parameter a run holds at its peak: the weights, their initial values being
# drawn, a gradient and Adam's two moments (and the EMA's average, when on).
PARAMETER_COPIES = 5
# Layer outputs a step holds at its peak, in units of one forward pass: measured on the tutorial's
# DCGAN, a step on 4,096 images took 2.5 GB more than one on 256 (660 kB an image); one copy of
# every output is 930 kB an image, a little over, as a refusal must be.
ACTIVATION_COPIES = 1
# Sizes under these need no check (the tutorial's are 100 and 256): nothing is built for them.
ORDINARY_NOISE_DIM, ORDINARY_BATCH = 1000, 1024


def check_training_memory(config: TrainConfig, images: int) -> None:
    """Refuse `config` when its parameters and one train step on batches of `images` (at most
    --batch-size of them) need more memory than the machine has available."""
    batch = min(config.batch_size, images)
    if config.noise_dim <= ORDINARY_NOISE_DIM and batch <= ORDINARY_BATCH:
        return
    spec = MODEL_SPECS[config.model]
    size = config.image_size
    one, two = (spec.make_generator(n, config.channels, image_size=size) for n in (1, 2))
    discriminator = spec.make_discriminator(config.channels, image_size=size)
    per_noise = two.count_params() - one.count_params()
    params = one.count_params() + per_noise * (config.noise_dim - 1)
    copies = PARAMETER_COPIES + (config.ema_decay > 0)
    require_memory(
        4 * (params * copies + discriminator.count_params() * PARAMETER_COPIES),
        f"--noise-dim {config.noise_dim}: holding the models' "
        f"{params + discriminator.count_params():,} parameters",
    )
    # The generator once, the discriminator twice (real and generated images).
    per_image = outputs_size(one) + 2 * outputs_size(discriminator)
    require_memory(
        4 * ACTIVATION_COPIES * per_image * batch,
        f"--batch-size {config.batch_size}: a train step on {batch} images",
    )


def outputs_size(model: keras.Model) -> int:
    """The numbers every layer of `model` outputs for one image (0 if a layer does not say)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # a model inside (the conditional models' body)
            total += outputs_size(layer)
            continue
        try:
            outputs = tf.nest.flatten(layer.output)
        except (AttributeError, ValueError):  # a layer Keras built without a symbolic output
            continue
        total += sum(math.prod(dim or 1 for dim in output.shape[1:]) for output in outputs)
    return total
