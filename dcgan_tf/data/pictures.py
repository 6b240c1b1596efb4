"""Pictures as a model takes them: center-cropped to a square, resized to S x S, gray or colour.

Every resize here, down (a folder's pictures) or up (MNIST's 28x28 digits to S), uses one filter,
PIL's Lanczos (`RESAMPLE`), as the DCGAN repositories that resize with PIL do. The crop is
carpedm20/DCGAN-tensorflow's `center_crop`: a centered N x N square (`--crop N`), or the
largest centered square (`--crop 0`, the default), then the resize.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from dcgan_tf.common.progress import ProgressBar

RESAMPLE = Image.Resampling.LANCZOS
RESAMPLE_NAME = "lanczos"  # part of a prepared folder's cache key: another filter, other pixels
# The picture files of a folder: PIL reads them all (a GIF's first frame).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
UNREADABLE = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError)


def crop_box(width: int, height: int, crop: int = 0) -> tuple[int, int, int, int]:
    """The centered square (left, top, right, bottom) of a `width` x `height` picture: `crop`
    pixels on a side, or the largest that fits (`crop` 0, or more than the picture has)."""
    side = min(width, height, crop) if crop else min(width, height)
    left, top = (width - side) // 2, (height - side) // 2  # an odd pixel left over: right, bottom
    return left, top, left + side, top + side


def prepare_picture(image: Image.Image, size: int, channels: int, crop: int = 0) -> np.ndarray:
    """A PIL picture -> uint8 (size, size) gray, or (size, size, 3) RGB: cropped, then resized."""
    image = image.convert("L" if channels == 1 else "RGB")
    box = crop_box(*image.size, crop)
    return np.asarray(image.resize((size, size), RESAMPLE, box=box))


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 square pictures (N, s, s[, 3]) -> (N, size, size[, 3]), with the same filter (MNIST
    and Fashion-MNIST upscaled to --image-size); the same array when `size` is theirs."""
    if images.shape[1] == size:
        return images
    out = np.empty((len(images), size, size, *images.shape[3:]), np.uint8)
    for i, image in enumerate(images):
        out[i] = np.asarray(Image.fromarray(image).resize((size, size), RESAMPLE))
    return out


def picture_files(folder: Path) -> list[Path]:
    """Every picture file under `folder` (recursively), in a fixed (sorted) order."""
    found = (p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return sorted(p for p in found if p.is_file())


def decode_into(
    rows: np.ndarray,
    paths: Sequence[Path],
    channels: int,
    crop: int = 0,
    stream: TextIO | None = None,
) -> int:
    """Decode `paths` into `rows` (N, S, S[, 3]) one after the other, skipping the files PIL
    cannot read, with a progress bar; returns how many were read (the first rows)."""
    size = rows.shape[1]
    progress = ProgressBar(len(paths), f"Preparing {size}x{size}", stream=stream)
    kept = 0
    for done, path in enumerate(paths, 1):
        try:
            with Image.open(path) as image:
                rows[kept] = prepare_picture(image, size, channels, crop)
            kept += 1
        except UNREADABLE:
            pass
        progress.update(done, 1, {})
    progress.close(len(paths), {})
    return kept


def skipped_line(skipped: int, total: int, folder: Path) -> str:
    return f"Skipped {skipped} unreadable image file(s) of {total} in {folder}"
