"""TensorBoard summaries, read back with TensorFlow's own reader: tags, steps, resume."""

import dataclasses
import os
import shutil
import signal
from collections import defaultdict
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.classifier import load_classifier
from dcgan_tf.evaluation.measure import QualityHook
from dcgan_tf.generate import main as generate_main
from dcgan_tf.reporting.journal import RunJournal
from dcgan_tf.reporting.summaries import STEP_TAGS, TensorBoardHook, written_step
from dcgan_tf.training import loop as training
from dcgan_tf.training.loop import TrainingInterrupted, train

IMAGES = synthetic_digits(40, seed=4)[0]  # 16 a batch: 3 steps an epoch, one partial


def config_in(folder: Path, epochs: int) -> TrainConfig:
    return TrainConfig(
        epochs=epochs, batch_size=16, out=str(folder / "out"), checkpoint_dir=str(folder / "ck")
    )


def quiet(_: str) -> None:
    pass


def run(config: TrainConfig, hooks=None) -> None:
    train(config, IMAGES, log=quiet, hooks=hooks or [TensorBoardHook(config, log=quiet)])


def copy_of(run_root: Path, tmp_path: Path) -> Path:
    """A copy of a shared run for a test that trains on in it (file times kept: copy2)."""
    shutil.copytree(run_root, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory) -> Path:
    """A finished 1-epoch run (3 steps) with its summaries and its journal; tests only read it
    or train on in a copy."""
    root = tmp_path_factory.mktemp("one_epoch")
    config = config_in(root, epochs=1)
    run(config, [TensorBoardHook(config, log=quiet), RunJournal(config.out, log=quiet)])
    return root


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory) -> Path:
    """A finished 2-epoch run (6 steps) with its summaries; read, or trained on in a copy."""
    root = tmp_path_factory.mktemp("two_epochs")
    run(config_in(root, epochs=2))
    return root


def summaries(out: Path) -> dict[str, list[int]]:
    """tag -> the steps it was written at, over every event file in the order written."""
    steps = defaultdict(list)
    files = sorted((out / "tensorboard").glob("events.out.tfevents.*"), key=os.path.getmtime)
    events = [e for path in files for e in tf.compat.v1.train.summary_iterator(str(path))]
    for event in sorted(events, key=lambda e: e.wall_time):
        for value in event.summary.value:
            steps[value.tag].append(event.step)
    return dict(steps)


def test_losses_speed_grids_and_config_are_written_per_step_and_epoch(two_epochs):
    steps = summaries(two_epochs / "out")
    assert steps["loss/generator"] == [1, 2, 3, 4, 5, 6]
    assert steps["loss/discriminator"] == [1, 2, 3, 4, 5, 6]
    assert steps["speed/images_per_second"] == [1, 2, 3, 4, 5, 6]
    assert steps["progress/grid"] == [3, 6]
    assert steps["config"] == [0]
    assert not any(tag.startswith("quality/") for tag in steps)


def test_tensorboard_reads_the_losses_and_speed_as_scalars(one_epoch):
    accumulator = EventAccumulator(str(one_epoch / "out" / "tensorboard")).Reload()
    assert set(accumulator.Tags()["tensors"]) >= {*STEP_TAGS, "config", "progress/grid"}
    for tag in STEP_TAGS:
        assert accumulator.SummaryMetadata(tag).plugin_data.plugin_name == "scalars"
        assert [event.step for event in accumulator.Tensors(tag)] == [1, 2, 3]
    assert accumulator.SummaryMetadata("progress/grid").plugin_data.plugin_name == "images"


def test_the_grid_summary_is_the_epoch_image(one_epoch):
    (path,) = (one_epoch / "out" / "tensorboard").glob("events.out.tfevents.*")
    images = [
        value
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
        if value.tag == "progress/grid"
    ]
    width, height, png = tf.make_ndarray(images[0].tensor)  # the image plugin's layout
    pixels = tf.io.decode_png(png).numpy()
    grid = iio.imread(one_epoch / "out" / "image_at_epoch_0001.png")
    assert (int(width), int(height)) == (grid.shape[1], grid.shape[0])
    np.testing.assert_array_equal(pixels[..., 0], grid)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_resumed_run_continues_the_same_curves_without_repeating_a_step(one_epoch, tmp_path):
    copy_of(one_epoch, tmp_path)  # a run stopped after epoch 1
    run(config_in(tmp_path, epochs=2))
    steps = summaries(tmp_path / "out")
    assert steps["loss/generator"] == [1, 2, 3, 4, 5, 6]
    assert steps["progress/grid"] == [3, 6]
    assert steps["config"] == [0, 3]  # each start records the config it ran with


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_ctrl_c_mid_epoch_writes_the_saved_steps_and_the_resume_goes_on_from_there(
    tmp_path, monkeypatch
):
    config = config_in(tmp_path, epochs=2)
    original_update = training.ProgressBar.update

    def press_ctrl_c_at_step_two_of_epoch_two(bar, step, *args):
        original_update(bar, step, *args)
        if bar.title.startswith("Epoch 2") and step == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(training.ProgressBar, "update", press_ctrl_c_at_step_two_of_epoch_two)
    with pytest.raises(TrainingInterrupted):
        run(config)
    assert summaries(tmp_path / "out")["loss/generator"] == [1, 2, 3, 4, 5]
    monkeypatch.undo()
    run(config)
    steps = summaries(tmp_path / "out")
    assert steps["loss/generator"] == [1, 2, 3, 4, 5, 6]
    assert steps["config"] == [0, 5]


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_going_back_to_an_older_checkpoint_drops_the_later_summaries(two_epochs, tmp_path):
    config = config_in(copy_of(two_epochs, tmp_path), epochs=2)
    ck = tmp_path / "ck"
    tf.compat.v1.train.update_checkpoint_state(
        str(ck), str(ck / "ckpt-1")
    )  # back to epoch 1 (step 3)
    run(config)
    steps = summaries(tmp_path / "out")
    assert steps["loss/generator"] == [1, 2, 3, 4, 5, 6]
    assert steps["progress/grid"] == [3, 6]
    assert steps["config"] == [0, 3]
    assert written_step(tmp_path / "out" / "tensorboard") == 6


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_quality_metrics_are_written_when_measured_and_at_the_end(classifier_bundle, tmp_path):
    config = dataclasses.replace(config_in(tmp_path, epochs=3), eval_every=2)
    quality = QualityHook(load_classifier(classifier_bundle), config.out, 2, 20, 0, log=quiet)
    run(config, [quality, TensorBoardHook(config, quality, log=quiet)])
    steps = summaries(tmp_path / "out")
    assert steps["quality/fid"] == [6, 9]  # epoch 2, and the run's end between measurements
    assert steps["quality/classifier_score"] == [6, 9]
    assert {"quality/precision", "quality/recall", "quality/coverage"} <= set(steps)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_no_tensorboard_writes_no_summaries(mnist_dir, tmp_path):
    flags = ["--data-dir", str(mnist_dir), "--batch-size", "64", "--steps", "1"]
    flags += ["--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ck")]
    assert generate_main([*flags, "--no-tensorboard"]) == 0
    assert (tmp_path / "out" / "losses.csv").exists()
    assert not (tmp_path / "out" / "tensorboard").exists()


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_fresh_moves_the_old_summaries_and_journal_aside(one_epoch, tmp_path):
    config = config_in(copy_of(one_epoch, tmp_path), epochs=1)  # written with both hooks
    hooks = [TensorBoardHook(config, log=quiet), RunJournal(config.out, log=quiet)]
    run(dataclasses.replace(config, fresh=True), hooks)
    (old,) = (tmp_path / "out").glob("old-*")
    assert {"tensorboard", "journal.json", "report.html"} <= {p.name for p in old.iterdir()}
    assert summaries(old)["loss/generator"] == [1, 2, 3]
    assert summaries(tmp_path / "out")["loss/generator"] == [1, 2, 3]
