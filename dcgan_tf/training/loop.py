"""The notebook's `train(dataset, epochs)`: the train step epoch by epoch, hooks, checkpoints.

One loop for every model of `models.specs.MODEL_SPECS`; the tutorial's DCGAN is the default.
What the notebook does inline beside the step (the grid after each epoch, a checkpoint now and
then, the GIF at the end) are hooks here (`run/hooks.py`), so that options add hooks, not
branches. The step itself comes from the step factory (`steps.py`), the devices it runs on from
`placement.py`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.progress import ProgressBar
from dcgan_tf.common.signals import StopOnSignals, TrainingInterrupted
from dcgan_tf.config import TrainConfig
from dcgan_tf.data.scaled import ScaledOnRead
from dcgan_tf.models.specs import ModelSpec
from dcgan_tf.run.going_back import KeepEvery
from dcgan_tf.run.hooks import Hook, Hooks
from dcgan_tf.run.state import GanState
from dcgan_tf.run.workdir import Run, open_run
from dcgan_tf.training.augment_log import AugmentLog
from dcgan_tf.training.grids import ProgressGrids
from dcgan_tf.training.placement import devices_for
from dcgan_tf.training.steps import batch_groups


class TrainingDiverged(UserError):
    """A loss turned NaN or infinite; the last good checkpoint is kept."""

    exit_code = 3


def train(
    config: TrainConfig,
    images: np.ndarray,
    log: Callable[[str], None] = print,
    hooks: Sequence[Hook] = (),
    image_labels: np.ndarray | None = None,
    spec: ModelSpec | None = None,
) -> GanState:
    """Train until `config.epochs` epochs (or `config.steps` steps) are done, resuming from the
    newest checkpoint if any. `images`: uint8 (N, S, S[, 3]); `image_labels` (N,) for a
    conditional model. `hooks` run after the progress grids (`run/hooks.py`). `spec`: models
    of your own instead of `config.model`'s (`models/specs.py`; the Python API's). Raises
    TrainingInterrupted after saving on Ctrl-C or SIGTERM."""
    # 1. Set up: where it trains (one device or a strategy's replicas), the run's state restored
    # from its newest checkpoint, the data as the model takes it, the train step, the hooks.
    devices = devices_for(config)
    run = open_run(config, lambda: devices.build_state(config, spec), log)
    state = run.state
    if run.finished:  # asked for no more than is done: the GIF, report and files stay as they are
        log(run.finished)
        return state
    data, labels = model_inputs(state, images, image_labels)
    steps_per_epoch = math.ceil(len(images) / config.batch_size)
    note_batch_larger_than_data(config.batch_size, len(images), log)
    # --steps counts steps (the last epoch may end early); otherwise --epochs counts epochs.
    epochs = math.ceil(config.steps / steps_per_epoch) if config.steps else config.epochs
    train_steps = devices.stepper(state, config, config.steps or epochs * steps_per_epoch)
    grids = ProgressGrids(config.out, config.channels, config.snapshot_steps, log)
    hooks = Hooks([grids, *hooks, *option_hooks(config, log)])
    # The loop counts steps in Python (no device reads in the hot path); `count` writes them
    # into the state whenever something outside the loop looks (checkpoints, hooks).
    count = Counters(state)

    hooks.on_train_begin(state)
    with StopOnSignals() as stop:
        for epoch in range(int(state.epoch) + 1, epochs + 1):
            if count.reached(config.steps):
                break
            start = time.time()
            progress = ProgressBar(steps_per_epoch, f"Epoch {epoch}/{epochs}", count.epoch_step)
            losses: dict[str, float] = {}

            # 2. One pass over the data, in an order fixed by (seed, epoch).
            batches = devices.epoch_batches(data, labels, config, epoch, count.epoch_step)
            room = count.room_before(config.snapshot_steps, config.steps, config.steps_per_call)
            for group in batch_groups(batches, config.steps_per_call, room):
                for (batch_images, *_), losses in zip(group, train_steps(group), strict=True):
                    check_finite(losses, count, epoch, run, progress)
                    count.add_step()
                    run.history.append(count.step, epoch, losses["gen_loss"], losses["disc_loss"])
                    progress.update(count.epoch_step, len(batch_images), losses)
                    hooks.on_step_end(count.step, epoch, len(batch_images), losses)
                if stop.requested or count.reached(config.steps):
                    break
            progress.close(count.epoch_step, losses)
            if stop.requested:
                save_checkpoint(run, count, hooks)
                raise interrupted(stop, epoch, count, run)
            if count.epoch_step < steps_per_epoch:  # --steps reached inside the epoch
                save_checkpoint(run, count, hooks)
                break

            # 3. The epoch is done: the hooks draw the progress grid, measure quality, ...
            count.end_epoch(epoch)
            hooks.on_epoch_end(epoch, state)

            # 4. ... then a checkpoint every `save_every` epochs and after the last one.
            last = epoch == epochs or count.reached(config.steps) or hooks.stop_requested
            if epoch % config.save_every == 0 or last:
                save_checkpoint(run, count, hooks)
            log(f"Time for epoch {epoch} is {time.time() - start} sec")
            if last:
                break

    # 5. The run is complete: the final loss plot, and the hooks' last word (the GIF, ...).
    count.sync()
    run.history.save(Path(config.out))
    hooks.on_train_end(state)
    return state


def option_hooks(config: TrainConfig, log: Callable[[str], None]) -> list[Hook]:
    """What options add to every run: --keep-every's kept checkpoints, --ada-target's p."""
    hooks: list[Hook] = []
    if config.keep_every:
        hooks.append(KeepEvery(config.checkpoint_dir, config.keep_every, log))
    if config.ada_target:
        hooks.append(AugmentLog(log))
    return hooks


def save_checkpoint(run: Run, count: Counters, hooks: Hook) -> None:
    """The counters into the state, the checkpoint, then the hooks' records of it."""
    count.sync()
    run.save_checkpoint()
    hooks.on_checkpoint(run.state)


def interrupted(stop: StopOnSignals, epoch: int, count: Counters, run: Run) -> TrainingInterrupted:
    """What Ctrl-C or SIGTERM ends the run with, after its checkpoint is saved."""
    return TrainingInterrupted(
        f"{stop.name}: interrupted at epoch {epoch}, step {count.epoch_step}; saved "
        f"{run.manager.latest_checkpoint}. Run the same command again to resume.",
        stop.exit_code,
    )


def model_inputs(
    state: GanState, images: np.ndarray, image_labels: np.ndarray | None
) -> tuple[tf.Tensor | ScaledOnRead, tf.Tensor | None]:
    """The images as the model takes them (the tutorial: [-1, 1]) and, for a conditional model,
    their labels; kept on the CPU, where the input pipeline runs. A memory-mapped folder of
    pictures (`data/picture_cache.py`) is scaled batch by batch instead: all of it in float32
    would take 4 times its size in memory."""
    spec = state.spec
    if spec.conditional and image_labels is None:
        raise UserError(f"--model {spec.name} trains on labelled images; none were given")
    with tf.device("/CPU:0"):
        if isinstance(images, np.memmap):
            data = ScaledOnRead(images, spec.scale)
        else:
            data = tf.constant(spec.scale(images))
        labels = tf.constant(image_labels, tf.int32) if spec.conditional else None
    return data, labels


def note_batch_larger_than_data(batch_size: int, count: int, log: Callable[[str], None]) -> None:
    """A batch larger than the data trains on all of it each step, as the notebook's
    `dataset.batch()` would: said in one line, not refused (a small folder keeps the default)."""
    if batch_size > count:
        log(
            f"Note: --batch-size {batch_size} is more than the {count:,} images: "
            f"each step trains on all {count:,} of them, one step an epoch"
        )


def check_finite(
    losses: dict[str, float], count: Counters, epoch: int, run: Run, progress: ProgressBar
) -> None:
    """Stop at a NaN or infinite loss, naming the last good checkpoint (exit status 3)."""
    if all(math.isfinite(value) for value in losses.values()):
        return
    progress.close(count.epoch_step, losses)
    last = run.manager.latest_checkpoint or "none (no checkpoint was saved yet)"
    raise TrainingDiverged(
        f"a loss became {losses} at step {count.step + 1} (epoch {epoch}); "
        f"stopped, the last good checkpoint is {last}"
    )


class Counters:
    """The run's step counters, counted in Python and written into the state on `sync`."""

    def __init__(self, state: GanState) -> None:
        self.state = state
        self.step, self.epoch_step = int(state.step), int(state.epoch_step)

    def add_step(self) -> None:
        self.step, self.epoch_step = self.step + 1, self.epoch_step + 1

    def end_epoch(self, epoch: int) -> None:
        self.state.epoch.assign(epoch)
        self.epoch_step = 0
        self.sync()

    def sync(self) -> None:
        self.state.step.assign(self.step)
        self.state.epoch_step.assign(self.epoch_step)

    def reached(self, steps: int) -> bool:
        """Whether --steps (0: off) are done."""
        return bool(steps) and self.step >= steps

    def room_before(
        self, snapshot_steps: tuple[int, ...], steps: int, steps_per_call: int
    ) -> Callable[[], int]:
        """Steps a call may run before the loop must look: a snapshot grid or the --steps end."""

        def room() -> int:
            stops = [s for s in (*snapshot_steps, steps) if s > self.step]
            return min(stops) - self.step if stops else steps_per_call

        return room
