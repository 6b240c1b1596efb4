"""Going back to an older epoch: "training was good until epoch 20, then collapsed".

`--keep-every N` keeps every Nth epoch's checkpoint for good in CHECKPOINT_DIR/kept/epoch-NNNN
(`.index` and `.data-*`, with the run's config.json beside them). The checkpoint manager never
looks into that folder, so its rotation of the last three never deletes them, and `sample`,
`interpolate` and `evaluate --checkpoint CHECKPOINT_DIR/kept/epoch-0019` read them like any other.

`--resume-from PATH` turns the current folders back into a run stopped at PATH: PATH is copied in
as the newest checkpoint; the other checkpoints (kept ones after PATH included), later grids, GIF
and evaluation files move into `old-<time>/` folders (nothing is deleted); losses.csv and
quality.csv keep their rows up to PATH's step and epoch, and TensorBoard's events theirs (full
copies of the three go into `old-<time>/`). The run then resumes from it as from any checkpoint:
same epoch, step, data order and random state.

Going back is journaled (`move_journal.py`): every copy and move is written down in
CHECKPOINT_DIR/going-back.json before the first, and counted as it is done. A kill at any moment
leaves either no journal (nothing moved yet: the later run is intact) or one that the next start
of the run completes before anything reads the run, rerun with or without the same
--resume-from: every abandoned loss row, grid, measurement and TensorBoard event ends up in
`old-<time>/`, the kept ones in place, and the run resumes from PATH's step.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from dcgan_tf.common.errors import DamagedFile, UserError
from dcgan_tf.common.files import free_name, set_aside, write_atomic
from dcgan_tf.run.checkpoints import CHECKPOINT_PREFIX
from dcgan_tf.run.folders import KEPT_FOLDER
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.move_journal import (
    carry_out,
    copy,
    keep_rows,
    move,
    name_newest,
    pending_journal,
)
from dcgan_tf.run.recovery import damage, next_checkpoint_number, write_checkpoint
from dcgan_tf.run.state import GanState

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
# TensorBoard's folder in the output folder (reporting.summaries.TENSORBOARD_DIR, a floor above):
# its files are copied whole; its hook cuts the events after the step gone back to.
TENSORBOARD_FOLDER = "tensorboard"


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


def go_back(
    checkpoint_dir: str | Path,
    out: str | Path,
    log: Callable[[str], None],
    resume_from: str | None = None,
    fresh: bool = False,
) -> str:
    """What a run does first, before anything reads it: complete a --resume-from that a kill cut
    short (the journal in `checkpoint_dir`), then go back to `resume_from` if asked (unless that
    was the one cut short). Returns the checkpoint gone back to, "" when none.

    An unreadable journal cannot be completed: with `resume_from` (going back starts over) or
    `fresh`, it is moved into damaged-<time>/ (what was moved already stays in old-*/); without
    either, the run stops with one line saying so.
    """
    checkpoint_dir, out = Path(checkpoint_dir), Path(out)
    try:
        record = pending_journal(checkpoint_dir)
    except DamagedFile as damaged:
        if not (resume_from or fresh):
            raise UserError(
                f"{damaged}: a --resume-from was cut short; rerun with the same --resume-from "
                "PATH (it is done again, nothing is lost) or use --fresh"
            ) from None
        then = f"went back to {resume_from} again" if resume_from else "started afresh"
        set_aside(damaged.path, damaged.why, log, then)
        record = None
    if record is not None:
        carry_out(record, checkpoint_dir, out)
        source, done = record["source"], went_back(record, checkpoint_dir, out)
        log(f"Completed the --resume-from {source} that was cut short: {done}")
        if not resume_from or Path(resume_from).resolve() == Path(source):
            return source
    if not resume_from:
        return ""
    go_back_to(resume_from, checkpoint_dir, out, log)
    return resume_from


def go_back_to(
    path: str | Path, checkpoint_dir: str | Path, out: str | Path, log: Callable[[str], None]
) -> None:
    """Make `checkpoint_dir` and `out` a run stopped at the checkpoint `path` (see the module)."""
    source, checkpoint_dir, out = Path(path), Path(checkpoint_dir), Path(out)
    reason = damage(source)
    if reason is not None:
        raise UserError(f"--resume-from {path}: cannot restore it: {reason}")
    epoch, step = checkpoint_counters(source)
    record = plan_going_back(source, checkpoint_dir, out, epoch, step)
    carry_out(record, checkpoint_dir, out)
    log(f"--resume-from {path}: {went_back(record, checkpoint_dir, out)}")


def went_back(record: dict, checkpoint_dir: Path, out: Path) -> str:
    """What a going back did, in words."""
    old = [where for where in (checkpoint_dir, out) if (where / record["old"]).is_dir()]
    moved = " and ".join(str(where / record["old"]) for where in old) or "none"
    return (
        f"continuing from epoch {record['epoch']}, step {record['step']} (as "
        f"{checkpoint_dir / record['checkpoint']}); the newer checkpoints, later outputs and "
        f"full histories are in {moved} (nothing deleted)"
    )


def plan_going_back(source: Path, checkpoint_dir: Path, out: Path, epoch: int, step: int) -> dict:
    """The journal of going back to `source` (epoch, step): every copy and move, in order.

    1. The checkpoint folder: `source` copied in under a new number (the data first, the index
    last), named alone in the state file; the other checkpoints, and kept epochs after `source`
    (the new run would overwrite them), into old-<time>/.
    2. The output folder: grids after `epoch`/`step` and the newest-generator files into
    old-<time>/; full copies of losses.csv, quality.csv and the TensorBoard files there, the two
    histories cut back to `step` and `epoch` (TensorBoard's events are cut by its hook).
    """
    old = free_name(checkpoint_dir / time.strftime("old-%Y%m%d-%H%M%S"), out).name  # in both
    target = f"{CHECKPOINT_PREFIX}-{next_checkpoint_number(checkpoint_dir)}"
    files = [p for p in source.parent.glob(f"{source.name}.*") if p.suffix != ".tmp"]
    steps = [
        copy(str(file.resolve()), f"ck:{target}{file.name[len(source.name) :]}")
        for file in sorted(files, key=lambda p: p.suffix == ".index")
    ]
    steps.append(name_newest(target))
    others = sorted(p.name for p in checkpoint_dir.glob(f"{CHECKPOINT_PREFIX}-*") if p.is_file())
    steps += [move(f"ck:{name}", f"ck:{old}/{name}") for name in others]
    steps += [
        move(f"ck:{KEPT_FOLDER}/{p.name}", f"ck:{old}/{KEPT_FOLDER}/{p.name}")
        for p in sorted((checkpoint_dir / KEPT_FOLDER).glob("epoch-*.*"))
        if (m := KEPT_PATTERN.match(p.name)) and int(m.group(1)) > epoch
    ]
    last = {"epoch": epoch, "step": step}
    later = {
        p.name
        for p in out.glob("image_at_*.png")
        for kind, pattern in LATER_IMAGES.items()
        if (m := pattern.fullmatch(p.name)) and int(m.group(1)) > last[kind]
    }
    later |= {p.name for pattern in NEWEST_FILES for p in out.glob(pattern)}
    steps += [move(f"out:{name}", f"out:{old}/{name}") for name in sorted(later)]
    for name, column, up_to in (("losses.csv", "step", step), ("quality.csv", "epoch", epoch)):
        if (out / name).is_file():
            steps += [
                copy(f"out:{name}", f"out:{old}/{name}"),
                keep_rows(f"out:{name}", column, up_to),
            ]
    board = out / TENSORBOARD_FOLDER
    steps += [
        copy(f"out:{TENSORBOARD_FOLDER}/{p.name}", f"out:{old}/{TENSORBOARD_FOLDER}/{p.name}")
        for p in sorted(board.iterdir() if board.is_dir() else ())
        if p.is_file()
    ]
    record = {"source": str(source.resolve()), "epoch": epoch, "step": step}
    return {**record, "checkpoint": target, "old": old, "steps": steps, "done": 0}
