"""The best checkpoint so far: with --eval-every, the checkpoint of the lowest FID is kept apart
from the newest three, in CHECKPOINT_DIR/best/:

    best/ckpt-<step>.index, .data-*   the whole run state, as in a regular checkpoint
    best/config.json                  the run's config (so `load_run` reads it like any run's)
    best/best.json                    {"checkpoint": "ckpt-<step>", "step", "epoch", "fid"}

best.json is written last, after the new checkpoint is complete, and the older best is deleted
only then: a run killed in between still has a readable best. A best.json that does not read
back moves into best/damaged-<time>/ together with the checkpoint and config.json beside it (its
FID unknown, the checkpoint is neither trusted as the best nor deleted: `--checkpoint
CK/best/damaged-<time>/ckpt-N` still reads it); the next measurement becomes the best. `sample`,
`interpolate` and `evaluate` take `--best` (`best_checkpoint`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from dcgan_tf.common.errors import DamagedFile, UserError, gist
from dcgan_tf.common.files import set_aside, write_atomic
from dcgan_tf.config import TrainConfig, save_config
from dcgan_tf.run.folders import BEST_DIR
from dcgan_tf.run.state import GanState

BEST_JSON = "best.json"


def read_best(checkpoint_dir: str | Path) -> dict | None:
    """The best.json of a run, or None when it has none."""
    path = Path(checkpoint_dir) / BEST_DIR / BEST_JSON
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text())
        float(info["fid"])
        if not isinstance(info["checkpoint"], str):
            raise TypeError(f"checkpoint is {info['checkpoint']!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedFile(path, f"not a readable best-checkpoint record ({gist(err)})") from None
    return info


def best_checkpoint(checkpoint_dir: str | Path) -> str:
    """The prefix of a run's best-FID checkpoint, for --best."""
    info = read_best(checkpoint_dir)
    if info is None:
        raise UserError(
            f"no best checkpoint in {Path(checkpoint_dir) / BEST_DIR}; it is kept by training "
            "with --eval-every"
        )
    return str(Path(checkpoint_dir) / BEST_DIR / info["checkpoint"])


class BestCheckpoint:
    """A listener of `evaluation.QualityHook`: after each measurement, keep the run's state in
    best/ if its FID is the lowest so far (this run's, or the best.json it resumes with)."""

    def __init__(self, config: TrainConfig, log: Callable[[str], None] = print) -> None:
        self.config, self.log = config, log
        self.directory = Path(config.checkpoint_dir) / BEST_DIR
        self.best_fid: float | None = None
        self.looked = False  # at the best.json a resumed run left
        if config.fresh and self.directory.exists():  # --fresh moves runs aside, never deletes
            aside = self.directory.with_name(time.strftime("best-old-%Y%m%d-%H%M%S"))
            self.directory.rename(aside)
            log(f"--fresh: moved the previous run's best checkpoint to {aside}")

    def on_quality(self, epoch: int, state: GanState, metrics: dict) -> None:
        if not self.looked:
            try:
                previous = read_best(self.config.checkpoint_dir)
            except DamagedFile as damaged:  # the next measurement is the best so far
                # The checkpoint it named, of an FID now unknown, goes with it: never deleted.
                described = [*self.directory.glob("ckpt-*"), self.directory / "config.json"]
                described = [path for path in described if path.is_file()]
                set_aside(damaged.path, damaged.why, self.log, "went on without it", described)
                previous = None
            self.best_fid = None if previous is None else float(previous["fid"])
            self.looked = True
        fid = float(metrics["fid"])
        if self.best_fid is not None and fid >= self.best_fid:
            return
        step = int(state.step)
        name = f"ckpt-{step}"
        checkpoint = state.checkpoint()
        _ = checkpoint.save_counter  # created, so written: the restore expects it like a ckpt-N's
        checkpoint.write(str(self.directory / name))
        save_config(self.config, self.directory)
        record = {"checkpoint": name, "step": step, "epoch": epoch, "fid": round(fid, 4)}
        write_atomic(self.directory / BEST_JSON, (json.dumps(record, indent=2) + "\n").encode())
        for old in self.directory.glob("ckpt-*"):  # only now: best.json names the new one
            if not old.name.startswith(f"{name}."):
                old.unlink()
        self.best_fid = fid
        self.log(f"Best FID so far ({fid:.3f}, step {step}): kept in {self.directory}")
