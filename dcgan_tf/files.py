"""Atomic file writes and moving an old run aside: a killed run never leaves half a file behind."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and an atomic rename."""
    return write_atomic_with(path, lambda tmp: tmp.write_bytes(data))


def write_atomic_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Let `write(tmp_path)` produce the file, then rename it over `path` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def move_aside(directory: str | Path, patterns: Iterable[str]) -> Path | None:
    """Move the files (and folders) in `directory` matching `patterns` into
    `directory/old-<timestamp>/`.

    Returns the new folder, or None when there was nothing to move.
    """
    directory = Path(directory)
    found = sorted(
        {p for pattern in patterns for p in directory.glob(pattern) if p.is_file() or p.is_dir()}
    )
    if not found:
        return None
    target = directory / time.strftime("old-%Y%m%d-%H%M%S")
    suffix = 1
    while target.exists():
        target = directory / f"{target.name.split('.')[0]}.{suffix}"
        suffix += 1
    target.mkdir(parents=True)
    for path in found:
        shutil.move(str(path), target / path.name)
    return target
