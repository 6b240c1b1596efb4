"""Going back to an older epoch: "training was good until epoch 20, then collapsed".

`--keep-every N` keeps every Nth epoch's checkpoint for good in CHECKPOINT_DIR/kept/epoch-NNNN
(`.index` and `.data-*`, with the run's config.json beside them). The checkpoint manager never
looks into that folder, so its rotation of the last three never deletes them, and `sample`,
`interpolate` and `evaluate --checkpoint CHECKPOINT_DIR/kept/epoch-0019` read them like any other.

`--resume-from PATH` turns the current folders back into a run stopped at PATH: PATH is copied in
as the newest checkpoint; the other checkpoints (kept ones after PATH included), later grids, GIF
and evaluation files move into `old-<time>/` folders (nothing is deleted); losses.csv and
quality.csv keep their rows up to PATH's step and epoch (full copies go into `old-<time>/`). The
run then resumes from it as from any checkpoint: same epoch, step, data order and random state.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import move_aside, write_atomic, write_atomic_with
from dcgan_tf.common.hooks import Hook
from dcgan_tf.run.checkpoints import CHECKPOINT_PREFIX, GanState
from dcgan_tf.run.folders import KEPT_FOLDER
from dcgan_tf.run.recovery import (
    damage,
    next_checkpoint_number,
    unique_folder,
    write_checkpoint,
    write_checkpoint_state,
)

KEPT_NAME = "epoch-{:04d}"
KEPT_PATTERN = re.compile(r"epoch-(\d+)\.")
# Output files that describe the generator after some epoch or step (the number in the name).
LATER_IMAGES = {
    "epoch": re.compile(r"image_at_epoch_(\d+)\.png"),
    "step": re.compile(r"image_at_step_(\d+)\.png"),
}
# Output files made from the newest generator, or drawing its later measurements (quality.png,
# redrawn at the next one): they belong to the run that went on.
NEWEST_FILES = ("dcgan.gif", "quality.png", "metrics.json", "interpolation_*")


class KeepEvery(Hook):
    """--keep-every N: after every Nth epoch, write the state as CHECKPOINT_DIR/kept/epoch-NNNN."""

    def __init__(
        self, checkpoint_dir: str | Path, every: int, log: Callable[[str], None] = print
    ) -> None:
        self.checkpoint_dir, self.every, self.log = Path(checkpoint_dir), every, log
        self.folder = self.checkpoint_dir / KEPT_FOLDER

    def on_train_begin(self, state: GanState) -> None:
        # A run killed while keeping a checkpoint leaves its temporary folder; the epoch is redone.
        for leftover in self.folder.glob("*_temp*"):
            shutil.rmtree(leftover, ignore_errors=True)

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        if epoch % self.every:
            return
        prefix = self.folder / KEPT_NAME.format(epoch)
        checkpoint = state.checkpoint()
        # Checkpoint.write skips the save counter that manager checkpoints hold, and a restore
        # asserts every object it knows is in the file: create it, so that it is written.
        checkpoint.save_counter  # noqa: B018

        def write() -> str:
            self.folder.mkdir(parents=True, exist_ok=True)
            return checkpoint.write(str(prefix))

        write_checkpoint(write, prefix, self.checkpoint_dir)
        config = self.checkpoint_dir / "config.json"
        if config.exists():  # so that readers of the kept checkpoint know the model's shape
            write_atomic(self.folder / "config.json", config.read_bytes())
        self.log(f"Kept {prefix} for good (--keep-every {self.every})")


def checkpoint_counters(path: str | Path) -> tuple[int, int]:
    """(epochs completed, steps completed) of a checkpoint; (0, 0) for the tutorial's own."""
    reader = tf.train.load_checkpoint(str(path))

    def value(name: str) -> int:
        key = f"{name}/.ATTRIBUTES/VARIABLE_VALUE"
        return int(reader.get_tensor(key)) if reader.has_tensor(key) else 0

    return value("epoch"), value("step")


def go_back_to(
    path: str | Path, checkpoint_dir: str | Path, out: str | Path, log: Callable[[str], None]
) -> None:
    """Make `checkpoint_dir` and `out` a run stopped at the checkpoint `path` (see the module)."""
    source, checkpoint_dir, out = Path(path), Path(checkpoint_dir), Path(out)
    reason = damage(source)
    if reason is not None:
        raise UserError(f"--resume-from {path}: cannot restore it: {reason}")
    epoch, step = checkpoint_counters(source)
    source_files = [p for p in source.parent.glob(f"{source.name}.*") if p.suffix != ".tmp"]

    # 1. The checkpoint folder: PATH copied in under a new number (the data first, the index
    # last), named alone in the state file, then the other checkpoints moved aside. A kill at
    # any moment leaves a folder that resumes either the later run or PATH, and loses nothing.
    target = f"{CHECKPOINT_PREFIX}-{next_checkpoint_number(checkpoint_dir)}"
    for file in sorted(source_files, key=lambda p: p.suffix == ".index"):
        copy = checkpoint_dir / (target + file.name[len(source.name) :])
        write_atomic_with(copy, lambda tmp, file=file: shutil.copyfile(file, tmp))
    write_checkpoint_state(checkpoint_dir, [target])
    others = [
        p.name
        for p in checkpoint_dir.glob(f"{CHECKPOINT_PREFIX}-*")
        if p.is_file() and not p.name.startswith(target + ".")
    ]
    moved = move_aside(checkpoint_dir, others)
    # Kept epochs after PATH belong to the run that went on; the new one would overwrite them.
    later_kept = [
        p.name
        for p in (checkpoint_dir / KEPT_FOLDER).glob("epoch-*.*")
        if (m := KEPT_PATTERN.match(p.name)) and int(m.group(1)) > epoch
    ]
    if later_kept:
        moved = moved or unique_folder(checkpoint_dir / time.strftime("old-%Y%m%d-%H%M%S"))
        (moved / KEPT_FOLDER).mkdir()
        for name in later_kept:
            shutil.move(str(checkpoint_dir / KEPT_FOLDER / name), moved / KEPT_FOLDER / name)

    # 2. The output folder: what came after PATH aside, the histories cut back to it.
    old_out = set_aside_later_outputs(out, epoch, step)
    log(
        f"--resume-from {path}: continuing from epoch {epoch}, step {step} "
        f"(as {checkpoint_dir / target}); the newer checkpoints are in "
        f"{moved or 'none'}, the later outputs in {old_out or 'none'} (nothing deleted)"
    )


def set_aside_later_outputs(out: Path, epoch: int, step: int) -> Path | None:
    """Move grids after `epoch`/`step` and the newest-generator files into out/old-<time>/; cut
    losses.csv and quality.csv back to `step` and `epoch`, keeping full copies there."""
    last = {"epoch": epoch, "step": step}
    later = [
        p.name
        for p in out.glob("image_at_*.png")
        for kind, pattern in LATER_IMAGES.items()
        if (m := pattern.fullmatch(p.name)) and int(m.group(1)) > last[kind]
    ]
    old = move_aside(out, (*later, *NEWEST_FILES))
    for name, column, last in (("losses.csv", "step", step), ("quality.csv", "epoch", epoch)):
        path = out / name
        if not path.exists():
            continue
        old = old or unique_folder(out / time.strftime("old-%Y%m%d-%H%M%S"))
        shutil.copy2(path, old / name)
        keep_rows_up_to(path, column, last)
    return old


def keep_rows_up_to(path: Path, column: str, last: int) -> None:
    """Rewrite the CSV `path` (atomically) without the rows whose `column` exceeds `last`."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames or [], [r for r in reader if int(r[column]) <= last]
    text = io.StringIO()
    writer = csv.DictWriter(text, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, text.getvalue().encode())
