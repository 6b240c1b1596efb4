"""The hooks `generate` trains with beside the progress grids: quality, TensorBoard, the journal.

`make bench` times training with these same hooks.
"""

from __future__ import annotations

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.limits import require_memory
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.classifier import classifier_path, load_or_train_classifier
from dcgan_tf.evaluation.collapse import CollapseWarning
from dcgan_tf.evaluation.inception import InceptionUnavailable
from dcgan_tf.evaluation.measure import DigitYardstick, QualityHook, Yardstick
from dcgan_tf.evaluation.metrics import BYTES_PER_SAMPLE, PICTURE_BYTES_PER_SAMPLE
from dcgan_tf.evaluation.picture_quality import picture_yardstick
from dcgan_tf.evaluation.until_fid import UntilFid
from dcgan_tf.reporting.journal import RunJournal
from dcgan_tf.reporting.summaries import TensorBoardHook
from dcgan_tf.run.best import BestCheckpoint
from dcgan_tf.run.hooks import Hook


def standard_hooks(
    config: TrainConfig, device: str, data: str, images: np.ndarray | None = None
) -> list[Hook]:
    """The per-epoch work of `generate` beside the grids: quality (with --eval-every, and the
    best checkpoint and collapse warning it feeds), TensorBoard summaries, the run journal and
    report. `make bench` times training with these same hooks. A folder's pictures (`images`,
    the training set) are measured by Inception; without its weights, the run goes on unmeasured."""

    hooks, quality = [], None
    yardstick = quality_yardstick(config, images) if config.eval_every else None
    if yardstick is not None:
        watchers = [BestCheckpoint(config), CollapseWarning()]
        quality = QualityHook(
            yardstick,
            config.out,
            config.eval_every,
            config.eval_samples,
            config.seed,
            listeners=watchers,
        )
        hooks.append(quality)
        if config.until_fid:
            hooks.append(UntilFid(quality, config.until_fid))
    if config.tensorboard:
        hooks.append(TensorBoardHook(config, quality))
    hooks.append(RunJournal(config.out, device, data))
    return hooks


def quality_yardstick(config: TrainConfig, images: np.ndarray | None) -> Yardstick | None:
    """What --eval-every measures with: the dataset's digit classifier (trained once), or for a
    folder Inception against `images`; None, after one line, when Inception's weights are
    missing (training never stops for a measure)."""
    request = f"--eval-samples {config.eval_samples}: each measurement evaluates them"
    if config.dataset != "folder":
        require_memory(config.eval_samples * BYTES_PER_SAMPLE, request)  # before any training
        path = classifier_path(config.checkpoint_dir, config.dataset)
        return DigitYardstick(load_or_train_classifier(path, config.dataset, config.data_dir))
    require_memory(config.eval_samples * PICTURE_BYTES_PER_SAMPLE, request)
    if images is None:
        raise UserError("--eval-every with --dataset folder: no pictures to measure against")
    try:
        return picture_yardstick(
            config.inception_weights, images, config.eval_samples, config.channels, config.seed
        )
    except InceptionUnavailable as missing:
        print(missing)
        suffix = " and --until-fid does not stop it" if config.until_fid else ""
        print(f"--eval-every: this run trains without quality measurements{suffix}")
        return None
