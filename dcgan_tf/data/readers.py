"""Readers for MNIST-style files: the four IDX files (gzipped or not) and Keras' `mnist.npz`.

Every malformed file is refused with a `UserError` naming the file and what is wrong with it.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.limits import require_memory

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (count)
SPLIT_PREFIX = {"train": "train", "test": "t10k"}  # the standard file-name prefixes
NPZ_KEYS = {"train": ("x_train", "y_train"), "test": ("x_test", "y_test")}


def training_image_bytes(size: int = 28) -> int:
    """Memory an S x S image takes while a run trains on it: uint8 as read, scaled to float32,
    and the float32 tensor the steps read batches from."""
    return size * size * 9


def idx_file_names(split: str) -> tuple[str, str]:
    """The standard names of a split's image and label files, without `.gz`."""
    prefix = SPLIT_PREFIX[split]
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def read_idx(path: str | Path, expected_magic: int) -> np.ndarray:
    """Read one IDX file of unsigned bytes; `.gz` files are decompressed."""
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        if raw[:2] != b"\x1f\x8b":
            raise UserError(f"{path}: named .gz but is not gzip-compressed")
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as err:
            raise UserError(f"{path}: the gzip stream is truncated or corrupt ({err})") from None
    if len(raw) < 4:
        raise UserError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise UserError(
            f"{path}: wrong IDX magic number 0x{magic:08x}, expected 0x{expected_magic:08x}"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    if len(raw) - header != expected:
        raise UserError(
            f"{path}: holds {len(raw) - header} data bytes, but its header {shape} "
            f"promises {expected} (truncated or padded file)"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def idx_count(path: Path) -> int:
    """The number of items an IDX file's header announces, read without reading the data (0 when
    the header is unreadable: `read_idx` then says what is wrong)."""
    try:
        with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as f:
            header = f.read(8)
    except (OSError, EOFError, zlib.error):
        return 0
    return int.from_bytes(header[4:8], "big") if len(header) == 8 else 0


def find_idx_pair(data_dir: Path, split: str) -> tuple[Path, Path] | None:
    """The split's image and label files in `data_dir` (gzipped or not), or None if absent."""
    found = []
    for name in idx_file_names(split):
        candidates = [data_dir / f"{name}.gz", data_dir / name]
        existing = [p for p in candidates if p.is_file()]
        if not existing:
            return None
        found.append(existing[0])
    return found[0], found[1]


def read_idx_split(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) uint8 of one split from its two IDX files."""
    pair = find_idx_pair(data_dir, split)
    if pair is None:
        raise UserError(f"{data_dir}: no IDX files for split {split!r}")
    count = idx_count(pair[0])
    require_memory(
        count * training_image_bytes(), f"--data-dir {data_dir}: {count} images", "use fewer"
    )
    images = read_idx(pair[0], IMAGES_MAGIC)
    labels = read_idx(pair[1], LABELS_MAGIC)
    return check_images_and_labels(images, labels, pair[0])


def read_npz_split(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split from a Keras `.npz` (x_train, y_train, x_test, y_test)."""
    x_key, y_key = NPZ_KEYS[split]
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in (x_key, y_key) if k not in npz.files]
            if missing:
                raise UserError(f"{path}: missing array(s) {', '.join(missing)}")
            images, labels = npz[x_key], npz[y_key]
    except (OSError, ValueError, EOFError) as err:
        raise UserError(f"{path}: not a readable .npz file ({err})") from None
    if images.dtype != np.uint8:
        raise UserError(f"{path}: {x_key} has dtype {images.dtype}, expected uint8")
    return check_images_and_labels(images, labels, path)


def check_images_and_labels(
    images: np.ndarray, labels: np.ndarray, source: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Refuse anything but (N, 28, 28) images with exactly N labels."""
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise UserError(f"{source}: images have shape {images.shape}, expected (N, 28, 28)")
    if labels.ndim != 1 or len(labels) != len(images):
        raise UserError(
            f"{source}: {len(images)} images but {len(labels)} labels; the counts must agree"
        )
    if len(images) == 0:
        raise UserError(f"{source}: holds no images")
    return images, labels.astype(np.int64)
