"""TensorBoard: a run's losses, speed, progress grids, quality and config in OUT/tensorboard.

`tensorboard --logdir OUT/tensorboard` (or `make tensorboard`) shows them while the run trains.

The hot path stays cheap: after each step the hook appends four numbers to a Python list, and
it writes them as summaries only at each checkpoint, all in one call of a tf.function (an eager
summary op per number costs about a millisecond). So the event files hold exactly the steps the
checkpoint holds, and a resumed run continues the same curves from the step it restored,
never drawing a step twice. If the files ever hold steps past the restored one (the run went
back to an older checkpoint), those are cut off before the run goes on.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import tensorflow as tf
from tensorboard.plugins.scalar import metadata as scalar_metadata

from dcgan_tf.common.errors import DamagedFile, gist
from dcgan_tf.common.files import set_aside, write_atomic, write_atomic_with
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.measure import QualityHook
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState
from dcgan_tf.tutorial.images import EPOCH_IMAGE

TENSORBOARD_DIR = "tensorboard"  # inside the run's --out folder
WRITTEN = "written.json"  # {"step": the newest step the event files hold}
CONFIG_TAG = "config"
QUALITY_KEYS = ("fid", "classifier_score", "precision", "recall", "coverage", "kl_from_uniform")
QUALITY_KEYS += ("kid", "kid_std")  # a folder's pictures: FID and KID in Inception's features
STEP_TAGS = ("loss/generator", "loss/discriminator", "speed/images_per_second")


def write_step_scalars(steps: tf.Tensor, values: tf.Tensor) -> None:
    """Row i of `values` (N, len(STEP_TAGS)) as the STEP_TAGS scalars at `steps[i]`; run as a
    tf.function per writer (a traced summary op keeps the writer it was traced with).

    tf.summary.write with the scalar plugin's metadata is what tf.summary.scalar writes, minus
    the name scope: inside the loop that would prefix every tag with "while/"."""
    scalar = scalar_metadata.create_summary_metadata(None, None).SerializeToString()
    for i in tf.range(tf.shape(steps)[0]):
        for column, tag in enumerate(STEP_TAGS):
            tf.summary.write(tag, values[i, column], step=steps[i], metadata=scalar)


class TensorBoardHook(Hook):
    """Writes the run's summaries into OUT/tensorboard (OUT: the config's --out):

    loss/generator, loss/discriminator   every step
    speed/images_per_second              every step (the time of the step, not of epoch-end work)
    progress/grid                        the epoch's progress grid, after every epoch
    quality/fid, quality/classifier_score, ...   with --eval-every, read from `quality`
                                         (a folder's pictures: quality/fid, kid, kid_std)
    config                               the run's config as a table, once per start or resume
    """

    def __init__(
        self,
        config: TrainConfig,
        quality: QualityHook | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.config, self.quality, self.log = config, quality, log
        self.out = Path(config.out)
        self.logdir = self.out / TENSORBOARD_DIR
        self.writer: tf.summary.SummaryWriter | None = None
        self.steps: list[tuple[int, float, float, float]] = []  # (step, gen, disc, images/s)
        self.grids: list[tuple[int, np.ndarray]] = []  # (step, (1, H, W, C) uint8)
        self.metrics: list[tuple[int, dict[str, float]]] = []  # (step, quality numbers)
        self.measured_step = -1  # the step of the last quality measurement taken
        self.config_step: int | None = None  # the step to write the config at, until written
        self.write_steps: Callable | None = None  # write_step_scalars, traced for this writer
        self.last_time = 0.0

    def on_train_begin(self, state: GanState) -> None:
        start = int(state.step)
        try:
            written = written_step(self.logdir)
        except DamagedFile as damaged:  # unknown: cut the event files back to the checkpoint
            set_aside(
                damaged.path, damaged.why, self.log, "cut the summaries back to the checkpoint"
            )
            trim_events(self.logdir, start)
            written = start
        if written > start:
            trim_events(self.logdir, start)
            self.log(
                f"TensorBoard: dropped the summaries after step {start} (not in the checkpoint)"
            )
        self.writer = tf.summary.create_file_writer(str(self.logdir))
        rows = [tf.TensorSpec([None], tf.int64), tf.TensorSpec([None, len(STEP_TAGS)], tf.float32)]
        self.write_steps = tf.function(write_step_scalars, input_signature=rows)
        self.config_step = start
        self.last_time = time.perf_counter()

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        now = time.perf_counter()
        rate = images / max(now - self.last_time, 1e-9)
        self.last_time = now
        self.steps.append((step, losses["gen_loss"], losses["disc_loss"], rate))

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        step = int(state.step)
        grid_path = self.out / EPOCH_IMAGE.format(epoch)  # drawn by ProgressGrids
        if grid_path.exists():
            grid = iio.imread(grid_path)
            grid = grid[..., None] if grid.ndim == 2 else grid  # (H, W, C)
            self.grids.append((step, grid[None]))
        self.take_measurement(step)
        self.last_time = time.perf_counter()  # the next step's speed leaves out this epoch end

    def on_checkpoint(self, state: GanState) -> None:
        self.write(int(state.step))
        self.last_time = time.perf_counter()

    def on_train_end(self, state: GanState) -> None:
        self.take_measurement(int(state.step))  # the QualityHook's measurement of the end
        self.write(int(state.step))
        self.writer.close()

    def take_measurement(self, step: int) -> None:
        """The QualityHook's metrics, if it measured at `step` and they are not taken yet."""
        latest = self.quality.latest if self.quality else None
        if latest and latest[1] == step != self.measured_step:
            measured = {k: float(latest[2][k]) for k in QUALITY_KEYS if k in latest[2]}
            self.metrics.append((step, measured))
            self.measured_step = step

    def write(self, step: int) -> None:
        """Everything buffered, as summaries up to `step` (the checkpoint's), then flushed."""
        if not self.steps and not self.metrics:  # nothing trained or measured since then
            return
        with self.writer.as_default():
            if self.config_step is not None:
                tf.summary.text(CONFIG_TAG, config_markdown(self.config), step=self.config_step)
                self.config_step = None
            if self.steps:
                steps = np.array([row[0] for row in self.steps], np.int64)
                self.write_steps(steps, np.array([row[1:] for row in self.steps], np.float32))
            for at, grid in self.grids:
                tf.summary.image("progress/grid", grid, step=at)
            for at, values in self.metrics:
                for name, value in values.items():
                    tf.summary.scalar(f"quality/{name}", value, step=at)
        self.writer.flush()
        self.steps, self.grids, self.metrics = [], [], []
        write_atomic(self.logdir / WRITTEN, json.dumps({"step": step}).encode())


def config_markdown(config: TrainConfig) -> str:
    """The config as a two-column Markdown table (TensorBoard's text tab renders Markdown)."""
    rows = [f"| {name} | `{value}` |" for name, value in dataclasses.asdict(config).items()]
    return "\n".join(["| setting | value |", "| --- | --- |", *rows])


def written_step(logdir: Path) -> int:
    """The newest step the event files in `logdir` hold (0 when there are none)."""
    path = logdir / WRITTEN
    if not path.exists():
        return 0
    try:
        step = json.loads(path.read_text())["step"]
        if not isinstance(step, int):
            raise TypeError(f"step is {step!r}")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedFile(path, f"not a record of the summaries written ({gist(err)})") from None
    return step


def read_events(path: Path) -> list[tf.compat.v1.Event]:
    """The events of one file; a record cut short by a kill ends the list instead of failing."""
    events = []
    try:
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            events.append(event)
    except tf.errors.DataLossError:
        pass
    return events


def trim_events(logdir: Path, last_step: int) -> None:
    """Rewrite the event files in `logdir` without the summaries after `last_step` (and
    without its config text, which the resumed run writes again)."""

    def keep(event: tf.compat.v1.Event) -> bool:
        if event.step == last_step:
            return all(value.tag != CONFIG_TAG for value in event.summary.value)
        return event.step < last_step

    for path in sorted(logdir.glob("events.out.tfevents.*")):
        events = read_events(path)
        kept = [event for event in events if keep(event)]
        if len(kept) == len(events):
            continue

        def rewrite(tmp: Path, kept=kept) -> None:
            with tf.io.TFRecordWriter(str(tmp)) as records:
                for event in kept:
                    records.write(event.SerializeToString())

        write_atomic_with(path, rewrite)
    write_atomic(logdir / WRITTEN, json.dumps({"step": last_step}).encode())
