"""A run's state: the two models, their two Adam optimizers, the counters and the noise.

`build_state` makes it fresh: the models of the run's `--model` (the tutorial's by default,
`tutorial/models.py`) and the notebook's optimizers (`tutorial/optimizers.py`). Everything in it
is saved in each checkpoint (`GanState.checkpoint`; saving and restoring: `checkpoints.py`): the
four objects under the tutorial's names, plus what makes a resumed run continue exactly (epoch
and step counters, the fixed seed noise of the progress grids, the random-number state of the
training noise and of dropout).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from dcgan_tf.config import TrainConfig
from dcgan_tf.models.specs import MODEL_SPECS, ModelSpec
from dcgan_tf.options.discriminator import set_dropout, with_spectral_norm
from dcgan_tf.options.ema import copy_weights
from dcgan_tf.options.precision import precision_policy
from dcgan_tf.tutorial.optimizers import make_optimizers


@dataclass
class GanState:
    """The models, optimizers and counters of a run; all of it is saved in each checkpoint."""

    generator: keras.Model
    discriminator: keras.Model
    generator_optimizer: keras.optimizers.Optimizer
    discriminator_optimizer: keras.optimizers.Optimizer
    spec: ModelSpec  # which model: the tutorial's DCGAN unless asked otherwise
    noise_rng: tf.random.Generator  # draws each train step's noise batch
    seed_noise: tf.Variable  # (16, noise_dim): the fixed noise of the progress grids
    epoch: tf.Variable  # epochs completed
    step: tf.Variable  # train steps completed, over all epochs
    epoch_step: tf.Variable  # steps completed in the unfinished epoch (after a Ctrl-C)
    generator_ema: keras.Model | None = None  # --ema-decay: the generator's moving average
    augment_probability: tf.Variable | None = None  # --ada-target: p of each augmentation

    @property
    def image_generator(self) -> keras.Model:
        """The generator that draws every picture and sample: the EMA one when there is one."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def tutorial_objects(self) -> dict:
        """The tutorial's four objects, under the tutorial's names."""
        return {
            "generator_optimizer": self.generator_optimizer,
            "discriminator_optimizer": self.discriminator_optimizer,
            "generator": self.generator,
            "discriminator": self.discriminator,
        }

    def checkpoint(self) -> tf.train.Checkpoint:
        """The tutorial's four objects plus what makes a resumed run continue exactly."""
        dropout_rng = [
            v for v in self.discriminator.variables if v.path.endswith("seed_generator_state")
        ]
        with tf.device("/CPU:0"):  # GPUs hold no string variables
            model = tf.Variable(self.spec.name, trainable=False)  # never restored into another
        options = {"generator_ema": self.generator_ema, "ada_p": self.augment_probability}
        return tf.train.Checkpoint(
            **self.tutorial_objects(),
            **{name: value for name, value in options.items() if value is not None},
            noise_rng=self.noise_rng,
            seed_noise=self.seed_noise,
            epoch=self.epoch,
            step=self.step,
            epoch_step=self.epoch_step,
            dropout_rng=dropout_rng,
            model=model,
        )


def build_state(
    noise_dim: int,
    learning_rate: float,
    seed: int,
    model: str = "dcgan",
    channels: int = 1,
    precision: str = "float32",
    disc_learning_rate: float | None = None,
    beta1: float = 0.9,
    beta2: float = 0.999,
    ema: bool = False,
    adaptive_augment: bool = False,
    disc_dropout: float | None = None,
    spectral_norm: bool = False,
    spec: ModelSpec | None = None,
    image_size: int = 28,
) -> GanState:
    """Fresh models and optimizers; the same seed gives the same initial weights and noise.

    `precision` sets the layers' compute dtype; the variables are float32 under every policy.
    `disc_learning_rate` (None: `learning_rate`), `beta1` and `beta2` are the recipe's Adam
    settings; `ema` adds the generator's moving average (`ema.py`), starting as a copy of the
    generator; `adaptive_augment` the augmentation probability of `options/ada.py`, from 0.
    `disc_dropout` (None: the model's own) and `spectral_norm`: `options/discriminator.py`.
    `spec` (a model of your own, e.g. the Python API's Keras pair) replaces `MODEL_SPECS[model]`.
    `image_size`: the models draw and judge `image_size` x `image_size` pictures.
    """
    spec = spec or MODEL_SPECS[model]
    keras.utils.set_random_seed(seed)
    with precision_policy(precision):
        generator = spec.make_generator(noise_dim, channels, image_size=image_size)
        discriminator = spec.make_discriminator(channels, image_size=image_size)
        if disc_dropout is not None:
            set_dropout(discriminator, disc_dropout)
        if spectral_norm:
            discriminator = with_spectral_norm(discriminator)
        generator_ema = (
            spec.make_generator(noise_dim, channels, image_size=image_size) if ema else None
        )
    if generator_ema is not None:
        copy_weights(generator, generator_ema)
    generator_optimizer, discriminator_optimizer = make_optimizers(
        learning_rate, disc_learning_rate or learning_rate, beta1, beta2
    )
    # Keras 3 optimizers create their slots lazily and do not defer restores: build them first.
    generator_optimizer.build(generator.trainable_variables)
    discriminator_optimizer.build(discriminator.trainable_variables)
    noise_rng = tf.random.Generator.from_seed(seed)
    return GanState(
        generator=generator,
        discriminator=discriminator,
        generator_optimizer=generator_optimizer,
        discriminator_optimizer=discriminator_optimizer,
        spec=spec,
        noise_rng=noise_rng,
        seed_noise=tf.Variable(
            spec.sample_noise(noise_rng, spec.grid_noise, noise_dim), trainable=False
        ),
        epoch=tf.Variable(0, dtype=tf.int64, trainable=False),
        step=tf.Variable(0, dtype=tf.int64, trainable=False),
        epoch_step=tf.Variable(0, dtype=tf.int64, trainable=False),
        generator_ema=generator_ema,
        augment_probability=ada_probability() if adaptive_augment else None,
    )


def ada_probability() -> tf.Variable:
    """--ada-target's p, from 0. Under a tf.distribute strategy each replica sees its share of
    the batch: the first replica's share steers p, and every replica reads the same p."""
    return tf.Variable(0.0, trainable=False, aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)


def build_state_for(config: TrainConfig, spec: ModelSpec | None = None) -> GanState:
    """`build_state` with the values of `config`: the run's models, optimizers and counters
    (the models of `spec` when given, else of `config.model`)."""
    return build_state(
        config.noise_dim,
        config.learning_rate,
        config.seed,
        config.model,
        config.channels,
        config.precision,
        disc_learning_rate=config.disc_learning_rate,
        beta1=config.beta1,
        beta2=config.beta2,
        ema=config.ema_decay > 0,
        adaptive_augment=config.ada_target > 0,
        disc_dropout=config.disc_dropout,
        spectral_norm=config.spectral_norm,
        spec=spec,
        image_size=config.image_size,
    )
