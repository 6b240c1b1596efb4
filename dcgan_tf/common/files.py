"""Atomic file (and folder) writes and moving an old run aside: a killed run never leaves half a
file behind."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dcgan_tf.common.errors import UserError, WriteFailed


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and an atomic rename."""
    return write_atomic_with(path, lambda tmp: tmp.write_bytes(data))


def write_atomic_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Let `write(tmp_path)` produce the file, then rename it over `path` in one step.

    A failed write (a full disk, a folder that cannot be written) removes the temporary file,
    leaves `path` as it was and raises WriteFailed naming the file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except OSError as err:
        raise WriteFailed(f"could not write {path}: {err.strerror or err}") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return path


def write_folder_atomic(folder: str | Path, write: Callable[[Path], object]) -> Path:
    """Let `write(tmp_folder)` fill a new folder beside `folder`, then swap it in at once.

    Until the swap, `folder` (an earlier version, or nothing) stays as it was: a writer killed
    at any moment leaves it whole, and its half-written `.NAME.writing/` is no folder a reader
    opens. The caller holds the folder's lock (one writer at a time): the leftovers of a killed
    writer are removed here. A failed write raises WriteFailed and leaves `folder` as it was.
    """
    folder = Path(os.path.abspath(folder))
    tmp, old = (folder.with_name(f".{folder.name}.{kind}") for kind in ("writing", "previous"))
    if old.is_dir() and not folder.exists():  # killed between the two renames of `swap_in`
        os.rename(old, folder)
    for leftover in (tmp, old):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        write(tmp)
        swap_in(tmp, folder, old)
    except OSError as err:
        raise WriteFailed(f"could not write {folder}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # after the swap, the earlier version
    return folder


def swap_in(new: Path, folder: Path, old: Path) -> None:
    """Put the folder `new` in the place of `folder`: one atomic exchange where the system has
    one (`new` then holds the earlier version); else `folder` renamed to `old` first."""
    if not folder.exists():
        os.rename(new, folder)
    elif not exchange(new, folder):
        os.rename(folder, old)
        os.rename(new, folder)
        shutil.rmtree(old, ignore_errors=True)


RENAME_EXCHANGE, AT_FDCWD = 2, -100  # linux/fs.h, fcntl.h


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux's renameat2 with RENAME_EXCHANGE); False where the
    system or the file system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def keep_marker(command: str) -> str:
    """The line of a generated report below which `command` keeps what people wrote."""
    return f"<!-- {command} rewrites what is above this line and keeps what follows -->"


def kept_below(report: Path, marker: str) -> str:
    """What an existing report holds from `marker` on (results measured by other commands, notes
    on the numbers), to be written again after the regenerated part; "" without the marker."""
    text = report.read_text() if report.exists() else ""
    return "\n" + text[text.index(marker) :] if marker in text else ""


def replace_marked_section(report: Path, name: str, section: str) -> None:
    """Put `section` between `<!-- NAME:start -->` and `<!-- NAME:end -->` in `report`, in place
    of what they held (appended, with the markers, when they are missing); the rest is kept."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = report.read_text() if report.exists() else ""
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_atomic(report, text.encode())


def check_writable_folder(folder: str | Path, flag: str) -> Path:
    """Create `folder` if needed and prove that a file can be written there, before a run
    starts: a read-only or misnamed folder is refused at once, not after an hour of training."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{flag} {folder}: is a file, not a folder; name a folder")
    prove_writable(folder, f"{flag} {folder}")
    return folder


@contextlib.contextmanager
def new_folders_removed_if_empty(folders: Iterable[str | Path]) -> Iterator[None]:
    """Remove again, when the block ends, the folders of `folders` (and their parents) that did
    not exist when it began and are empty at its end: a command refused before it wrote anything
    leaves no folders behind. Folders that existed before stay, and so does any folder something
    was written into (`rmdir` removes empty folders only)."""
    new = set()
    for folder in folders:
        absolute = Path(folder).absolute()
        new.update(path for path in (absolute, *absolute.parents) if not path.exists())
    try:
        yield
    finally:
        for folder in sorted(new, key=lambda path: len(path.parts), reverse=True):  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()


def check_output_file(path: str | Path, flag: str) -> Path:
    """The same for a file a command will write: not an existing folder, and its folder
    writable (created if needed)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path}: is a folder, not a file; name a file")
    prove_writable(path.parent, f"{flag} {path}")
    return path


def prove_writable(folder: Path, named: str) -> None:
    """Create `folder` and write a temporary file there, or raise a UserError about `named`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise UserError(f"{named}: cannot write there ({err.strerror or err})") from None


def move_aside(directory: str | Path, patterns: Iterable[str], prefix: str = "old") -> Path | None:
    """Move the files (and folders) in `directory` matching `patterns` into
    `directory/<prefix>-<timestamp>/`.

    Returns the new folder, or None when there was nothing to move.
    """
    directory = Path(directory)
    found = sorted(
        {p for pattern in patterns for p in directory.glob(pattern) if p.is_file() or p.is_dir()}
    )
    if not found:
        return None
    target = unique_folder(directory / time.strftime(f"{prefix}-%Y%m%d-%H%M%S"))
    for path in found:
        shutil.move(str(path), target / path.name)
    return target


def set_aside(
    path: str | Path,
    why: str,
    log: Callable[[str], None],
    then: str = "went on without it",
    along: Iterable[str | Path] = (),
) -> Path:
    """Move the damaged file (or folder) `path` into `damaged-<time>/` beside it, never deleting
    it, and say so in one line; returns its new path. For the side files a run only appends to
    or rebuilds: the run goes on without them. `along`: files beside it that it describes (a
    record's checkpoint), moved into the same folder with it and named in the line."""
    path = Path(path)
    target = unique_folder(path.parent / time.strftime("damaged-%Y%m%d-%H%M%S")) / path.name
    shutil.move(str(path), target)
    moved = [Path(p) for p in along]
    for companion in moved:
        shutil.move(str(companion), target.parent / companion.name)
    beside = f" (with {', '.join(sorted(p.name for p in moved))} beside it)" if moved else ""
    log(f"warning: {path} is damaged ({why}); moved it to {target}{beside} and {then}")
    return target


def unique_folder(target: Path) -> Path:
    """Create and return `target`, or `target.1`, `target.2`, ... if it exists."""
    target = free_name(target)
    target.mkdir(parents=True)
    return target


def free_name(target: Path, *beside: Path) -> Path:
    """`target`, or `target.1`, `target.2`, ...: the first of them that does not exist yet, nor
    under its name in any of the folders `beside`."""
    base, suffix = target, 1
    while target.exists() or any((folder / target.name).exists() for folder in beside):
        target = base.with_name(f"{base.name}.{suffix}")
        suffix += 1
    return target


def remove_dead_temporary_files(folder: str | Path) -> list[Path]:
    """Remove the temporary files of `write_atomic_with` whose writer process is gone (a run
    killed mid-write); a live writer's file is left alone."""
    removed = []
    for tmp in Path(folder).glob(".*.tmp-*"):
        pid = tmp.name.rsplit(".tmp-", 1)[1].split(".")[0]
        if not pid.isdigit() or process_alive(int(pid)):
            continue
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this PID exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
