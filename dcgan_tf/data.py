"""Training data: MNIST or Fashion-MNIST from tensorflow-datasets, or offline from a folder of
its files, or any folder of pictures (`--dataset folder`).

Every source gives the same thing: uint8 images (N, 28, 28) and their labels. `to_model_range`
scales them as the tutorial does ([-1, 1], float32, (28, 28, 1)); `make_dataset` is its pipeline:
shuffled over the whole set, batched, prefetched; every image is seen once per epoch.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from pathlib import Path

import numpy as np
import tensorflow as tf

from dcgan_tf.errors import UserError
from dcgan_tf.readers import find_idx_pair, idx_file_names, read_idx_split, read_npz_split


def load_split(
    dataset: str, split: str, data_dir: str | None, channels: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) of `dataset`'s `split`.

    `--dataset folder` reads any images instead: (N, 28, 28[, 3]), with labels all 0.
    """
    if dataset == "folder":
        return load_image_folder(Path(str(data_dir)), channels)
    if data_dir is not None:
        return load_mnist_files(Path(data_dir), dataset, split)
    return load_from_tfds(dataset, split)


def load_mnist_files(data_dir: Path, dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read the split's two IDX files (gzipped or not), else `<dataset>.npz` (Keras' layout)."""
    if not data_dir.is_dir():
        raise UserError(f"--data-dir {data_dir}: no such directory")
    if find_idx_pair(data_dir, split) is not None:
        return read_idx_split(data_dir, split)
    npz = data_dir / f"{dataset}.npz"
    if npz.is_file():
        return read_npz_split(npz, split)
    images, labels = idx_file_names(split)
    raise UserError(
        f"--data-dir {data_dir}: found neither {images}.gz and {labels}.gz (gzipped or not) "
        f"nor {npz.name}"
    )


IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg"}


def load_image_folder(folder: Path, channels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every PNG/JPEG under `folder` (recursively), resized to 28x28, gray or RGB."""
    from PIL import Image, UnidentifiedImageError

    if not folder.is_dir():
        raise UserError(f"--data-dir {folder}: no such directory")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    images, skipped = [], 0
    for path in paths:
        try:
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                images.append(np.asarray(image.resize((28, 28), Image.Resampling.LANCZOS)))
        except (OSError, UnidentifiedImageError, ValueError):
            skipped += 1
    if skipped:
        print(f"Skipped {skipped} unreadable image file(s) of {len(paths)} in {folder}")
    if not images:
        raise UserError(
            f"--data-dir {folder}: no readable PNG or JPEG image (searched recursively)"
        )
    return np.stack(images).astype(np.uint8), np.zeros(len(images), np.int64)


def has_split(data_dir: Path, dataset: str, split: str) -> bool:
    """True when `data_dir` holds the split's IDX files or `<dataset>.npz`."""
    return find_idx_pair(data_dir, split) is not None or (data_dir / f"{dataset}.npz").is_file()


def load_from_tfds(dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's source: `tfds.load(dataset)`, downloaded once and cached by tfds."""
    try:
        import tensorflow_datasets as tfds

        builder = tfds.builder(dataset)
    except ImportError as err:  # e.g. tfds 4.9.10 without importlib_resources
        raise UserError(f"tensorflow-datasets cannot load: {err}; run `make setup`") from None
    if not builder.is_prepared():
        url = getattr(type(builder), "URL", "https://storage.googleapis.com/")
        host = urllib.parse.urlparse(url).hostname or "storage.googleapis.com"
        if not can_connect(host):
            # tfds would otherwise retry for minutes before failing with a ConnectionError.
            images, labels = idx_file_names(split)
            raise UserError(
                f"cannot download {dataset} ({host} is unreachable) and it is not in the tfds "
                f"cache; pass --data-dir DIR holding {images}.gz and {labels}.gz "
                f"(or {dataset}.npz)"
            )
        builder.download_and_prepare()
    data = builder.as_dataset(split=split, as_supervised=True, batch_size=-1)
    images, labels = tfds.as_numpy(data)
    return images[..., 0], labels.astype(np.int64)


def can_connect(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    """True when a TCP connection to `host` opens within `timeout` seconds (DNS included)."""
    result = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            pass

    # A thread bounds the DNS lookup too, which socket timeouts do not cover.
    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout + 1)
    return bool(result)


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28[, C]) -> float32 (N, 28, 28, C) in [-1, 1], as the tutorial scales them."""
    pixels = images.astype(np.float32)
    pixels = pixels[..., np.newaxis] if pixels.ndim == 3 else pixels
    return (pixels - 127.5) / 127.5  # the tutorial's own expression


def make_dataset(
    images: tf.Tensor,
    batch_size: int,
    seed: int,
    epoch: int,
    skip_batches: int = 0,
    labels: tf.Tensor | None = None,
) -> tf.data.Dataset:
    """One epoch of shuffled batches of `images` (float32, already scaled): tuples `(images,)`,
    or `(images, labels)` when labels are given (the conditional model).

    The order depends only on (seed, epoch), so a resumed run sees the same batches as an
    uninterrupted one; `skip_batches` skips those an interrupted epoch already trained on.
    The last batch may be partial: the train step takes any batch size without retracing.
    """
    count = int(images.shape[0])
    # Shuffle indices over the whole set (the tutorial's buffer of 60000 = the whole train split),
    # then gather: the same permutation without copying every image through the shuffle buffer.
    order = tf.data.Dataset.range(count).shuffle(count, seed=seed * 100_003 + epoch)
    batches = order.batch(batch_size).skip(skip_batches)
    arrays = (images,) if labels is None else (images, labels)

    def gather(idx: tf.Tensor) -> tuple[tf.Tensor, ...]:
        return tuple(tf.gather(array, idx) for array in arrays)

    # A batch is gathered in about a millisecond: two ready ahead of the train step are plenty.
    return batches.map(gather).prefetch(2).with_options(without_autotune())


def without_autotune() -> tf.data.Options:
    """tf.data's autotuning off. Its background thread wakes at periods doubling from 10 ms to
    60 s, and deleting an epoch's iterator waits for its next wake-up: whole idle seconds
    between epochs (20 s after an epoch of 21 s; BENCHMARKS.md, "Slow epochs")."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return options
