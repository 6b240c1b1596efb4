"""Training data: MNIST or Fashion-MNIST from tensorflow-datasets, or offline from a folder of
its files, or any folder of pictures (`--dataset folder`).

Every source gives the same thing: uint8 images (N, S, S) and their labels, S = --image-size
(28, the digits' own size, unless asked; `pictures.py` resizes). (The notebook calls
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
from dcgan_tf.data.picture_cache import load_prepared_folder, picture_shape
from dcgan_tf.data.pictures import (
    decode_into,
    picture_files,
    resize_images,
    skipped_line,
)
from dcgan_tf.data.readers import (
    find_idx_pair,
    idx_file_names,
    read_idx_split,
    read_npz_split,
    training_image_bytes,
)


def load_split(
    dataset: str,
    split: str,
    data_dir: str | None,
    channels: int = 1,
    image_size: int = 28,
    crop: int = 0,
    cache_dir: str | Path | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, S, S) uint8 and labels (N,) of `dataset`'s `split`, S = `image_size`.

    `--dataset folder` reads any pictures instead: (N, S, S[, 3]), with labels all 0; with a
    `cache_dir`, prepared once there and read back as a memory map (`picture_cache.py`).
    """
    if dataset == "folder":
        folder = Path(str(data_dir))
        if not folder.is_dir():
            raise UserError(f"--data-dir {folder}: no such directory")
        if cache_dir is None:
            return load_image_folder(folder, channels, image_size, crop)
        images = load_prepared_folder(folder, Path(cache_dir), image_size, channels, crop)
        return images, np.zeros(len(images), np.int64)
    if data_dir is not None:
        images, labels = load_mnist_files(Path(data_dir), dataset, split)
    else:
        images, labels = load_from_tfds(dataset, split)
    if image_size != images.shape[1]:
        request = f"{len(images)} {dataset} images at {image_size}x{image_size}"
        require_memory(len(images) * training_image_bytes(image_size), request, "use fewer")
    return resize_images(images, image_size), labels


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


def load_image_folder(
    folder: Path, channels: int = 1, image_size: int = 28, crop: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Every picture under `folder` (recursively), decoded into memory (no cache): center-cropped
    and resized to `image_size`, gray or RGB (`pictures.py`)."""
    if not folder.is_dir():
        raise UserError(f"--data-dir {folder}: no such directory")
    paths = picture_files(folder)
    request = f"--data-dir {folder}: {len(paths)} pictures"
    require_memory(len(paths) * channels * training_image_bytes(image_size), request, "use fewer")
    images = np.empty((len(paths), *picture_shape(image_size, channels)), np.uint8)
    kept = decode_into(images, paths, channels, crop)
    if kept < len(paths):
        print(skipped_line(len(paths) - kept, len(paths), folder))
    if not kept:
        raise UserError(f"--data-dir {folder}: no readable picture file (searched recursively)")
    return images[:kept], np.zeros(kept, np.int64)


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
