"""How a run's state is saved and restored: the tutorial's `tf.train.Checkpoint` layout.

The four objects carry the tutorial's names (`generator_optimizer`, `discriminator_optimizer`,
`generator`, `discriminator`), so a checkpoint written by the tutorial's own code restores here and
the other way round; what else a checkpoint holds is `state.GanState.checkpoint`.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.models.specs import MODEL_SPECS
from dcgan_tf.options.ema import copy_weights
from dcgan_tf.run.state import GanState

CHECKPOINT_PREFIX = "ckpt"  # the tutorial's prefix: ckpt-1.index, ckpt-1.data-00000-of-00001
KEEP_CHECKPOINTS = 3
CHECKPOINT_FILES = ("checkpoint", f"{CHECKPOINT_PREFIX}-*", "config.json")


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
    if saved_model != state.spec.name and saved_model not in MODEL_SPECS:
        raise UserError(
            f"{path} holds a run of models of your own ({saved_model!r}), not {state.spec.name!r}; "
            "resume it with the same generator= and discriminator=, or fresh=True"
        )
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
