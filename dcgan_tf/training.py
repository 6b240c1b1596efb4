"""The tutorial's train step, and the loop that runs it epoch by epoch with checkpoints.

The step is a pure function of (images, noise): the loop draws the noise, so tests, benchmarks and
distribution strategies can call the very same step with noise of their own.
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dcgan_tf.checkpoints import (
    CHECKPOINT_FILES,
    GanState,
    build_state,
    make_manager,
    restore_latest,
)
from dcgan_tf.config import TrainConfig, save_config
from dcgan_tf.data import make_dataset, to_model_range
from dcgan_tf.errors import UserError
from dcgan_tf.files import move_aside
from dcgan_tf.history import LossHistory
from dcgan_tf.images import EPOCH_IMAGE, build_gif, save_image_grid
from dcgan_tf.losses import discriminator_loss, generator_loss
from dcgan_tf.progress import ProgressBar

OUTPUT_FILES = ("image_at_epoch_*.png", "dcgan.gif", "losses.csv", "losses.png", "config.json")
TrainStep = Callable[[tf.Tensor, tf.Tensor], dict[str, tf.Tensor]]


class TrainingDiverged(UserError):
    """A loss turned NaN or infinite; the last good checkpoint is kept."""

    exit_code = 3


class TrainingInterrupted(Exception):
    """Ctrl-C: the run was saved where it stopped; rerunning the same command resumes it."""


def make_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
) -> TrainStep:
    """The tutorial's `train_step`, traced once: any batch size, the last partial one included."""
    image_shape = tuple(discriminator.input_shape[1:])
    noise_dim = generator.input_shape[1]

    @tf.function(
        input_signature=[
            tf.TensorSpec((None, *image_shape), tf.float32),
            tf.TensorSpec((None, noise_dim), tf.float32),
        ]
    )
    def train_step(images: tf.Tensor, noise: tf.Tensor) -> dict[str, tf.Tensor]:
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            # 1. Turn the noise into fakes: one per real image in the batch.
            generated_images = generator(noise, training=True)
            # 2. Let the discriminator score the real and the fake batch.
            real_output = discriminator(images, training=True)
            fake_output = discriminator(generated_images, training=True)
            # 3. The generator wants fakes called real; the discriminator wants both right.
            gen_loss = generator_loss(fake_output)
            disc_loss = discriminator_loss(real_output, fake_output)
        # 4. One Adam update for each net, each from its own loss.
        gen_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        disc_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        generator_optimizer.apply_gradients(
            zip(gen_grads, generator.trainable_variables, strict=True)
        )
        discriminator_optimizer.apply_gradients(
            zip(disc_grads, discriminator.trainable_variables, strict=True)
        )
        return {"gen_loss": gen_loss, "disc_loss": disc_loss}

    return train_step


def train(
    config: TrainConfig,
    images: np.ndarray,
    log: Callable[[str], None] = print,
    on_epoch_end: Callable[[int, GanState], None] | None = None,
) -> GanState:
    """Train until `config.epochs` epochs are done, resuming from the newest checkpoint if any.

    `images` are uint8 (N, 28, 28). Writes grids, GIF, losses and config into `config.out` and
    checkpoints into `config.checkpoint_dir`. Raises TrainingInterrupted after saving on Ctrl-C.
    `on_epoch_end(epoch, state)` runs after each epoch's grid (quality measurements plug in here).
    """
    out, checkpoint_dir = Path(config.out), Path(config.checkpoint_dir)

    # 1. Set up: move an old run aside on --fresh, then build or restore the state.
    if config.fresh:
        for directory, patterns in ((checkpoint_dir, CHECKPOINT_FILES), (out, OUTPUT_FILES)):
            moved = move_aside(directory, patterns)
            if moved:
                log(f"--fresh: moved the previous run's files to {moved}")
    state = build_state(config.noise_dim, config.learning_rate, config.seed)
    manager = make_manager(state, checkpoint_dir)
    restored = restore_latest(state, manager)
    check_resumable(config, checkpoint_dir, restored, log)
    save_config(config, out)
    save_config(config, checkpoint_dir)
    history = LossHistory.load(out / "losses.csv", up_to_step=int(state.step))
    if restored:
        log(f"Resuming from {restored}: {int(state.epoch)} epoch(s) done, step {int(state.step)}")

    data = tf.constant(to_model_range(images))
    steps_per_epoch = math.ceil(len(images) / config.batch_size)
    train_step = make_train_step(
        state.generator,
        state.discriminator,
        state.generator_optimizer,
        state.discriminator_optimizer,
    )

    def save_checkpoint() -> None:
        # History first: after a kill between the two, the reload drops the extra rows.
        history.save(out)
        manager.save()

    with StopOnCtrlC() as ctrl_c:
        for epoch in range(int(state.epoch) + 1, config.epochs + 1):
            start = time.time()
            skip = int(state.epoch_step)
            progress = ProgressBar(steps_per_epoch, f"Epoch {epoch}/{config.epochs}", skip)
            losses: dict[str, float] = {}

            # 2. One pass over the data, in an order fixed by (seed, epoch).
            for batch in make_dataset(data, config.batch_size, config.seed, epoch, skip):
                noise = state.noise_rng.normal([tf.shape(batch)[0], config.noise_dim])
                losses = {name: float(value) for name, value in train_step(batch, noise).items()}
                if not all(math.isfinite(v) for v in losses.values()):
                    progress.close(int(state.epoch_step), losses)
                    raise TrainingDiverged(
                        f"a loss became {losses} at step {int(state.step) + 1} (epoch {epoch}); "
                        f"stopped, the last good checkpoint is {manager.latest_checkpoint}"
                    )
                state.step.assign_add(1)
                state.epoch_step.assign_add(1)
                history.append(int(state.step), epoch, losses["gen_loss"], losses["disc_loss"])
                progress.update(int(state.epoch_step), int(batch.shape[0]), losses)
                if ctrl_c.requested:
                    progress.close(int(state.epoch_step), losses)
                    save_checkpoint()
                    raise TrainingInterrupted(
                        f"interrupted at epoch {epoch}, step {int(state.epoch_step)}; saved "
                        f"{manager.latest_checkpoint}. Run the same command again to resume."
                    )
            progress.close(steps_per_epoch, losses)

            # 3. The epoch is done: draw the progress grid from the fixed seed noise.
            state.epoch.assign(epoch)
            state.epoch_step.assign(0)
            generated = state.generator(state.seed_noise, training=False)
            save_image_grid(generated.numpy(), out / EPOCH_IMAGE.format(epoch))

            # 4. Whatever the caller measures (FID, ...), then a checkpoint every `save_every`
            #    epochs and after the last one.
            if on_epoch_end is not None:
                on_epoch_end(epoch, state)
            if epoch % config.save_every == 0 or epoch == config.epochs:
                save_checkpoint()
            log(f"Time for epoch {epoch} is {time.time() - start} sec")

    # 5. The run is complete: the GIF of every epoch, and the final loss plot.
    history.save(out)
    if any(out.glob("image_at_epoch_*.png")):
        log(f"Wrote {build_gif(out)}")
    return state


def check_resumable(
    config: TrainConfig, checkpoint_dir: Path, restored: str | None, log: Callable[[str], None]
) -> None:
    """Refuse to resume a checkpoint of another shape; point out other changed settings."""
    saved_path = checkpoint_dir / "config.json"
    if restored is None or not saved_path.exists():
        return
    saved = TrainConfig.from_json(saved_path.read_text())
    if saved.noise_dim != config.noise_dim:
        raise UserError(
            f"{checkpoint_dir} holds a run with --noise-dim {saved.noise_dim}, not "
            f"{config.noise_dim}; use the same value, --fresh, or another --checkpoint-dir"
        )
    ignored = {"epochs", "fresh", "device", "out", "checkpoint_dir"}
    changed = [
        f"{name} {getattr(saved, name)} -> {getattr(config, name)}"
        for name in saved.__dataclass_fields__
        if name not in ignored and getattr(saved, name) != getattr(config, name)
    ]
    if changed:
        log(f"Note: resuming with changed settings: {', '.join(changed)}")


class StopOnCtrlC:
    """Turns the first Ctrl-C into a request the loop honours between steps (so the checkpoint
    holds whole steps only); a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self.previous = None

    def __enter__(self) -> StopOnCtrlC:
        try:
            self.previous = signal.signal(signal.SIGINT, self.handle)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            self.previous = None
        return self

    def handle(self, signum: int, frame: object) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\nCtrl-C: saving after this step (press again to quit at once)", flush=True)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
