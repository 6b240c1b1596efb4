"""A trained run: the one object the Python API and every command draw through. Its images, a
grid, walks of its latent space, its evaluation and its export; `open_run(checkpoint_dir)` opens
one from Python, `open_trained_run(args)` from a command's checkpoint flags, and the API's `train`
returns one.

The commands are thin over it: `python -m dcgan_tf.sample --num 16 --seed 3 --format npy` saves
`run.images(16, seed=3)`, `interpolate` saves `run.interpolate(...)` for each method, `sweep` its
`sweep` and `label_sweep`, `evaluate` measures its `samples`, `export` writes its `export_into`.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dcgan_tf.cli import locate_run, start_tensorflow
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.limits import check_seed
from dcgan_tf.generator.drawing import TrainedGenerator
from dcgan_tf.run.folders import RunFolders, find_run

if TYPE_CHECKING:  # TensorFlow loads with the first run
    import keras
    from PIL.Image import Image

    from dcgan_tf.evaluation.classifier import Classifier
    from dcgan_tf.evaluation.measure import Samples


@dataclass
class TrainedRun(TrainedGenerator):
    """A run's state (models, counters) and config at `checkpoint`, drawing as its
    `TrainedGenerator` (images, by_style, interpolate, sweep, label_sweep; generator/drawing.py);
    `folders`: where the run is (its checkpoint folder, its digit classifier's) and where what
    the commands draw from it goes by default (`folders.out`)."""

    folders: RunFolders

    @classmethod
    def open(
        cls,
        folders: RunFolders,
        checkpoint: str | None = None,
        best: bool = False,
        model: str | None = None,
        generator: keras.Model | None = None,
        discriminator: keras.Model | None = None,
    ) -> TrainedRun:
        """The run in `folders` at its newest checkpoint (or at `checkpoint`, or with `best` at
        its lowest FID), the moving average's generator when it kept one; another `model` type
        is an error. A run of your own models restores into the same `generator` and
        `discriminator` (built the same way). TensorFlow must be started (`open_run` does)."""
        from dcgan_tf.generator.sampling import load_run

        models = (generator, discriminator)
        state, config, path = load_run(folders.checkpoints, checkpoint, model, best, models)
        return cls(state, config, path, folders)

    def __repr__(self) -> str:
        return (
            f"TrainedRun({self.spec.name}, epoch {int(self.state.epoch)}, step "
            f"{int(self.state.step)}, checkpoint {self.checkpoint})"
        )

    def describe(self) -> str:
        """'CK/ckpt-3 (dcgan, epoch 3, step 12)'."""
        epoch = int(self.state.epoch)
        return f"{self.checkpoint} ({self.spec.name}, epoch {epoch}, step {self.step})"

    def grid(
        self, num: int = 16, seed: int = 0, columns: int | None = None, label: int | None = None
    ) -> Image:
        """`images(num, seed, label)` as one picture (a notebook shows it inline)."""
        return picture(self.images(num, seed, label), columns or math.ceil(math.sqrt(num)))

    def samples(self, num: int, seed: int = 0) -> Samples:
        """`num` samples as the quality metrics take them (`evaluation/measure.py`)."""
        from dcgan_tf.evaluation.measure import GeneratorSampler

        return GeneratorSampler(self.state, self.config.channels).sample(num, seed)

    def classifier(
        self, classifier: str | Path | None = None, data_dir: str | None = None
    ) -> Classifier:
        """The digit classifier the run is measured with: `classifier` (a .keras bundle), else
        the run's own (`classifier_file`), trained there first from `data_dir` (default: the
        run's data) if it is missing."""
        from dcgan_tf.evaluation.classifier import load_or_train_classifier

        dataset = self.config.dataset
        path = classifier_file(self.folders, dataset, classifier)
        return load_or_train_classifier(path, dataset, data_dir or self.config.data_dir)

    def evaluate(
        self,
        num: int = 10_000,
        seed: int = 0,
        data_dir: str | None = None,
        classifier: str | Path | None = None,
    ) -> dict:
        """FID, classifier score, precision, recall, coverage and digit shares of `num` samples,
        as `python -m dcgan_tf.evaluate` measures them, with `classifier(classifier, data_dir)`;
        a run on a folder of pictures: Inception FID and KID against its folder's pictures."""
        from dcgan_tf.evaluation.measure import evaluate_samples

        if num < 10:
            raise UserError(f"num must be at least 10, got {num}")
        if self.config.dataset == "folder":
            return self.evaluate_pictures(num, seed, data_dir)
        measure = self.classifier(classifier, data_dir)
        return evaluate_samples(self.samples(num, seed), measure)

    def evaluate_pictures(self, num: int, seed: int, data_dir: str | None = None) -> dict:
        """Inception FID and KID of `num` samples against the run's folder (or `data_dir`), its
        prepared pictures read back from the cache (`evaluation/picture_quality.py`)."""
        from dcgan_tf.data.sources import load_split
        from dcgan_tf.evaluation.picture_quality import picture_yardstick

        config = self.config
        sizes = (config.channels, config.image_size, config.crop)
        cache = config.picture_cache(self.folders.checkpoints)
        real = load_split("folder", "train", data_dir or config.data_dir, *sizes, cache)[0]
        yardstick = picture_yardstick(config.inception_weights, real, num, config.channels, seed)
        return yardstick.evaluate(self.samples(num, seed))

    def export(self, out: str | Path) -> Path:
        """The generator as `python -m dcgan_tf.export` writes it into `out` (a new folder or an
        earlier export's, replaced whole at the end): a SavedModel (noise in, uint8 images out),
        a .keras file and export.json (`generator/exporting.py`)."""
        from dcgan_tf.generator.exporting import export_folder

        with export_folder(out) as target:
            return self.export_into(target)

    def export_into(self, target: Path) -> Path:
        """`export` into `target`, whose lock the caller holds (`export_folder`)."""
        from dcgan_tf.generator.exporting import export_into

        state = dataclasses.replace(self.state, generator=self.generator)  # the EMA one if kept
        return export_into(state, self.config, target)


def open_run(
    checkpoint_dir: str | Path = "checkpoints",
    checkpoint: str | None = None,
    best: bool = False,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
) -> TrainedRun:
    """The run in `checkpoint_dir` at its newest checkpoint (or at `checkpoint`, or with `best`
    at its lowest FID), as the commands open it. A run of your own models: pass the same
    `generator` and `discriminator` (built the same way); the checkpoint restores into them."""
    start_tensorflow()
    folders = find_run(checkpoint_dir, checkpoint)
    return TrainedRun.open(folders, checkpoint, best, None, generator, discriminator)


def open_trained_run(args: argparse.Namespace, folders: RunFolders | None = None) -> TrainedRun:
    """The one start of every command that draws from a run: TensorFlow on the best device, and
    the run the checkpoint flags name (`folders`, if the command located it already) opened at
    its newest, --checkpoint or --best checkpoint, of the --model type if given."""
    start_tensorflow()
    folders = folders or locate_run(args)
    return TrainedRun.open(folders, args.checkpoint, args.best, args.model)


def open_walk(args: argparse.Namespace, images: int, ends: str) -> tuple[TrainedRun, Path]:
    """The start of a walk (`interpolate`, the sweep): --rows and --steps (`ends`: what the two
    columns at the ends are), --seed and the output folder checked before the checkpoint loads,
    then the run opened, the walk's `images` within the memory, --label for its model."""
    from dcgan_tf.generator.sampling import check_walk_memory

    if args.rows < 1 or args.steps < 2:
        raise UserError(f"--rows must be at least 1 and --steps at least 2 ({ends})")
    check_seed(args.seed)
    folders = locate_run(args)
    out = folders.output_folder(args.out)
    run = open_trained_run(args, folders)
    check_walk_memory(run.config, args.rows, args.steps, images)
    run.require_conditional(args.label is not None, "--label")
    return run, out


def classifier_file(folders: RunFolders, dataset: str, given: str | Path | None = None):
    """The digit classifier a run is measured with: `given` (it must exist), else the run's
    own, CHECKPOINT_DIR/classifier-<dataset>.keras (a checkpoint in kept/ or best/: its run's),
    which `load_or_train_classifier` trains there on first use."""
    from dcgan_tf.evaluation.classifier import classifier_path

    if given is not None and not Path(given).exists():
        raise UserError(f"--classifier {given}: no such file")
    return given if given is not None else classifier_path(folders.checkpoints, dataset)


def picture(images: np.ndarray, columns: int | None = None) -> Image:
    """uint8 images (N, S, S[, 3]) or rows of them (R, K, S, S[, 3]) as one PIL picture, on white,
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
