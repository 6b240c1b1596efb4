"""The Python API: the commands' own steps, for a notebook or a script.

    import dcgan_tf
    config = dcgan_tf.configure(recipe="digits-in-minutes", steps=300, data_dir="data/mnist")
    run = dcgan_tf.train(config)          # the loop of `python -m dcgan_tf.generate`
    run.grid(16)                          # a TrainedRun: images, grid, interpolate, evaluate

`train` is `generate`'s training (`generate.train_run`): the same folder locks, data, hooks,
checkpoints and resume, so the API cannot drift from the command. Documented in
docs/python-api.md. Importing `dcgan_tf` loads none of this: `dcgan_tf/__init__.py` imports it
on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.signals import TrainingInterrupted
from dcgan_tf.config import TrainConfig
from dcgan_tf.run.hooks import Hook
from dcgan_tf.trained_run import TrainedRun

if TYPE_CHECKING:  # TensorFlow loads with the first training
    import keras

    from dcgan_tf.run.state import GanState


def configure(recipe: str = "tutorial", model: str = "dcgan", **values: object) -> TrainConfig:
    """A `TrainConfig`: `recipe`'s values and `model`'s preset, then `values` (one per flag of
    `generate`, with underscores: `steps=300, data_dir="data/mnist"`), which win, as flags do."""
    return TrainConfig.for_model(recipe=recipe, model=model, **values)


def load_images(
    dataset: str = "mnist",
    split: str = "train",
    data_dir: str | Path | None = None,
    channels: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """The data `generate` trains on: uint8 images (N, S, S) and labels (N,). From the files
    in `data_dir` (offline: the IDX files or `mnist.npz`), else from tensorflow-datasets
    (downloaded once); `dataset="folder"` reads the pictures in `data_dir`."""
    from dcgan_tf.cli import import_tensorflow
    from dcgan_tf.data.sources import load_split

    if data_dir is None and dataset != "folder":
        import_tensorflow()  # quietly, before tensorflow-datasets brings it
    return load_split(dataset, split, None if data_dir is None else str(data_dir), channels)


def train(
    config: TrainConfig | None = None,
    images: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    *,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    hooks: Sequence[Hook] = (),
    show: bool | None = None,
    **values: object,
) -> TrainedRun:
    """Train as `python -m dcgan_tf.generate` does and return the run.

    `config` (default: `configure(**values)`; with both, `values` replace its fields). `images`:
    uint8 (N, S, S), S `config.image_size` (and `labels` for a conditional model); default: the
    config's data, as `generate` loads it. `generator` and `discriminator`: a Keras pair of your
    own instead of `config.model`'s (the generator takes `config.noise_dim` noise, gives
    `config.model`'s images; the discriminator gives one logit); a later call with the same pair
    resumes.
    `hooks`: `run/hooks.py` Hooks of your own, after the standard ones. `show`: each epoch's
    grid and the GIF in the cell's output (default: when in a notebook).

    Resumes from the newest checkpoint in `config.checkpoint_dir`, up to `config.epochs` (or
    `config.steps`). Ctrl-C (a notebook's interrupt) saves and returns the run so far, with
    one line; the next call resumes. A wrong value is a `UserError` with a one-line message.
    """
    from dcgan_tf.cli import import_tensorflow
    from dcgan_tf.common.notebook import in_notebook
    from dcgan_tf.generate import train_run
    from dcgan_tf.run.folders import find_run

    import_tensorflow()  # quietly, before the hooks' modules bring it
    from dcgan_tf.generator.sampling import own_spec
    from dcgan_tf.reporting.inline import InlineImages

    if config is None:
        config = TrainConfig.for_model(**values)
    elif values:
        config = dataclasses.replace(config, **values)
    if images is not None:
        images = checked_images(images, config.channels, config.image_size)
    data = None if images is None else (images, labels)
    spec = None
    if generator is not None or discriminator is not None:
        spec = own_spec(generator, discriminator, config)
    shown = [InlineImages(config.out)] if (in_notebook() if show is None else show) else []
    keep = KeepState()
    try:
        state = train_run(config, data, hooks=[*shown, *hooks, keep], spec=spec)
    except TrainingInterrupted:
        state = keep.state
        print(
            f"Interrupted at epoch {int(state.epoch) + 1}, step {int(state.step)}; saved in "
            f"{config.checkpoint_dir}. Call train() again to resume."
        )
    checkpoint = latest_checkpoint(config.checkpoint_dir)
    return TrainedRun(state, config, checkpoint, find_run(config.checkpoint_dir))


def checked_images(images: np.ndarray, channels: int, size: int) -> np.ndarray:
    """`images` as the loop takes them: uint8 (N, S, S), or (N, S, S, 3) for RGB."""
    images = np.asarray(images)
    shape = (size, size) if channels == 1 else (size, size, 3)
    if images.dtype != np.uint8 or images.shape[1:] != shape or not len(images):
        expected = ", ".join(map(str, shape))
        raise UserError(
            f"images are {images.dtype} {images.shape}; expected uint8 (N, {expected}), "
            "pixels 0-255, as load_images gives them"
        )
    return images


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    import tensorflow as tf

    return tf.train.latest_checkpoint(checkpoint_dir)


class KeepState(Hook):
    """Keeps the state the loop trains: what `train` returns after Ctrl-C."""

    state: GanState | None = None

    def on_train_begin(self, state: GanState) -> None:
        self.state = state
