"""A run's two folders as one workdir: opened for training, the state restored from its newest
checkpoint, the config saved beside the outputs and the checkpoints.

`--out` holds what a run shows (grids, GIF, losses, config, journal, report); `--checkpoint-dir`
holds what it resumes from (the `ckpt-N` files and config.json). Opening a run does, in order:
a `--resume-from` cut short by a kill is completed and `--resume-from` goes back to a kept
checkpoint, `--fresh` moves the old run aside (never deletes it), a damaged newest checkpoint is
set aside, and the state is built and restored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

from dcgan_tf.common.errors import DamagedFile, UserError
from dcgan_tf.common.files import move_aside, set_aside
from dcgan_tf.config import TrainConfig, load_saved_config, save_config
from dcgan_tf.config.recipes import describe as describe_recipe
from dcgan_tf.run.checkpoints import CHECKPOINT_FILES, make_manager, restore_latest
from dcgan_tf.run.going_back import go_back
from dcgan_tf.run.history import LossHistory
from dcgan_tf.run.recovery import recover_newest, save_next_checkpoint
from dcgan_tf.run.state import GanState

OUTPUT_FILES = (
    "image_at_*.png",
    "quality.*",
    "metrics.json",
    "interpolation_*",
    "dcgan.gif",
    "losses.csv",
    "losses.png",
    "config.json",
    "journal.json",
    "report.html",
    "tensorboard",
)


@dataclass
class Run:
    """An opened run: its state, the checkpoint manager of its folder, its loss history."""

    config: TrainConfig
    state: GanState
    manager: tf.train.CheckpointManager
    history: LossHistory
    finished: str = ""  # why there is nothing to train ("3 epochs done already; ..."), if so

    def save_checkpoint(self) -> None:
        """The loss history, then the next checkpoint: after a kill between the two, the reload
        drops the extra rows. A failed write leaves the previous checkpoint the newest."""
        self.history.save(Path(self.config.out))
        save_next_checkpoint(self.manager)


def open_run(
    config: TrainConfig, build_state: Callable[[], GanState], log: Callable[[str], None] = print
) -> Run:
    """Set up `config`'s folders and return its state, restored when a checkpoint is there."""
    out, checkpoint_dir = Path(config.out), Path(config.checkpoint_dir)
    # Before anything reads the run: a --resume-from cut short by a kill completed, or one asked.
    went_back = go_back(checkpoint_dir, out, log, config.resume_from, config.fresh)
    if config.fresh:
        for directory, patterns in ((checkpoint_dir, CHECKPOINT_FILES), (out, OUTPUT_FILES)):
            moved = move_aside(directory, patterns)
            if moved:
                log(f"--fresh: moved the previous run's files to {moved}")
    recover_newest(checkpoint_dir, log)
    state = build_state()
    manager = make_manager(state, checkpoint_dir)
    saved = load_saved_config(checkpoint_dir) if manager.latest_checkpoint else None
    check_resumable(config, saved, log)  # before restoring: another shape would not restore
    restored = restore_latest(state, manager)
    check_unfinished_epoch(config, saved, int(state.epoch_step))
    # A finished run asked for less: nothing to do, nothing rewritten. (After going back, the
    # GIF and histories are redrawn to match the checkpoint gone back to.)
    finished = nothing_to_train(config, state) if restored and not went_back else ""
    if finished:
        return Run(config, state, manager, LossHistory(), finished)
    save_config(config, out)
    save_config(config, checkpoint_dir)
    try:
        history = LossHistory.load(out / "losses.csv", up_to_step=int(state.step))
    except DamagedFile as damaged:  # a side file: kept aside, never in the way of training
        set_aside(damaged.path, damaged.why, log, "started a new one")
        history = LossHistory()
    log(describe_recipe(config))
    if restored:
        log(f"Resuming from {restored}: {int(state.epoch)} epoch(s) done, step {int(state.step)}")
    return Run(config, state, manager, history)


def nothing_to_train(config: TrainConfig, state: GanState) -> str:
    """The line a restored run that already has the epochs (or steps) asked for says; "" when
    there is training to do."""
    done, asked, unit = int(state.epoch), config.epochs, "epoch"
    if config.steps:
        done, asked, unit = int(state.step), config.steps, "step"
    if done < asked:
        return ""
    flag = f"--{unit}s"
    return (
        f"{done} {unit}{'s' * (done != 1)} done already; nothing to train. "
        f"Ask for more with {flag} N"
    )


def check_resumable(
    config: TrainConfig, saved: TrainConfig | None, log: Callable[[str], None]
) -> None:
    """Refuse to resume a run of another shape or mid-epoch order; note other changed settings."""
    if saved is None:  # e.g. the tutorial's own checkpoints
        return
    for name in ("model", "noise_dim", "channels", "image_size"):
        if getattr(saved, name) != getattr(config, name):
            flag = "--" + name.replace("_", "-")
            raise UserError(
                f"{config.checkpoint_dir} holds a run with {flag} {getattr(saved, name)}, not "
                f"{getattr(config, name)}; use the same value, --fresh, or another --checkpoint-dir"
            )
    ignored = {"epochs", "steps", "fresh", "device", "out", "checkpoint_dir", "snapshot_steps"}
    ignored |= {"keep_every", "resume_from", "tensorboard"}
    changed = [
        f"{name} {getattr(saved, name)} -> {getattr(config, name)}"
        for name in saved.__dataclass_fields__
        if name not in ignored and getattr(saved, name) != getattr(config, name)
    ]
    if changed:
        log(f"Note: resuming with changed settings: {', '.join(changed)}")


def check_unfinished_epoch(config: TrainConfig, saved: TrainConfig | None, epoch_step: int) -> None:
    """An epoch stopped midway resumes only with the batch size and seed that ordered it: with
    others, the batches it skips as done would be other images."""
    if saved and epoch_step and (saved.batch_size, saved.seed) != (config.batch_size, config.seed):
        raise UserError(
            f"the run in {config.checkpoint_dir} stopped inside an epoch; resume it with "
            f"--batch-size {saved.batch_size} --seed {saved.seed}, or use --fresh"
        )
