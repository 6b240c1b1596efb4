"""What a run shows: the notebook's `generate_and_save_images` (a 4x4 grid after each epoch,
`ProgressGrids`), the GIF of all of them (`build_gif`), and the loss plot."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import imageio.v3 as iio
import matplotlib
import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic
from dcgan_tf.common.hooks import Hook

if TYPE_CHECKING:  # annotations only
    from dcgan_tf.run.checkpoints import GanState

matplotlib.use("Agg")  # files only, no window: works on servers and in CI
import matplotlib.pyplot as plt

EPOCH_IMAGE = "image_at_epoch_{:04d}.png"  # the tutorial's file names
SNAPSHOT_IMAGE = "image_at_step_{:06d}.png"  # --snapshot-steps
EPOCH_IMAGE_PATTERN = re.compile(r"image_at_epoch_(\d+)\.png")
GIF_NAME = "dcgan.gif"


def image_grid(images: np.ndarray, columns: int = 4, pad: int = 2, scale: int = 3) -> np.ndarray:
    """Tile uint8 images (N, H, W, C) into one picture on white, `scale`-times enlarged:
    (H', W') for gray images, (H', W', 3) for RGB."""
    count, height, width, channels = images.shape
    rows = -(-count // columns)
    shape = (rows * (height + pad) + pad, columns * (width + pad) + pad, channels)
    grid = np.full(shape, 255, np.uint8)
    for i, image in enumerate(images):
        top = pad + (i // columns) * (height + pad)
        left = pad + (i % columns) * (width + pad)
        grid[top : top + height, left : left + width] = image
    grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    return grid[..., 0] if channels == 1 else grid


def save_image_grid(pixels: np.ndarray, path: str | Path, columns: int = 4) -> Path:
    """Save uint8 images (N, 28, 28, C) as one grid PNG, `columns` wide (the tutorial: 4x4)."""
    grid = image_grid(pixels, columns)
    # Encoded in memory, then written in one atomic step: a failed write (a full disk) leaves
    # no half-closed encoder behind to complain again when it is garbage-collected.
    return write_atomic(path, iio.imwrite("<bytes>", grid, extension=".png"))


def epoch_images(directory: str | Path) -> list[Path]:
    """The per-epoch grids in `directory`, in epoch order."""
    found = []
    for path in Path(directory).glob("image_at_epoch_*.png"):
        match = EPOCH_IMAGE_PATTERN.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def build_gif(directory: str | Path, frame_ms: int = 200, max_frames: int = 200) -> Path:
    """Build `dcgan.gif` in `directory` from the epoch grids there, in order; loops forever.

    Every grid up to `max_frames` of them (the tutorial's 50 epochs: all); beyond, evenly spaced
    ones, the last always included, so a run of thousands of short epochs stays a small GIF.
    """
    paths = epoch_images(directory)
    if not paths:
        raise UserError(f"{directory}: no image_at_epoch_*.png to build a GIF from")
    if len(paths) > max_frames:
        keep = np.linspace(0, len(paths) - 1, max_frames).round().astype(int)
        paths = [paths[i] for i in sorted(set(keep))]
    frames = [iio.imread(path) for path in paths]
    gif = Path(directory) / GIF_NAME
    stack = np.stack(frames)
    return write_atomic(
        gif, iio.imwrite("<bytes>", stack, extension=".gif", duration=frame_ms, loop=0)
    )


def plot_series(
    steps: Sequence[int],
    series: dict[str, Sequence[float]],
    path: str | Path,
    ylabel: str | None = None,
) -> Path:
    """Plot each series against the training iteration: on one axes when `ylabel` names their
    common unit (the losses), else one panel each (FID and classifier score differ in scale)."""
    panels = 1 if ylabel else len(series)
    fig, axes = plt.subplots(panels, 1, figsize=(8, 3 + 1.5 * panels), squeeze=False)
    for i, (name, values) in enumerate(series.items()):
        ax = axes[0 if ylabel else i, 0]
        ax.plot(steps, values, label=name, linewidth=0.8, marker=None if ylabel else "o")
        ax.set_ylabel(ylabel or name)
        ax.grid(alpha=0.3)
    if ylabel:
        axes[0, 0].legend()
    axes[-1, 0].set_xlabel("iteration")
    fig.tight_layout()
    try:
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=100)
        return write_atomic(path, png.getvalue())
    finally:
        plt.close(fig)


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
