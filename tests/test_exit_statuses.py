"""`generate`'s exit statuses, each through the real command (`python -m dcgan_tf.generate` in a
process of its own): 3 when training diverges, 4 when a checkpoint cannot be written. The others
are asserted elsewhere the same way: 0 (test_resume.py, test_locks.py), 2 (test_cli.py,
test_locks.py), 130 and 143 (test_sigterm.py: a real SIGINT and SIGTERM).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def command(mnist_dir: Path, tmp_path: Path, *flags: str) -> list[str]:
    return [sys.executable, "-m", "dcgan_tf.generate", "--data-dir", str(mnist_dir),
            "--batch-size", "16", "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ck"), *flags]  # fmt: skip


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-2000:]
    (line,) = stderr.strip().splitlines()
    return line


@pytest.mark.slow
def test_a_loss_gone_nan_exits_three(mnist_dir, tmp_path):
    """A learning rate of 1e30 throws the weights to ~1e30 in one Adam step: the next step's
    losses are NaN."""
    run = subprocess.run(command(mnist_dir, tmp_path, "--epochs", "1", "--learning-rate", "1e30"),
                         env=ENV, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 3, run.stderr[-2000:]
    line = one_error_line(run.stderr)
    assert line.startswith("error: a loss became ")
    assert "nan" in line and "stopped, the last good checkpoint is" in line


def small_file_limit() -> None:
    """In the child: no file may grow past 2 MB (writes beyond fail with EFBIG, 'File too
    large', root or not); a checkpoint is about 30 MB, the grids and CSV far less."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 1024 * 1024, 2 * 1024 * 1024))


@pytest.mark.slow
def test_a_checkpoint_that_cannot_be_written_exits_four(mnist_dir, tmp_path):
    ck = tmp_path / "ck"
    run = subprocess.run(command(mnist_dir, tmp_path, "--epochs", "1"), env=ENV,
                         capture_output=True, text=True, timeout=300,
                         preexec_fn=small_file_limit)  # fmt: skip
    assert run.returncode == 4, run.stderr[-2000:]
    line = one_error_line(run.stderr)
    assert line.startswith(f"error: could not write the checkpoint {ck / 'ckpt-1'}: ")
    assert "File too large" in line
    assert tf.train.latest_checkpoint(str(ck)) is None
    assert [p.name for p in ck.iterdir() if p.name.startswith("ckpt-")] == []  # no half a save
