"""The hooks `generate` trains with beside the progress grids: quality, TensorBoard, the journal.

`make bench` times training with these same hooks.
"""

from __future__ import annotations

from dcgan_tf.common.limits import require_memory
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.classifier import classifier_path, load_or_train_classifier
from dcgan_tf.evaluation.collapse import CollapseWarning
from dcgan_tf.evaluation.measure import QualityHook
from dcgan_tf.evaluation.metrics import BYTES_PER_SAMPLE
from dcgan_tf.evaluation.until_fid import UntilFid
from dcgan_tf.reporting.journal import RunJournal
from dcgan_tf.reporting.summaries import TensorBoardHook
from dcgan_tf.run.best import BestCheckpoint
from dcgan_tf.run.hooks import Hook


def standard_hooks(config: TrainConfig, device: str, data: str) -> list[Hook]:
    """The per-epoch work of `generate` beside the grids: quality (with --eval-every, and the
    best checkpoint and collapse warning it feeds), TensorBoard summaries, the run journal and
    report. `make bench` times training with these same hooks."""

    hooks, quality = [], None
    if config.eval_every:
        request = f"--eval-samples {config.eval_samples}: each measurement evaluates them"
        require_memory(config.eval_samples * BYTES_PER_SAMPLE, request)  # before any training
        path = classifier_path(config.checkpoint_dir, config.dataset)
        classifier = load_or_train_classifier(path, config.dataset, config.data_dir)
        watchers = [BestCheckpoint(config), CollapseWarning()]
        quality = QualityHook(
            classifier,
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
