"""One run per folder: an exclusive lock on a run's checkpoint and output folders.

The lock is `fcntl.flock` on a `.lock` file in the folder. The operating system holds it for the
process and drops it when the process ends, however it ends (`kill -9` included), so a lock left
by a dead run never blocks the next one; the file itself stays and only records the holder's PID
for the message a second run prints (a run that wrote nothing, refused up front, removes it).
Readers (`sample`, `evaluate`) take no lock: they read only checkpoints the `checkpoint` state file
names, and TensorFlow names a checkpoint there only once it is completely written.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from dcgan_tf.common.errors import UserError

LOCK_NAME = ".lock"


class FolderInUse(UserError):
    """Another live process holds the folder's lock."""


class FolderLock:
    """An exclusive, non-blocking lock on `folder`; `flag` names it in the message."""

    def __init__(self, folder: str | Path, flag: str) -> None:
        self.path = Path(folder) / LOCK_NAME
        self.flag = flag
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise UserError(
                f"{self.flag} {self.path.parent}: cannot create the lock file {self.path.name} "
                f"({err.strerror or err})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUse(
                f"{self.flag} {self.path.parent} is in use by another run (PID {holder}); "
                "wait for it to end, stop it, or use another folder"
            ) from None
        if not same_file(fd, self.path):  # the folder was replaced whole meanwhile (an export's
            os.close(fd)  # swap): the lock that counts is the one in the folder there now
            return self.acquire()
        # Ours now: record our PID for the message a second run would print (best effort: on a
        # full disk the lock holds all the same, and the write that fails next says why).
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        # Alone in its folder, the lock file is removed while still held: a run that starts now
        # is refused as the lock was ours, or creates a new lock file of its own.
        with contextlib.suppress(OSError):
            if os.listdir(self.path.parent) == [LOCK_NAME]:
                self.path.unlink()
        os.close(self.fd)  # closing the last descriptor drops the flock
        self.fd = None


def same_file(fd: int, path: Path) -> bool:
    """Whether the open file `fd` is still the file at `path`."""
    try:
        here = os.stat(path)
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (here.st_dev, here.st_ino)


@contextlib.contextmanager
def lock_folders(folders: dict[str, str | Path]) -> Iterator[None]:
    """Hold the lock of each folder ({flag: folder}) for the block; one folder named twice (the
    same --out and --checkpoint-dir) is locked once, as flock would refuse a second lock."""
    locks, seen = [], set()
    try:
        for flag, folder in folders.items():
            key = Path(folder).resolve()
            if key in seen:
                continue
            seen.add(key)
            lock = FolderLock(folder, flag)
            lock.acquire()
            locks.append(lock)
        yield
    finally:
        for lock in reversed(locks):
            lock.release()
