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

from dcgan_tf.errors import UserError
from dcgan_tf.models import make_discriminator_model, make_generator_model

CHECKPOINT_PREFIX = "ckpt"  # the tutorial's prefix: ckpt-1.index, ckpt-1.data-00000-of-00001
KEEP_CHECKPOINTS = 3
NUM_EXAMPLES = 16  # the tutorial's num_examples_to_generate: a 4x4 grid
CHECKPOINT_FILES = ("checkpoint", f"{CHECKPOINT_PREFIX}-*", "config.json")


@dataclass
class GanState:
    """The models, optimizers and counters of a run; all of it is saved in each checkpoint."""

    generator: keras.Model
    discriminator: keras.Model
    generator_optimizer: keras.optimizers.Optimizer
    discriminator_optimizer: keras.optimizers.Optimizer
    noise_rng: tf.random.Generator  # draws each train step's noise batch
    seed_noise: tf.Variable  # (16, noise_dim): the fixed noise of every progress grid
    epoch: tf.Variable  # epochs completed
    step: tf.Variable  # train steps completed, over all epochs
    epoch_step: tf.Variable  # steps completed in the unfinished epoch (after a Ctrl-C)

    def tutorial_checkpoint(self) -> tf.train.Checkpoint:
        """Only the tutorial's four objects, under the tutorial's names."""
        return tf.train.Checkpoint(
            generator_optimizer=self.generator_optimizer,
            discriminator_optimizer=self.discriminator_optimizer,
            generator=self.generator,
            discriminator=self.discriminator,
        )

    def checkpoint(self) -> tf.train.Checkpoint:
        """The tutorial's four objects plus what makes a resumed run continue exactly."""
        dropout_rng = [
            layer.seed_generator.state
            for layer in self.discriminator.layers
            if hasattr(layer, "seed_generator")
        ]
        return tf.train.Checkpoint(
            generator_optimizer=self.generator_optimizer,
            discriminator_optimizer=self.discriminator_optimizer,
            generator=self.generator,
            discriminator=self.discriminator,
            noise_rng=self.noise_rng,
            seed_noise=self.seed_noise,
            epoch=self.epoch,
            step=self.step,
            epoch_step=self.epoch_step,
            dropout_rng=dropout_rng,
        )


def build_state(noise_dim: int, learning_rate: float, seed: int) -> GanState:
    """Fresh models and optimizers; the same seed gives the same initial weights and noise."""
    keras.utils.set_random_seed(seed)
    generator = make_generator_model(noise_dim)
    discriminator = make_discriminator_model()
    generator_optimizer = keras.optimizers.Adam(learning_rate)
    discriminator_optimizer = keras.optimizers.Adam(learning_rate)
    # Keras 3 optimizers create their slots lazily and do not defer restores: build them first.
    generator_optimizer.build(generator.trainable_variables)
    discriminator_optimizer.build(discriminator.trainable_variables)
    noise_rng = tf.random.Generator.from_seed(seed)
    return GanState(
        generator=generator,
        discriminator=discriminator,
        generator_optimizer=generator_optimizer,
        discriminator_optimizer=discriminator_optimizer,
        noise_rng=noise_rng,
        seed_noise=tf.Variable(noise_rng.normal([NUM_EXAMPLES, noise_dim]), trainable=False),
        epoch=tf.Variable(0, dtype=tf.int64, trainable=False),
        step=tf.Variable(0, dtype=tf.int64, trainable=False),
        epoch_step=tf.Variable(0, dtype=tf.int64, trainable=False),
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
    restores, and the counters start at zero.
    """
    try:
        # First the tutorial's four objects, every variable of which must be in the checkpoint ...
        tutorial_part = state.tutorial_checkpoint().restore(path)
        tutorial_part.expect_partial()  # it leaves the extra keys to the next restore
        tutorial_part.assert_existing_objects_matched()
        # ... then the extra keys, which the tutorial's checkpoints lack.
        state.checkpoint().restore(path).expect_partial()
    except (tf.errors.OpError, AssertionError, ValueError) as err:
        first_line = (str(err).strip() or type(err).__name__).splitlines()[0]
        raise UserError(
            f"{path}: not a checkpoint of this DCGAN ({first_line}); "
            "use --fresh to start over, or another --checkpoint-dir"
        ) from None
