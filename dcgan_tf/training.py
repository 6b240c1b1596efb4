"""The training loop: the train step epoch by epoch, with progress grids and checkpoints.

One loop for every model of `variants.MODEL_SPECS`; the tutorial's DCGAN is the default.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from dcgan_tf.checkpoints import (
    CHECKPOINT_FILES,
    GanState,
    build_state,
    make_manager,
    restore_latest,
)
from dcgan_tf.config import TrainConfig, load_saved_config, save_config
from dcgan_tf.data import make_dataset
from dcgan_tf.distribute import Distribution
from dcgan_tf.errors import UserError
from dcgan_tf.files import move_aside
from dcgan_tf.going_back import KeepEvery, go_back_to
from dcgan_tf.history import LossHistory
from dcgan_tf.hooks import Hook, ProgressGrids
from dcgan_tf.progress import ProgressBar
from dcgan_tf.recipes import describe as describe_recipe
from dcgan_tf.recovery import recover_newest, save_next_checkpoint
from dcgan_tf.signals import StopOnSignals
from dcgan_tf.steps import batch_groups

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


class TrainingDiverged(UserError):
    """A loss turned NaN or infinite; the last good checkpoint is kept."""

    exit_code = 3


class TrainingInterrupted(Exception):
    """Ctrl-C or SIGTERM: the run was saved where it stopped; rerunning the same command resumes
    it. `exit_code` is 130 for Ctrl-C, 143 for SIGTERM."""

    def __init__(self, message: str, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def train(
    config: TrainConfig,
    images: np.ndarray,
    log: Callable[[str], None] = print,
    hooks: Sequence[Hook] = (),
    image_labels: np.ndarray | None = None,
) -> GanState:
    """Train until `config.epochs` epochs (or `config.steps` steps) are done, resuming from the
    newest checkpoint if any.

    `images` are uint8 (N, 28, 28[, 3]); `image_labels` (N,) for a conditional model. Writes
    grids, GIF, losses and config into `config.out`, checkpoints into `config.checkpoint_dir`.
    `hooks` run after the progress grids at each moment of `hooks.Hook` (quality, summaries).
    Raises TrainingInterrupted after saving on Ctrl-C or SIGTERM.
    """
    distribution = Distribution.for_config(config)  # --strategy; nothing to do on one device
    config = distribution.worker_config(config)  # only the chief writes into config.out & co.
    log = log if distribution.is_chief else distribution.quiet
    out, checkpoint_dir = Path(config.out), Path(config.checkpoint_dir)

    # 1. Set up: move an old run aside on --fresh, go back on --resume-from, skip damaged
    # checkpoints (moved aside, never deleted), then build or restore the state.
    if config.fresh:
        for directory, patterns in ((checkpoint_dir, CHECKPOINT_FILES), (out, OUTPUT_FILES)):
            moved = move_aside(directory, patterns)
            if moved:
                log(f"--fresh: moved the previous run's files to {moved}")
    if config.resume_from:
        go_back_to(config.resume_from, checkpoint_dir, out, log)
    recover_newest(checkpoint_dir, log)
    with distribution.scope():  # the default strategy's scope does nothing
        state = build_state(
            config.noise_dim,
            config.learning_rate,
            config.seed,
            config.model,
            config.channels,
            config.precision,
            disc_learning_rate=config.disc_learning_rate,
            beta1=config.beta1,
            ema=config.ema_decay > 0,
        )
    distribution.prepare(state, config)
    spec = state.spec
    manager = make_manager(state, checkpoint_dir)
    saved = load_saved_config(checkpoint_dir) if manager.latest_checkpoint else None
    check_resumable(config, saved, log)  # before restoring: another shape would not restore
    restored = restore_latest(state, manager)
    check_unfinished_epoch(config, saved, int(state.epoch_step))
    save_config(config, out)
    save_config(config, checkpoint_dir)
    history = LossHistory.load(out / "losses.csv", up_to_step=int(state.step))
    log(describe_recipe(config))
    if restored:
        log(f"Resuming from {restored}: {int(state.epoch)} epoch(s) done, step {int(state.step)}")

    if spec.conditional and image_labels is None:
        raise UserError(f"--model {spec.name} trains on labelled images; none were given")
    with tf.device("/CPU:0"):  # the input pipeline runs on the CPU; keep its data there
        data = tf.constant(spec.scale(images))
        labels = tf.constant(image_labels, tf.int32) if spec.conditional else None
    steps_per_epoch = math.ceil(len(images) / config.batch_size)
    # --steps counts steps (the last epoch may end early); otherwise --epochs counts epochs.
    epochs = math.ceil(config.steps / steps_per_epoch) if config.steps else config.epochs
    train_steps = distribution.stepper(state, config)  # the tutorial's step, or a faster form
    hooks = [ProgressGrids(out, config.channels, config.snapshot_steps, log), *hooks]
    if config.keep_every:
        hooks.append(KeepEvery(checkpoint_dir, config.keep_every, log))

    # The loop counts steps in Python (no device reads in the hot path) and writes the counts
    # into the state's variables whenever something outside the loop looks: a checkpoint, the
    # epoch-end hooks, the returned state.
    step, epoch_step = int(state.step), int(state.epoch_step)

    def sync_counters() -> None:
        state.step.assign(step)
        state.epoch_step.assign(epoch_step)

    def save_checkpoint() -> None:
        sync_counters()
        # History first: after a kill between the two, the reload drops the extra rows.
        history.save(out)
        save_next_checkpoint(manager)  # a failed write leaves the previous checkpoint the newest
        for hook in hooks:
            hook.on_checkpoint(state)

    def done() -> bool:
        return bool(config.steps) and step >= config.steps

    def steps_until_a_stop() -> int:
        """Steps a call may run before the loop must look: a snapshot grid or the --steps end."""
        stops = [s for s in (*config.snapshot_steps, config.steps) if s > step]
        return min(stops) - step if stops else config.steps_per_call

    for hook in hooks:
        hook.on_train_begin(state)
    with StopOnSignals() as stop:
        for epoch in range(int(state.epoch) + 1, epochs + 1):
            if done():
                break
            start = time.time()
            progress = ProgressBar(steps_per_epoch, f"Epoch {epoch}/{epochs}", epoch_step)
            losses: dict[str, float] = {}

            # 2. One pass over the data, in an order fixed by (seed, epoch).
            batches = make_dataset(data, config.batch_size, config.seed, epoch, epoch_step, labels)
            batches = distribution.distribute(batches, len(images), config.batch_size, epoch_step)
            for group in batch_groups(batches, config.steps_per_call, steps_until_a_stop):
                for (batch_images, *_), losses in zip(group, train_steps(group), strict=True):
                    if not all(math.isfinite(v) for v in losses.values()):
                        progress.close(epoch_step, losses)
                        last = manager.latest_checkpoint or "none (no checkpoint was saved yet)"
                        raise TrainingDiverged(
                            f"a loss became {losses} at step {step + 1} (epoch {epoch}); "
                            f"stopped, the last good checkpoint is {last}"
                        )
                    step, epoch_step = step + 1, epoch_step + 1
                    history.append(step, epoch, losses["gen_loss"], losses["disc_loss"])
                    progress.update(epoch_step, len(batch_images), losses)
                    for hook in hooks:
                        hook.on_step_end(step, epoch, len(batch_images), losses)
                if stop.requested or done():
                    break
            progress.close(epoch_step, losses)
            if stop.requested:
                save_checkpoint()
                raise TrainingInterrupted(
                    f"{stop.name}: interrupted at epoch {epoch}, step {epoch_step}; saved "
                    f"{manager.latest_checkpoint}. Run the same command again to resume.",
                    stop.exit_code,
                )
            if epoch_step < steps_per_epoch:  # --steps reached inside the epoch
                save_checkpoint()
                break

            # 3. The epoch is done: the hooks draw the progress grid, measure quality, ...
            state.epoch.assign(epoch)
            epoch_step = 0
            sync_counters()
            for hook in hooks:
                hook.on_epoch_end(epoch, state)

            # 4. ... then a checkpoint every `save_every` epochs and after the last one.
            if epoch % config.save_every == 0 or epoch == epochs or done():
                save_checkpoint()
            log(f"Time for epoch {epoch} is {time.time() - start} sec")

    # 5. The run is complete: the final loss plot, and the hooks' last word (the GIF, ...).
    sync_counters()
    history.save(out)
    for hook in hooks:
        hook.on_train_end(state)
    return state


def check_resumable(
    config: TrainConfig, saved: TrainConfig | None, log: Callable[[str], None]
) -> None:
    """Refuse to resume a run of another shape or mid-epoch order; note other changed settings."""
    if saved is None:  # e.g. the tutorial's own checkpoints
        return
    for name in ("model", "noise_dim", "channels"):
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
