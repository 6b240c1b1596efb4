"""SIGTERM (kill, Docker, Kubernetes, Slurm) is handled like the first Ctrl-C: the running step
finishes, a checkpoint is saved, the exit status is 143, and the same command resumes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf
from test_resume import IMAGES, config_in, quiet

from dcgan_tf.generate import main
from dcgan_tf.run.recovery import damage
from dcgan_tf.training import loop as training
from dcgan_tf.training.loop import TrainingInterrupted, train

REPO = Path(__file__).resolve().parents[1]


class SigtermNotHandled(Exception):
    """What a SIGTERM the run left unhandled raises here (instead of ending pytest)."""


@pytest.fixture
def outer_handler():
    """A SIGTERM handler of the test's own while it runs, so that a SIGTERM the run does not
    catch fails the test instead of killing the test process; the run must hand it back."""

    def handler(signum, frame):
        raise SigtermNotHandled

    previous = signal.signal(signal.SIGTERM, handler)
    yield handler
    signal.signal(signal.SIGTERM, previous)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_sigterm_mid_epoch_saves_and_the_rerun_resumes(tmp_path, monkeypatch, outer_handler):
    """A real SIGTERM to this process; the same handler as Ctrl-C, whose exact resume
    tests/test_resume.py proves."""
    config = config_in(tmp_path, epochs=2)
    original_update = training.ProgressBar.update

    def sigterm_at_step_two_of_epoch_two(bar, step, *args):
        original_update(bar, step, *args)
        if bar.title.startswith("Epoch 2") and step == 2:
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)  # a repeated SIGTERM does not cut the save

    monkeypatch.setattr(training.ProgressBar, "update", sigterm_at_step_two_of_epoch_two)
    try:
        with pytest.raises(
            TrainingInterrupted, match="SIGTERM: interrupted at epoch 2, step 2"
        ) as e:
            train(config, IMAGES, log=quiet)
    except KeyboardInterrupt:
        pytest.fail("the repeated SIGTERM quit the run before its save")
    assert e.value.exit_code == 143
    monkeypatch.undo()
    assert signal.getsignal(signal.SIGTERM) is outer_handler  # handed back after the run
    lines = []
    resumed = train(config, IMAGES, log=lines.append)
    assert any(line.startswith("Resuming from") and "step 5" in line for line in lines)
    assert int(resumed.step) == 6


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "exit_code", "name"),
    [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl-C")],
    ids=["SIGTERM", "Ctrl-C"],
)
def test_a_real_signal_saves_exits_with_its_status_and_the_rerun_resumes(
    mnist_dir, tmp_path, capsys, signum, exit_code, name
):
    """A real process gets a real SIGTERM (or SIGINT, Ctrl-C) once its first checkpoint exists:
    it saves and exits 143 (130); the rerun resumes."""
    ck = tmp_path / "ck"
    flags = ["--data-dir", str(mnist_dir), "--batch-size", "16", "--out", str(tmp_path / "out"),
             "--checkpoint-dir", str(ck)]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "dcgan_tf.generate", *flags, "--epochs", "50"],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while not (ck / "checkpoint").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == exit_code, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"{name}: interrupted at epoch ")
    assert last.endswith("Run the same command again to resume.")
    newest = tf.train.latest_checkpoint(str(ck))
    assert damage(newest) is None and newest in last
    # The same command resumes (here with --epochs set to just the next epoch, to stay quick).
    epochs_done = len(list((tmp_path / "out").glob("image_at_epoch_*.png")))
    assert main([*flags, "--epochs", str(epochs_done + 1)]) == 0
    assert f"Resuming from {newest}" in capsys.readouterr().out
