"""A folder of pictures decoded once: prepared into a uint8 `.npy` on disk, read back through a
memory map on every later run.

The cache is `<cache_dir>/<folder>-<path hash>-<S>x<S>x<C>-<crop>-<key>.npy`, beside a `.json`
that says what it holds. The key hashes the folder's picture files (relative names, sizes,
modification times), the size, crop, channels and filter: a file added, removed or changed, or
another size, is another key. A folder whose cache at these settings has another key changed
since: it is prepared again (one line says so) and the old cache is removed.

Both files are written atomically, the `.json` first: the `.npy` appears last, whole, so a
preparation killed halfway leaves only temporary files (removed on the next run), never a cache
that is trusted later.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import remove_dead_temporary_files, write_atomic, write_atomic_with
from dcgan_tf.common.limits import require_disk
from dcgan_tf.data.pictures import RESAMPLE_NAME, decode_into, picture_files, skipped_line

FORMAT = 1  # of the cache files: a change here prepares every folder again
CHUNK = 4096  # rows copied at a time when unreadable files leave rows over


def picture_shape(size: int, channels: int) -> tuple[int, ...]:
    """One picture's array shape: (S, S) gray, as MNIST's digits, or (S, S, 3) colour."""
    return (size, size) if channels == 1 else (size, size, channels)


def folder_key(folder: Path, paths: list[Path], size: int, channels: int, crop: int) -> str:
    """What the prepared pictures depend on, hashed: the files' names, sizes and modification
    times, and the settings."""
    files = []
    for path in paths:
        stat = path.stat()
        files.append([path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns])
    settings = [FORMAT, size, channels, crop, RESAMPLE_NAME]
    return hashlib.sha256(json.dumps([settings, files]).encode()).hexdigest()[:16]


def cache_prefix(folder: Path, size: int, channels: int, crop: int) -> str:
    """The name every cache of `folder` at these settings starts with (the key follows)."""
    where = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:8]
    return f"{folder.resolve().name}-{where}-{size}x{size}x{channels}-crop{crop or 'square'}-"


def load_prepared_folder(
    folder: Path,
    cache_dir: Path,
    size: int,
    channels: int = 1,
    crop: int = 0,
    log: Callable[[str], None] = print,
) -> np.ndarray:
    """The pictures of `folder`, uint8 (N, S, S[, 3]), as a read-only memory map of their
    cache; prepared first when the folder is new or changed since."""
    paths = picture_files(folder)
    if not paths:
        raise UserError(f"--data-dir {folder}: no readable picture file (searched recursively)")
    prefix = cache_prefix(folder, size, channels, crop)
    npy = cache_dir / f"{prefix}{folder_key(folder, paths, size, channels, crop)}.npy"
    about = read_about(npy)
    images = open_cache(npy, about, size, channels)
    if images is None:
        older = [p for p in cache_dir.glob("*.npy") if p.name.startswith(prefix) and p != npy]
        if older:
            log(f"{folder} changed since it was prepared (files added, removed or modified): "
                "preparing it again")  # fmt: skip
        about = prepare(folder, paths, npy, size, channels, crop, log)
        for old in older:  # a changed folder's old pictures: never read again
            with contextlib.suppress(OSError):
                old.unlink()
                old.with_suffix(".json").unlink()
        images = open_cache(npy, about, size, channels)
        if images is None:
            raise UserError(f"{npy}: written but not readable back; is the disk full?")
    else:
        log(f"Read {len(images)} pictures of {folder} prepared in {npy}")
    if len(images) < about["files"]:
        log(skipped_line(about["files"] - len(images), about["files"], folder))
    if not len(images):
        raise UserError(f"--data-dir {folder}: no readable picture file (searched recursively)")
    return images


def read_about(npy: Path) -> dict | None:
    """The `.json` beside a cache, or None when it is missing or unreadable."""
    try:
        about = json.loads(npy.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None
    return about if isinstance(about, dict) else None


def open_cache(npy: Path, about: dict | None, size: int, channels: int) -> np.ndarray | None:
    """The cache as a read-only memory map, or None when it is absent or not what its `.json`
    says (a cache is trusted only whole: then it can be read back as written)."""
    if about is None or not npy.is_file():
        return None
    try:
        images = np.load(npy, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    whole = images.dtype == np.uint8 and images.shape[1:] == picture_shape(size, channels)
    return images if whole and len(images) <= about.get("files", -1) else None


def prepare(
    folder: Path,
    paths: list[Path],
    npy: Path,
    size: int,
    channels: int,
    crop: int,
    log: Callable[[str], None],
) -> dict:
    """Decode every picture of `paths` into `npy` and write its `.json` first; returns what the
    `.json` says."""
    shape = picture_shape(size, channels)
    request = f"--data-dir {folder}: {len(paths)} pictures at {size}x{size}x{channels}"
    require_disk(len(paths) * int(np.prod(shape)) + 4096, npy.parent, request)
    npy.parent.mkdir(parents=True, exist_ok=True)
    remove_dead_temporary_files(npy.parent)  # of a preparation killed before
    log(f"Preparing {len(paths)} pictures of {folder} at {size}x{size}x{channels} into "
        f"{npy} (once: later runs read it back)")  # fmt: skip
    about = {"folder": str(folder.resolve()), "files": len(paths), "image_size": size}
    about |= {"channels": channels, "crop": crop, "filter": RESAMPLE_NAME}
    write_atomic(npy.with_suffix(".json"), (json.dumps(about, indent=2) + "\n").encode())

    def write(tmp: Path) -> None:
        rows = np.lib.format.open_memmap(tmp, "w+", np.uint8, (len(paths), *shape))
        kept = decode_into(rows, paths, channels, crop)
        rows.flush()
        del rows
        if kept < len(paths):
            keep_first_rows(tmp, kept)

    write_atomic_with(npy, write)  # the .npy appears last, and whole
    return about


def keep_first_rows(npy: Path, count: int) -> None:
    """Cut the `.npy` at `npy` down to its first `count` rows (the pictures read; the unreadable
    files left rows over at the end), through a copy beside it."""
    rows = np.load(npy, mmap_mode="r")
    shorter = npy.with_name(f"{npy.stem}.short.npy")
    out = np.lib.format.open_memmap(shorter, "w+", np.uint8, (count, *rows.shape[1:]))
    for start in range(0, count, CHUNK):
        end = min(start + CHUNK, count)
        out[start:end] = rows[start:end]
    out.flush()
    del out, rows
    os.replace(shorter, npy)
