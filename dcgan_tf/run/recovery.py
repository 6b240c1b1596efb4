"""Checkpoints that survive faults: a damaged one is skipped (never deleted), a failed save leaves
no trace, and each save gets a number of its own.

- `damage(path)` says why a checkpoint would not restore (a truncated or corrupt data file, a
  missing shard, an unreadable index) by reading every tensor back, without touching any model:
  a half-restored state can never leak into the checkpoint tried next.
- `newest_intact` is what readers (`sample`, `interpolate`, `evaluate`) use: the newest checkpoint
  that reads back whole, one line for each newer one skipped; nothing is moved.
- `recover_newest` is what a resuming run uses: the same choice, and then the damaged newer
  checkpoints are moved into `damaged-<time>/` beside them and the `checkpoint` state file is
  rewritten to name the survivors, so that the checkpoint manager neither deletes them as it
  rotates nor reuses their names.
- `save_next_checkpoint` saves under a number no file in the folder has yet; if the disk is full
  or the folder not writable, it removes the unfinished files (`ckpt-N_temp/`, `ckpt-N.*`) and
  raises WriteFailed: the previous checkpoint stays intact and the newest one named.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from dcgan_tf.common.errors import UserError, WriteFailed
from dcgan_tf.common.files import set_aside, unique_folder, write_atomic
from dcgan_tf.run.checkpoints import CHECKPOINT_PREFIX

NUMBERED = re.compile(rf"{CHECKPOINT_PREFIX}-(\d+)(?:\.|_temp)")
# The causes worth naming on their own; any other error is named by its first line.
KNOWN_CAUSES = ("No space left on device", "Permission denied", "Read-only file system")


def first_line(err: BaseException) -> str:
    """The gist of an error: a known cause if it names one, else its first line."""
    text = str(getattr(err, "message", "") or err).strip() or type(err).__name__
    return next((cause for cause in KNOWN_CAUSES if cause in text), text.splitlines()[0])


def damage(path: str | Path) -> str | None:
    """Why the checkpoint `path` (a prefix such as ck/ckpt-3) would not restore, or None when
    its index and every tensor of its data read back (the reads check each tensor's CRC)."""
    prefix = Path(path)
    if not Path(f"{prefix}.index").is_file():
        return f"its index file {prefix.name}.index is missing"
    shards = sorted(prefix.parent.glob(f"{prefix.name}.data-*-of-*"))
    if not shards:
        return f"its data file {prefix.name}.data-00000-of-00001 is missing"
    total = int(shards[0].name.rsplit("-of-", 1)[1])
    for i in range(total):
        shard = f"{prefix.name}.data-{i:05d}-of-{total:05d}"
        if not (prefix.parent / shard).is_file():
            return f"its data file {shard} is missing"
    try:
        reader = tf.train.load_checkpoint(str(prefix))
    except Exception as err:  # any failure to read means: not restorable
        return f"its index {prefix.name}.index is unreadable ({first_line(err)})"
    try:
        for key in reader.get_variable_to_dtype_map():
            reader.get_tensor(key)
    except Exception as err:  # IndexError, DataLossError, ... alike
        return f"its data is truncated or corrupt ({first_line(err)})"
    return None


def listed_checkpoints(directory: str | Path) -> tuple[list[str], bool]:
    """The run's checkpoints in `directory`, oldest first, and whether the `checkpoint` state
    file listed them. When that file is missing or unreadable, every ckpt-N with an index
    file counts, by number: a damaged state file must not make a run start over."""
    directory = Path(directory)
    try:
        state = tf.train.get_checkpoint_state(str(directory))
    except UnicodeDecodeError:  # bytes that are not text: as unreadable as garbled text
        state = None
    if state is not None and state.model_checkpoint_path:
        paths = [p for p in state.all_model_checkpoint_paths if p != state.model_checkpoint_path]
        return [*paths, state.model_checkpoint_path], True
    numbers = sorted(
        int(m.group(1))
        for p in directory.glob(f"{CHECKPOINT_PREFIX}-*.index")
        if (m := NUMBERED.match(p.name))
    )
    return [str(directory / f"{CHECKPOINT_PREFIX}-{n}") for n in numbers], False


def newest_intact(
    directory: str | Path, log: Callable[[str], None], paths: list[str] | None = None
) -> str | None:
    """The newest checkpoint in `directory` that restores; `log` gets one line per newer one
    skipped and why. None for a folder without checkpoints; a UserError when all are damaged."""
    if paths is None:
        paths, _ = listed_checkpoints(directory)
    for path in reversed(paths):
        reason = damage(path)
        if reason is None:
            return path
        log(f"warning: skipping the damaged checkpoint {path}: {reason}")
    if paths:
        raise UserError(
            f"none of the {len(paths)} checkpoint(s) in {directory} restores (see above); "
            "use --fresh to start over (the damaged ones are moved aside), or another folder"
        )
    return None


def recover_newest(directory: str | Path, log: Callable[[str], None]) -> str | None:
    """Before resuming: make the newest intact checkpoint the newest one the folder names.

    Damaged newer checkpoints are moved into `directory/damaged-<time>/`, never deleted; the
    temporary folder of a save cut short by a kill is removed (the caller holds the folder's lock).
    """
    directory = Path(directory)
    for leftover in directory.glob(f"{CHECKPOINT_PREFIX}-*_temp*"):  # a save cut short by a kill
        shutil.rmtree(leftover, ignore_errors=True)
    paths, from_state = listed_checkpoints(directory)
    good = newest_intact(directory, log, paths)
    state_file = directory / "checkpoint"
    if not from_state and state_file.exists():  # unreadable: kept aside, rebuilt below if need be
        then = "rebuilt it from the ckpt-N files" if good else "started without it (no ckpt-N file)"
        set_aside(state_file, "TensorFlow cannot read it", log, then)
    if good is None:
        return None
    damaged = paths[paths.index(good) + 1 :]
    if damaged:
        target = unique_folder(directory / time.strftime("damaged-%Y%m%d-%H%M%S"))
        for path in damaged:
            for file in Path(path).parent.glob(f"{Path(path).name}.*"):
                shutil.move(str(file), target / file.name)
        log(f"Moved the damaged checkpoint(s) {', '.join(damaged)} to {target} (not deleted)")
    if damaged or not from_state:
        survivors = [Path(p).name for p in paths[: paths.index(good) + 1]]
        write_checkpoint_state(directory, survivors)
    return good


def write_checkpoint_state(directory: str | Path, names: list[str]) -> None:
    """Write the `checkpoint` state file naming `names` (oldest first, the last the newest), as
    the manager writes it: paths relative to the folder, so that the folder may be moved, and
    with timestamps, without which the manager would stop rotating (deleting) them."""
    directory = Path(directory)
    lines = [f'model_checkpoint_path: "{names[-1]}"']
    lines += [f'all_model_checkpoint_paths: "{name}"' for name in names]
    lines += [
        f"all_model_checkpoint_timestamps: {(directory / f'{name}.index').stat().st_mtime}"
        for name in names
    ]
    write_atomic(Path(directory) / "checkpoint", ("\n".join(lines) + "\n").encode())


def next_checkpoint_number(directory: str | Path) -> int:
    """One more than any ckpt-N in `directory`, listed, merely on disk or moved aside as damaged:
    a new checkpoint never takes the name of an older one (the manager on its own would count
    from 1 after a resume)."""
    paths, _ = listed_checkpoints(directory)
    names = [Path(p).name + "." for p in paths] + [p.name for p in Path(directory).iterdir()]
    names += [p.name for p in Path(directory).glob("damaged-*/*")]
    return 1 + max((int(m.group(1)) for n in names if (m := NUMBERED.match(n))), default=0)


def save_next_checkpoint(manager: tf.train.CheckpointManager) -> str:
    """`manager.save()` under a fresh number; on a failed write, clean up and raise WriteFailed."""
    directory = Path(manager.directory)
    number = next_checkpoint_number(directory)
    prefix = directory / f"{CHECKPOINT_PREFIX}-{number}"
    return write_checkpoint(lambda: manager.save(checkpoint_number=number), prefix, directory)


def write_checkpoint(save: Callable[[], str], prefix: Path, directory: Path) -> str:
    """Run `save()`, which writes the checkpoint `prefix`; if it fails, remove what it left
    (`prefix_temp*/`, `prefix.*`) and raise WriteFailed naming the newest intact checkpoint."""
    try:
        return save()
    except (tf.errors.OpError, OSError) as err:
        remove_unfinished(prefix, directory)
        newest = tf.train.latest_checkpoint(str(directory)) or "none yet"
        raise WriteFailed(
            f"could not write the checkpoint {prefix}: {first_line(err)}; the newest checkpoint "
            f"is still {newest}, intact; free space or fix the folder and rerun to resume"
        ) from None


def remove_unfinished(prefix: Path, directory: Path) -> None:
    """Remove the files of the checkpoint `prefix` unless the state file names it as written."""
    listed, _ = listed_checkpoints(directory)
    if any(Path(p).name == prefix.name and Path(p).parent == prefix.parent for p in listed):
        return
    for leftover in prefix.parent.glob(f"{prefix.name}_temp*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in prefix.parent.glob(f"{prefix.name}.*"):
        with contextlib.suppress(OSError):
            leftover.unlink()
