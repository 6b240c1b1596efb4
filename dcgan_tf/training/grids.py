"""The notebook's `generate_and_save_images` as a hook of the loop: the grid of the run's fixed
seed noise after each epoch, and the GIF of them all when the run is complete."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState
from dcgan_tf.tutorial.images import EPOCH_IMAGE, SNAPSHOT_IMAGE, build_gif, save_image_grid


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
