"""A trained run in Python: draw its digits, show a grid, walk its latent space, measure it,
export it. `open_run(checkpoint_dir)` loads one; the Python API's `train` returns one.

Every method calls what the commands call (`generator/sampling.py`, `evaluation/`, `export.py`):
`run.images(16, seed=3)` are the pixels of `python -m dcgan_tf.sample --num 16 --seed 3
--format npy`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dcgan_tf.cli import import_tensorflow
from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig

if TYPE_CHECKING:  # TensorFlow loads with the first run
    import keras
    from PIL.Image import Image

    from dcgan_tf.run.state import GanState

METHODS = ("linear", "slerp")


@dataclass
class TrainedRun:
    """A run's state (models, counters) and config; `checkpoint`: where it was loaded or saved;
    `folder`: the run's checkpoint folder (its digit classifier's), default the config's."""

    state: GanState
    config: TrainConfig
    checkpoint: str | None = None
    folder: str | Path | None = None

    def __repr__(self) -> str:
        return (
            f"TrainedRun({self.state.spec.name}, epoch {int(self.state.epoch)}, step "
            f"{int(self.state.step)}, checkpoint {self.checkpoint})"
        )

    @property
    def generator(self) -> keras.Model:
        """The generator that draws every image: the moving average's when the run kept one."""
        return self.state.image_generator

    @property
    def step(self) -> int:
        return int(self.state.step)

    def images(self, num: int = 16, seed: int = 0, label: int | None = None) -> np.ndarray:
        """`num` new uint8 images, (num, 28, 28) gray or (num, 28, 28, 3) RGB; the same `seed`,
        the same images. A conditional model draws the digits 0-9 in turn, or only `label`."""
        from dcgan_tf.generator.sampling import digit_rows, generate_pixels, noise_parts

        self.check_label(label)
        parts, done = [], 0
        for noise in noise_parts(self.state.spec, num, self.config.noise_dim, seed):
            labels = digit_rows(len(noise), label, done) if self.state.spec.conditional else None
            parts.append(generate_pixels(self.state, noise, labels, self.config.channels))
            done += len(noise)
        return squeeze_gray(np.concatenate(parts))

    def grid(
        self, num: int = 16, seed: int = 0, columns: int | None = None, label: int | None = None
    ) -> Image:
        """`images(num, seed, label)` as one picture (a notebook shows it inline)."""
        return picture(self.images(num, seed, label), columns or math.ceil(math.sqrt(num)))

    def interpolate(
        self,
        rows: int = 4,
        steps: int = 10,
        method: str = "slerp",
        seed: int = 0,
        label: int | None = None,
    ) -> np.ndarray:
        """uint8 images (rows, steps, 28, 28): each row walks from one random point of the
        latent space to another, `linear`ly or along the sphere (`slerp`); `interpolate`'s
        endpoints for the same seed. `picture(run.interpolate())` shows them."""
        from dcgan_tf.generator.sampling import digit_rows, draw_noise, generate_pixels, lerp, slerp

        if method not in METHODS or rows < 1 or steps < 2:
            raise UserError(f"method is one of {METHODS}, rows at least 1 and steps at least 2")
        self.check_label(label)
        spec, noise_dim = self.state.spec, self.config.noise_dim
        ends = draw_noise(spec, 2 * rows, noise_dim, seed).numpy()
        walk = slerp if method == "slerp" else lerp
        noise = np.concatenate([walk(ends[r], ends[rows + r], steps) for r in range(rows)])
        labels = np.repeat(digit_rows(rows, label), steps) if spec.conditional else None
        pixels = generate_pixels(self.state, noise.astype(np.float32), labels, self.config.channels)
        return squeeze_gray(pixels.reshape(rows, steps, *pixels.shape[1:]))

    def evaluate(
        self,
        num: int = 10_000,
        seed: int = 0,
        data_dir: str | None = None,
        classifier: str | Path | None = None,
    ) -> dict:
        """FID, classifier score, precision, recall, coverage and digit shares of `num` samples,
        as `python -m dcgan_tf.evaluate` measures them: with the digit classifier `classifier`
        (a .keras bundle), by default the run's, trained once into its checkpoint folder from
        `data_dir` (default: the run's data)."""
        from dcgan_tf.evaluation.classifier import classifier_path, load_or_train_classifier
        from dcgan_tf.evaluation.measure import GeneratorSampler, evaluate_samples

        if num < 10:
            raise UserError(f"num must be at least 10, got {num}")
        config = self.config
        if classifier is not None and not Path(classifier).exists():
            raise UserError(f"classifier {classifier}: no such file")
        folder = self.folder or config.checkpoint_dir
        path = classifier or classifier_path(folder, config.dataset)
        measure = load_or_train_classifier(path, config.dataset, data_dir or config.data_dir)
        samples = GeneratorSampler(self.state, config.channels).sample(num, seed)
        return evaluate_samples(samples, measure)

    def export(self, out: str | Path) -> Path:
        """The generator as `python -m dcgan_tf.export` writes it: a SavedModel (noise in,
        uint8 images out), a .keras file and export.json, into `out`."""
        from dcgan_tf.export import export_run

        state = dataclasses.replace(self.state, generator=self.generator)  # the EMA one if kept
        return export_run(state, self.config, out)

    def check_label(self, label: int | None) -> None:
        if label is not None and not self.state.spec.conditional:
            raise UserError(f"a {self.state.spec.name!r} model takes no label")


def squeeze_gray(pixels: np.ndarray) -> np.ndarray:
    """(N, 28, 28, 1) -> (N, 28, 28), as `sample --format npy` saves gray images."""
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels


def picture(images: np.ndarray, columns: int | None = None) -> Image:
    """uint8 images (N, 28, 28[, 3]) or (rows, columns, 28, 28[, 3]) as one PIL picture, on white,
    three times enlarged (the tutorial's grid)."""
    from PIL import Image

    from dcgan_tf.tutorial.images import image_grid

    images = np.asarray(images, np.uint8)
    gray = images.shape[-1] != 3
    if images.ndim == (4 if gray else 5):  # rows of images
        columns = images.shape[1]
        images = images.reshape(-1, *images.shape[2:])
    images = images[..., None] if gray else images
    return Image.fromarray(image_grid(images, columns or math.ceil(math.sqrt(len(images)))))


def open_run(
    checkpoint_dir: str | Path = "checkpoints",
    checkpoint: str | None = None,
    best: bool = False,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
) -> TrainedRun:
    """The run in `checkpoint_dir` at its newest checkpoint (or at `checkpoint`, or with `best`
    at its lowest FID), as the commands load it. A run of your own models: pass the same
    `generator` and `discriminator` (built the same way); the checkpoint restores into them."""
    import_tensorflow()
    from dcgan_tf.generator.sampling import load_run, warn
    from dcgan_tf.options.devices import select_device

    select_device("auto")
    # The run's folder, as `evaluate` finds it (a checkpoint --keep-every kept: its run's).
    folder = Path(checkpoint).parent if checkpoint else Path(checkpoint_dir)
    folder = folder.parent if folder.name == "kept" else folder
    if generator is None and discriminator is None:
        try:
            state, config, path = load_run(checkpoint_dir, checkpoint, best=best)
        except KeyError as err:  # a model name of no MODEL_SPECS: a pair of the user's own
            raise UserError(
                f"{checkpoint_dir} holds a run of models of your own ({err}); pass the same "
                "generator= and discriminator="
            ) from None
        return TrainedRun(state, config, path, folder)
    from dcgan_tf.config import load_saved_config
    from dcgan_tf.run.best import best_checkpoint
    from dcgan_tf.run.checkpoints import restore
    from dcgan_tf.run.recovery import newest_intact
    from dcgan_tf.run.state import build_state_for

    path = checkpoint or (best_checkpoint(checkpoint_dir) if best else None)
    path = path or newest_intact(checkpoint_dir, warn)
    if path is None:
        raise UserError(f"no checkpoint in {checkpoint_dir}; train first")
    config = load_saved_config(Path(path).parent) or TrainConfig()
    state = build_state_for(config, own_spec(generator, discriminator, config))
    restore(state, path)
    return TrainedRun(state, config, path, folder)


def own_spec(generator: keras.Model | None, discriminator: keras.Model | None, config: TrainConfig):
    """The `ModelSpec` of a Keras pair of your own, checked against `config`'s noise size."""
    from dcgan_tf.models.specs import spec_of_models

    if generator is None or discriminator is None:
        raise UserError("give both models of your own: generator= and discriminator=")
    noise_dim = generator.inputs[0].shape[-1] if generator.inputs else None
    if noise_dim != config.noise_dim:
        raise UserError(
            f"the generator takes noise of size {noise_dim}, the config's noise_dim is "
            f"{config.noise_dim}; build it with keras.Input(({config.noise_dim},))"
        )
    return spec_of_models(generator, discriminator, like=config.model)
