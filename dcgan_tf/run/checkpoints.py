"""Everything a run's checkpoint holds, and how it is built, saved and restored.

The four objects carry the tutorial's names (`generator_optimizer`, `discriminator_optimizer`,
`generator`, `discriminator`), so a checkpoint written by the tutorial's own code restores here and
the other way round. The extra keys make resuming exact: epoch and step counters, the fixed seed
noise of the progress grids, and the random-number state of the training noise and of dropout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import keras
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.models.specs import MODEL_SPECS, ModelSpec
from dcgan_tf.options.discriminator import set_dropout, with_spectral_norm
from dcgan_tf.options.ema import copy_weights
from dcgan_tf.options.precision import precision_policy

CHECKPOINT_PREFIX = "ckpt"  # the tutorial's prefix: ckpt-1.index, ckpt-1.data-00000-of-00001
KEEP_CHECKPOINTS = 3
CHECKPOINT_FILES = ("checkpoint", f"{CHECKPOINT_PREFIX}-*", "config.json")


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
        ema = {} if self.generator_ema is None else {"generator_ema": self.generator_ema}
        return tf.train.Checkpoint(
            **self.tutorial_objects(),
            **ema,
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
    ema: bool = False,
    disc_dropout: float | None = None,
    spectral_norm: bool = False,
) -> GanState:
    """Fresh models and optimizers; the same seed gives the same initial weights and noise.

    `precision` sets the layers' compute dtype; the variables are float32 under every policy.
    `disc_learning_rate` (None: `learning_rate`) and `beta1` are the recipe's Adam settings;
    `ema` adds the generator's moving average (`ema.py`), starting as a copy of the generator.
    `disc_dropout` (None: the model's own) and `spectral_norm`: `options/discriminator.py`.
    """
    spec = MODEL_SPECS[model]
    keras.utils.set_random_seed(seed)
    with precision_policy(precision):
        generator = spec.make_generator(noise_dim, channels)
        discriminator = spec.make_discriminator(channels)
        if disc_dropout is not None:
            set_dropout(discriminator, disc_dropout)
        if spectral_norm:
            discriminator = with_spectral_norm(discriminator)
        generator_ema = spec.make_generator(noise_dim, channels) if ema else None
    if generator_ema is not None:
        copy_weights(generator, generator_ema)
    generator_optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta1)
    disc_rate = disc_learning_rate or learning_rate
    discriminator_optimizer = keras.optimizers.Adam(disc_rate, beta_1=beta1)
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
    )


def make_manager(state: GanState, directory: str | Path) -> tf.train.CheckpointManager:
    """The tutorial's checkpoint layout (prefix `ckpt`), keeping the newest three."""
    return tf.train.CheckpointManager(
        state.checkpoint(),
        str(directory),
        max_to_keep=KEEP_CHECKPOINTS,
        checkpoint_name=CHECKPOINT_PREFIX,
    )


def restore_latest(state: GanState, manager: tf.train.CheckpointManager) -> str | None:
    """Restore the newest checkpoint in the manager's folder into `state`; None if there is none."""
    path = manager.latest_checkpoint
    if path is not None:
        restore(state, path)
    return path


def restore(state: GanState, path: str) -> None:
    """Restore the checkpoint `path` (a prefix such as `checkpoints/ckpt-3`) into `state`.

    A checkpoint of the tutorial's own code has only the four model and optimizer objects: it
    restores, and the counters start at zero. Keras 3 saves each optimizer's learning rate as
    a variable; the state's own rates (the run's flags or recipe) are put back after restoring,
    so a resumed run trains at the rates it was asked for. A checkpoint without the EMA
    generator (EMA newly switched on) starts the EMA from the restored generator.
    """
    optimizers = (state.generator_optimizer, state.discriminator_optimizer)
    # (A tensor read: float() refuses a tf.distribute MirroredVariable.)
    rates = [float(tf.convert_to_tensor(opt.learning_rate)) for opt in optimizers]
    saved_model = checkpoint_model(path)
    if saved_model != state.spec.name:
        raise UserError(
            f"{path} holds a {saved_model!r} model, not {state.spec.name!r}; "
            f"use --model {saved_model}, or --fresh / another --checkpoint-dir"
        )
    try:
        # First the tutorial's four objects, every variable of which must be in the checkpoint ...
        tutorial_part = tf.train.Checkpoint(**state.tutorial_objects()).restore(path)
        tutorial_part.expect_partial()  # it leaves the extra keys to the next restore
        tutorial_part.assert_existing_objects_matched()
        # ... then the extra keys, which the tutorial's checkpoints lack.
        state.checkpoint().restore(path).expect_partial()
        if state.generator_ema is not None and not has_key(path, "generator_ema"):
            copy_weights(state.generator, state.generator_ema)
    except (tf.errors.OpError, AssertionError, ValueError) as err:
        first_line = (str(err).strip() or type(err).__name__).splitlines()[0]
        raise UserError(
            f"{path}: not a checkpoint of this {state.spec.name} model ({first_line}); "
            "use --fresh to start over, or another --checkpoint-dir"
        ) from None
    for optimizer, rate in zip(optimizers, rates, strict=True):
        optimizer.learning_rate.assign(rate)


def has_key(path: str, key: str) -> bool:
    """Whether the checkpoint `path` holds an object saved under `key` (e.g. generator_ema)."""
    return any(name.startswith(f"{key}/") for name, _ in tf.train.list_variables(path))


def checkpoint_model(path: str) -> str:
    """The model type a checkpoint was written for; the tutorial's own checkpoints are 'dcgan'."""
    try:
        reader = tf.train.load_checkpoint(path)
    except (tf.errors.OpError, ValueError) as err:
        raise UserError(f"{path}: not a readable checkpoint ({err})") from None
    key = "model/.ATTRIBUTES/VARIABLE_VALUE"
    return reader.get_tensor(key).decode() if reader.has_tensor(key) else "dcgan"
