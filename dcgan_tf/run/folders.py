"""Where a trained run is on disk, found before TensorFlow starts: its checkpoint folder, its
config, and the folder that what is drawn from it goes to by default.

A command that reads a run (sample, interpolate, sweep, evaluate, export, explore) is given a
checkpoint folder, or one checkpoint in it (in its `kept/` or `best/` too). What it writes by
default goes next to THAT folder, never into a folder that the run's `config.json` names: a
copied run (`cp -a RUN COPY`) carries the original's absolute paths in its config, and a
command on the copy must not overwrite the original's files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dcgan_tf.common.files import check_writable_folder
from dcgan_tf.config import TrainConfig, load_saved_config

KEPT_FOLDER = "kept"  # --keep-every's checkpoints, in CHECKPOINT_DIR/kept/ (going_back.py)
BEST_DIR = "best"  # --eval-every's lowest-FID checkpoint, in CHECKPOINT_DIR/best/ (best.py)


@dataclass(frozen=True)
class RunFolders:
    """A trained run as found on disk: nothing is loaded yet."""

    checkpoints: Path  # the run's checkpoint folder: the one given, or the run of --checkpoint
    out: Path  # where its readers write by default: its output folder, found from `checkpoints`
    config: TrainConfig | None  # its config.json; None for a checkpoint without one (tutorial's)

    def output_folder(self, given: str | None) -> Path:
        """`given` (--out), else the run's output folder: created if needed and proven
        writable, or one line naming it."""
        if given:
            return check_writable_folder(given, "--out")
        return check_writable_folder(self.out, "the run's output folder")


def find_run(checkpoint_dir: str | Path, checkpoint: str | None = None) -> RunFolders:
    """The run of --checkpoint-dir, or of --checkpoint when given, and where its outputs go."""
    folder = run_folder(checkpoint_dir, checkpoint)
    config = load_saved_config(folder)
    return RunFolders(folder, outputs_folder(folder, config), config)


def run_folder(checkpoint_dir: str | Path, checkpoint: str | None) -> Path:
    """The run's checkpoint folder: --checkpoint-dir, or the folder of --checkpoint (the run's
    own folder for a checkpoint in its kept/ or best/)."""
    if not checkpoint:
        return Path(checkpoint_dir)
    folder = Path(checkpoint).parent
    return folder.parent if folder.name in (KEPT_FOLDER, BEST_DIR) else folder


def outputs_folder(folder: Path, config: TrainConfig | None) -> Path:
    """The output folder of the run whose checkpoints are in `folder`, found from `folder`:

    - where the run trained (`folder` is the checkpoint folder its config names): its --out;
    - elsewhere (a copy, a moved run), the same place beside `folder` that --out held beside
      --checkpoint-dir when it trained: RUN/ck and RUN/out give COPY/ck and COPY/out, one
      folder for both gives `folder`;
    - a run whose two folders were not side by side, or without a config: `folder` itself.
    """
    if config is None:
        return folder
    recorded_ck, recorded_out = Path(config.checkpoint_dir), Path(config.out)
    if recorded_ck.is_absolute() != recorded_out.is_absolute():
        return folder  # one of them relative to a folder we cannot know
    if folder.resolve() == recorded_ck.resolve():
        return recorded_out  # where it trained: not a copy
    recorded_ck, recorded_out = (Path(os.path.normpath(p)) for p in (recorded_ck, recorded_out))
    if recorded_out == recorded_ck:
        return folder
    if recorded_out.parent == recorded_ck.parent:
        return Path(os.path.normpath(folder / os.pardir / recorded_out.name))
    return folder
