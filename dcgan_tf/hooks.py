"""Work the training loop does beside training, as small hooks: grids, GIF, quality, summaries.

The loop (`training.train`) calls every hook at four moments, in list order:

    on_train_begin(state)                      once, after restoring, before the first step
    on_step_end(step, epoch, images, losses)   after each train step (1-based step over the run)
    on_epoch_end(epoch, state)                 after each whole epoch, before its checkpoint
    on_checkpoint(state)                       after each checkpoint (also on Ctrl-C)
    on_train_end(state)                        once, when the run is complete (not on Ctrl-C)

A hook overrides only what it needs. The loop writes its counters into `state` before
`on_epoch_end`, `on_checkpoint` and `on_train_end`, so hooks may read `state.step` and
`state.epoch` there. A hook that keeps a record a resume must continue (summaries, a journal)
writes it at `on_checkpoint`: then the record holds exactly the steps the checkpoint holds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dcgan_tf.checkpoints import GanState
from dcgan_tf.images import EPOCH_IMAGE, SNAPSHOT_IMAGE, build_gif, save_image_grid


class Hook:
    """A no-op at every moment; subclasses override the moments they care about."""

    def on_train_begin(self, state: GanState) -> None:
        pass

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        pass

    def on_checkpoint(self, state: GanState) -> None:
        pass

    def on_train_end(self, state: GanState) -> None:
        pass


class ProgressGrids(Hook):
    """The tutorial's `generate_and_save_images`: a grid of the fixed seed noise after each epoch
    (and after the `--snapshot-steps`, and after the last step of a run that stops inside an
    epoch), and the GIF of every epoch's grid at the end."""

    def __init__(
        self,
        out: str | Path,
        channels: int,
        snapshot_steps: tuple[int, ...] = (),
        log: Callable[[str], None] = print,
    ) -> None:
        self.out, self.channels = Path(out), channels
        self.snapshot_steps, self.log = set(snapshot_steps), log
        self.state: GanState | None = None
        self.drawn_step = 0  # the last step a grid shows

    def save_grid(self, path: Path) -> None:
        state = self.state
        noise, labels, columns = state.spec.grid_inputs(state.seed_noise)
        inputs = noise if labels is None else [noise, labels]
        generated = state.image_generator(inputs, training=False)  # the EMA one when on
        save_image_grid(state.spec.to_pixels(generated, self.channels), path, columns)

    def on_train_begin(self, state: GanState) -> None:
        self.state, self.drawn_step = state, int(state.step)
        if 0 in self.snapshot_steps and int(state.step) == 0:
            self.save_grid(self.out / SNAPSHOT_IMAGE.format(0))

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        if step in self.snapshot_steps:
            self.save_grid(self.out / SNAPSHOT_IMAGE.format(step))
            self.drawn_step = step

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        self.save_grid(self.out / EPOCH_IMAGE.format(epoch))
        self.drawn_step = int(state.step)

    def on_train_end(self, state: GanState) -> None:
        if int(state.step) > self.drawn_step:  # --steps ended inside an epoch: the final picture
            self.save_grid(self.out / SNAPSHOT_IMAGE.format(int(state.step)))
        if any(self.out.glob("image_at_epoch_*.png")):
            self.log(f"Wrote {build_gif(self.out)}")
