"""Training data: MNIST or Fashion-MNIST from tensorflow-datasets, or offline from a folder of
its files, or any folder of pictures (`--dataset folder`).

Every source gives the same thing: uint8 images (N, 28, 28) and their labels. (The notebook calls
`tf.keras.datasets.mnist.load_data()`: the same 60,000 training digits. Its offline file, Keras'
`mnist.npz`, is read here with `--data-dir`.) `tutorial/dataset.py` scales and batches them.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from pathlib import Path

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.limits import require_memory
from dcgan_tf.data.readers import (
    TRAINING_IMAGE_BYTES,
    find_idx_pair,
    idx_file_names,
    read_idx_split,
    read_npz_split,
)


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
    request = f"--data-dir {folder}: {len(paths)} pictures"
    require_memory(len(paths) * channels * TRAINING_IMAGE_BYTES, request, "use fewer")
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
    """`tfds.load(dataset)`'s data, downloaded once and cached by tfds (the notebook downloads the
    same digits with `keras.datasets.mnist.load_data()`)."""
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
