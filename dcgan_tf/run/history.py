"""The per-step loss history of a run, kept in `losses.csv` beside its images."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from dcgan_tf.common.errors import DamagedFile, gist
from dcgan_tf.common.files import write_atomic
from dcgan_tf.common.plots import plot_series

COLUMNS = ("step", "epoch", "gen_loss", "disc_loss")


@dataclass
class LossHistory:
    """Rows of (step, epoch, gen_loss, disc_loss); step counts from 1 over the whole run."""

    rows: list[tuple[int, int, float, float]] = field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path, up_to_step: int) -> LossHistory:
        """Read `path` if it exists, keeping only steps a checkpoint has (a killed run may
        have logged steps past its last checkpoint; those are trained again). A file that is
        not a loss history raises DamagedFile: never read as an empty one and overwritten."""
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            with path.open(newline="") as f:
                reader = csv.DictReader(f)
                rows = [
                    (int(r["step"]), int(r["epoch"]), float(r["gen_loss"]), float(r["disc_loss"]))
                    for r in reader
                ]
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise ValueError(f"its header is {reader.fieldnames}, not {list(COLUMNS)}")
        except (OSError, ValueError, KeyError, TypeError, csv.Error) as err:
            raise DamagedFile(path, f"not a loss history ({gist(err)})") from None
        return cls([row for row in rows if row[0] <= up_to_step])

    def append(self, step: int, epoch: int, gen_loss: float, disc_loss: float) -> None:
        self.rows.append((step, epoch, gen_loss, disc_loss))

    def save(self, directory: str | Path) -> None:
        """Write `losses.csv` and `losses.png` into `directory`."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows((s, e, f"{g:.6f}", f"{d:.6f}") for s, e, g, d in self.rows)
        write_atomic(Path(directory) / "losses.csv", text.getvalue().encode())
        if self.rows:
            steps, _, gen, disc = zip(*self.rows, strict=True)
            losses = {"generator": gen, "discriminator": disc}
            plot_series(steps, losses, Path(directory) / "losses.png", ylabel="loss")
