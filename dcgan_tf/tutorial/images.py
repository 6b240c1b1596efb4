"""The notebook's pictures: the 4x4 grid of `generate_and_save_images` (`save_image_grid`;
the hook that draws one after each epoch is `training/grids.py`) and the GIF of them all."""

from __future__ import annotations

import re
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic

EPOCH_IMAGE = "image_at_epoch_{:04d}.png"  # the tutorial's file names
SNAPSHOT_IMAGE = "image_at_step_{:06d}.png"  # --snapshot-steps
EPOCH_IMAGE_PATTERN = re.compile(r"image_at_epoch_(\d+)\.png")
GIF_NAME = "dcgan.gif"
SHOWN_PIXELS = 96  # a grid shows each picture about this wide, or wider: never smaller


def grid_scale(side: int) -> int:
    """How many times a grid enlarges pictures of `side` pixels, a whole number so that every
    pixel stays a square: 3 for 28 and 32 (the digits, as always), 2 for 64, 1 for 128."""
    return max(1, round(SHOWN_PIXELS / side))


def grid_cell_bytes(side: int) -> int:
    """Memory a picture of `side` pixels takes, a channel, while a grid of it is drawn: for each
    pixel of its cell (padding included), 1 byte of grid, `scale` and then scale^2 as it is
    enlarged each way, scale^2 for the copy PNG encoding makes (22 x 30 x 30 at 28)."""
    scale = grid_scale(side)
    return (side + 2) ** 2 * (1 + scale + 2 * scale**2)


def image_grid(
    images: np.ndarray, columns: int = 4, pad: int = 2, scale: int | None = None
) -> np.ndarray:
    """Tile uint8 images (N, H, W, C) into one picture on white, `scale`-times enlarged (by
    default `grid_scale(H)`): (H', W') for gray images, (H', W', 3) for RGB."""
    count, height, width, channels = images.shape
    scale = grid_scale(height) if scale is None else scale
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
    """Save uint8 images (N, S, S, C) as one grid PNG, `columns` wide (the tutorial: 4x4)."""
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
