"""One run per folder: a second run on a held folder exits 2 at once and names the holder; the
operating system drops the lock of a dead run, `kill -9` included."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dcgan_tf.run.locks import FolderInUse, FolderLock, lock_folders

REPO = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def hold(folder: Path) -> subprocess.Popen:
    """Another process holding `folder`'s lock until it is killed."""
    code = (
        "import sys, time; from dcgan_tf.run.locks import lock_folders\n"
        f"with lock_folders({{'--checkpoint-dir': {str(folder)!r}}}):\n"
        "    print('locked', flush=True); time.sleep(120)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], env=ENV, stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"locked\n"
    return holder


def generate(*flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "dcgan_tf.generate", "--data-dir", "/nowhere", *flags]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=120)


# `python -m dcgan_tf.generate`, which says on leaving whether TensorFlow was ever imported.
TELLS_IF_TENSORFLOW_LOADED = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('tensorflow imported:', 'tensorflow' in sys.modules))\n"
    "runpy.run_module('dcgan_tf.generate', run_name='__main__', alter_sys=True)"
)


def generate_telling_if_tensorflow_loaded(*flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", TELLS_IF_TENSORFLOW_LOADED, "--data-dir", "/nowhere", *flags]
    return subprocess.run(command, env=ENV, capture_output=True, text=True, timeout=120)


@pytest.fixture
def holder(tmp_path):
    process = hold(tmp_path / "held")
    yield process
    process.kill()
    process.wait()


@pytest.mark.parametrize("flag", ["--checkpoint-dir", "--out"])
def test_a_second_run_on_a_held_folder_exits_two_at_once_naming_the_holder(holder, tmp_path, flag):
    other = "--out" if flag == "--checkpoint-dir" else "--checkpoint-dir"
    second = generate_telling_if_tensorflow_loaded(
        flag, str(tmp_path / "held"), other, str(tmp_path / "free")
    )
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"error: {flag} {tmp_path / 'held'} is in use by another run (PID {holder.pid}); "
        "wait for it to end, stop it, or use another folder"
    ]
    assert "Data:" not in second.stdout  # refused before reading any data
    assert second.stdout.splitlines()[-1] == "tensorflow imported: False"  # nor loading it


def test_a_lock_left_by_a_killed_run_never_blocks_the_next(holder, tmp_path):
    folder = tmp_path / "held"
    with pytest.raises(FolderInUse):
        FolderLock(folder, "--checkpoint-dir").acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    lock = FolderLock(folder, "--checkpoint-dir")
    lock.acquire()  # the dead run's .lock file is still there; its lock is not
    assert (folder / ".lock").read_text() == f"{os.getpid()}\n"
    lock.release()


def test_one_folder_for_checkpoints_and_outputs_is_locked_once(tmp_path):
    with (
        lock_folders({"--checkpoint-dir": tmp_path, "--out": tmp_path}),
        pytest.raises(FolderInUse, match=f"PID {os.getpid()}"),
    ):
        FolderLock(tmp_path, "--out").acquire()
    FolderLock(tmp_path, "--out").acquire()  # released when the block ends


@pytest.mark.slow
def test_two_real_training_runs_on_one_folder(mnist_dir, tmp_path):
    """A training run, a second one refused while it runs, then kill -9 and a rerun resumes."""
    out, ck = str(tmp_path / "out"), str(tmp_path / "ck")
    command = ["--data-dir", str(mnist_dir), "--batch-size", "16", "--epochs", "5",
               "--out", out, "--checkpoint-dir", ck]  # fmt: skip
    first = subprocess.Popen(
        [sys.executable, "-m", "dcgan_tf.generate", *command], env=ENV, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 300
    while not (tmp_path / "ck" / "checkpoint").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    second = subprocess.run([sys.executable, "-m", "dcgan_tf.generate", *command], env=ENV,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert second.returncode == 2
    assert f"(PID {first.pid})" in second.stderr
    first.kill()
    first.wait()
    third = subprocess.run([sys.executable, "-m", "dcgan_tf.generate", *command], env=ENV,
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert third.returncode == 0, third.stderr
    assert "Resuming from" in third.stdout
