"""Resume, never lose work: an interrupted run ends with the weights of an uninterrupted one."""

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import TrainingWatch, synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.run.going_back import checkpoint_counters
from dcgan_tf.training import loop as training
from dcgan_tf.training.loop import TrainingInterrupted, train

IMAGES = synthetic_digits(40, seed=4)[0]  # 40 images, 16 a batch: 3 steps an epoch, one partial


def config_in(folder: Path, epochs: int) -> TrainConfig:
    return TrainConfig(
        epochs=epochs,
        batch_size=16,
        out=str(folder / "out"),
        checkpoint_dir=str(folder / "ck"),
        seed=11,
    )


def quiet(_: str) -> None:
    pass


def all_values(state) -> list[np.ndarray]:
    """Weights of both nets and both optimizers' slots, plus the seed noise."""
    variables = [*state.generator.weights, *state.discriminator.weights]
    variables += [*state.generator_optimizer.variables, *state.discriminator_optimizer.variables]
    return [v.numpy() for v in [*variables, state.seed_noise]]


def loss_rows(out: Path) -> list[str]:
    """The rows of out/losses.csv, as written: step, epoch, gen_loss, disc_loss."""
    return (out / "losses.csv").read_text().splitlines()[1:]


def assert_same_run(a, b) -> None:
    for x, y in zip(all_values(a), all_values(b), strict=True):
        np.testing.assert_allclose(x, y, atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return train(config_in(tmp_path_factory.mktemp("straight"), epochs=2), IMAGES, log=quiet)


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory) -> Path:
    """A run of `config_in(root, epochs=1)`, finished: as if killed after epoch 1. Tests resume
    it in a copy of their own."""
    root = tmp_path_factory.mktemp("one_epoch")
    train(config_in(root, epochs=1), IMAGES, log=quiet)
    return root


def test_a_run_stopped_after_an_epoch_resumes_to_the_same_weights(
    uninterrupted, one_epoch, tmp_path
):
    shutil.copytree(one_epoch, tmp_path, dirs_exist_ok=True)  # as if killed after epoch 1
    first_rows = loss_rows(tmp_path / "out")
    watch = TrainingWatch()
    resumed = train(config_in(tmp_path, epochs=2), IMAGES, log=quiet, hooks=[watch])
    # It continued after epoch 1 and trained epoch 2 only: a restart would end with the same
    # weights (same seed), so these tell resuming from starting over.
    assert watch.began_at == (1, 3)
    assert watch.trained == [(2, 4), (2, 5), (2, 6)]
    rows = loss_rows(tmp_path / "out")
    assert rows[:3] == first_rows and [int(r.split(",")[0]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert_same_run(resumed, uninterrupted)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_ctrl_c_mid_epoch_saves_and_resumes_to_the_same_weights(
    uninterrupted, tmp_path, monkeypatch
):
    config = config_in(tmp_path, epochs=2)
    original_update = training.ProgressBar.update

    def press_ctrl_c_at_step_two_of_epoch_two(bar, step, *args):
        original_update(bar, step, *args)
        if bar.title.startswith("Epoch 2") and step == 2:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(training.ProgressBar, "update", press_ctrl_c_at_step_two_of_epoch_two)
    with pytest.raises(TrainingInterrupted, match="epoch 2, step 2"):
        train(config, IMAGES, log=quiet)
    monkeypatch.undo()
    first_rows = loss_rows(tmp_path / "out")
    watch = TrainingWatch()
    resumed = train(config, IMAGES, log=quiet, hooks=[watch])
    # The saved state: 1 epoch and 5 steps done; the rerun trained the one step left.
    assert watch.began_at == (1, 5)
    assert watch.trained == [(2, 6)]
    rows = loss_rows(tmp_path / "out")
    assert rows[:5] == first_rows and [int(r.split(",")[0]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert_same_run(resumed, uninterrupted)


def test_a_resume_drops_logged_losses_the_checkpoint_does_not_have(one_epoch, tmp_path):
    shutil.copytree(one_epoch, tmp_path, dirs_exist_ok=True)
    config = config_in(tmp_path, epochs=1)
    csv_path = tmp_path / "out" / "losses.csv"
    # A run killed after logging a step it never checkpointed.
    csv_path.write_text(csv_path.read_text() + "4,2,9.0,9.0\n")
    train(dataclasses.replace(config, epochs=2), IMAGES, log=quiet)
    steps = [int(line.split(",")[0]) for line in csv_path.read_text().splitlines()[1:]]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert "9.000000" not in csv_path.read_text()


def test_save_every_saves_every_nth_epoch_and_always_the_last(tmp_path):
    config = dataclasses.replace(config_in(tmp_path, epochs=3), save_every=2)
    train(config, IMAGES[:16], log=quiet)  # 1 step an epoch
    checkpoints = sorted((tmp_path / "ck").glob("ckpt-*.index"))
    # (epochs, steps) each checkpoint holds: after epoch 2, and after the last, epoch 3.
    assert [checkpoint_counters(p.with_suffix("")) for p in checkpoints] == [(2, 2), (3, 3)]


@pytest.mark.slow
def test_kill_9_loses_at_most_the_unfinished_epoch(mnist_dir, tmp_path):
    """A real process, killed with SIGKILL once its first checkpoint exists, then rerun."""
    ck, out = tmp_path / "ck", tmp_path / "out"
    command = [sys.executable, "-m", "dcgan_tf.generate", "--data-dir", str(mnist_dir),
               "--batch-size", "16", "--epochs", "4", "--out", str(out),
               "--checkpoint-dir", str(ck)]  # fmt: skip
    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": repo}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (ck / "checkpoint").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.kill()
    process.wait()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    assert "Resuming from" in finished.stdout
    assert "Time for epoch 1 " not in finished.stdout
    assert len(list(out.glob("image_at_epoch_*.png"))) == 4


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_an_epoch_stopped_midway_resumes_only_with_its_batch_size_and_seed(tmp_path, monkeypatch):
    config = config_in(tmp_path, epochs=1)
    original_update = training.ProgressBar.update

    def press_ctrl_c_after_step_one(bar, step, *args):
        original_update(bar, step, *args)
        if step == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(training.ProgressBar, "update", press_ctrl_c_after_step_one)
    with pytest.raises(TrainingInterrupted):
        train(config, IMAGES, log=quiet)
    monkeypatch.undo()
    refusal = "stopped inside an epoch; resume it with --batch-size 16 --seed 11"
    with pytest.raises(UserError, match=refusal):
        train(dataclasses.replace(config, batch_size=8), IMAGES, log=quiet)
    with pytest.raises(UserError, match=refusal):
        train(dataclasses.replace(config, seed=12), IMAGES, log=quiet)


def test_a_run_stopped_after_an_epoch_resumes_with_another_batch_size_and_seed(one_epoch, tmp_path):
    shutil.copytree(one_epoch, tmp_path, dirs_exist_ok=True)
    lines = []
    config = dataclasses.replace(config_in(tmp_path, epochs=1), batch_size=8, seed=12)
    state = train(config, IMAGES, log=lines.append)  # epoch 1 is done: nothing left to train
    assert int(state.epoch) == 1
    assert any("resuming with changed settings: batch_size 16 -> 8, seed 11 -> 12" in line
               for line in lines)  # fmt: skip


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_fresh_moves_quality_and_evaluation_files_aside_too(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("quality.csv", "quality.png", "metrics.json", "interpolation_slerp.png"):
        (out / name).write_text("old run")
    train(dataclasses.replace(config_in(tmp_path, epochs=1), fresh=True), IMAGES, log=quiet)
    (old,) = out.glob("old-*")
    assert sorted(p.name for p in old.iterdir()) == [
        "interpolation_slerp.png", "metrics.json", "quality.csv", "quality.png"
    ]  # fmt: skip
