"""What a run shows: the 4x4 progress grid of each epoch, the GIF of all of them, the loss plot."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import imageio.v3 as iio
import matplotlib
import numpy as np

from dcgan_tf.errors import UserError
from dcgan_tf.files import write_atomic_with

matplotlib.use("Agg")  # files only, no window: works on servers and in CI
import matplotlib.pyplot as plt

EPOCH_IMAGE = "image_at_epoch_{:04d}.png"  # the tutorial's file names
EPOCH_IMAGE_PATTERN = re.compile(r"image_at_epoch_(\d+)\.png")
GIF_NAME = "dcgan.gif"


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1], (N, H, W, C) -> uint8 pixels (N, H, W, C)."""
    return np.clip(np.rint(np.asarray(images) * 127.5 + 127.5), 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, columns: int = 4, pad: int = 2, scale: int = 3) -> np.ndarray:
    """Tile uint8 images (N, H, W, 1) into one gray picture on white, `scale`-times enlarged."""
    count, height, width = images.shape[:3]
    rows = -(-count // columns)
    grid = np.full((rows * (height + pad) + pad, columns * (width + pad) + pad), 255, np.uint8)
    for i, image in enumerate(images[..., 0]):
        top = pad + (i // columns) * (height + pad)
        left = pad + (i % columns) * (width + pad)
        grid[top : top + height, left : left + width] = image
    return grid.repeat(scale, axis=0).repeat(scale, axis=1)


def save_image_grid(generated: np.ndarray, path: str | Path) -> Path:
    """Save generator output (16, 28, 28, 1) in [-1, 1] as a 4x4 grid: gray, no axes."""
    grid = image_grid(to_uint8(generated))
    return write_atomic_with(path, lambda tmp: iio.imwrite(tmp, grid, extension=".png"))


def epoch_images(directory: str | Path) -> list[Path]:
    """The per-epoch grids in `directory`, in epoch order."""
    found = []
    for path in Path(directory).glob("image_at_epoch_*.png"):
        match = EPOCH_IMAGE_PATTERN.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def build_gif(directory: str | Path, frame_ms: int = 200) -> Path:
    """Build `dcgan.gif` in `directory` from every epoch grid there, in order; loops forever."""
    frames = [iio.imread(path) for path in epoch_images(directory)]
    if not frames:
        raise UserError(f"{directory}: no image_at_epoch_*.png to build a GIF from")
    gif = Path(directory) / GIF_NAME
    stack = np.stack(frames)
    return write_atomic_with(
        gif, lambda tmp: iio.imwrite(tmp, stack, extension=".gif", duration=frame_ms, loop=0)
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
        return write_atomic_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
    finally:
        plt.close(fig)
