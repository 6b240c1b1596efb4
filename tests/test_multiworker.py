"""--strategy multiworker: two worker processes on localhost ports, configured by TF_CONFIG as
TensorFlow documents; only the chief writes, and a lost worker is survived by restarting both."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf
from conftest import synthetic_digits, write_idx

REPO = Path(__file__).resolve().parents[1]
STEPS_PER_EPOCH = 4  # 64 images, global batch 16: 8 a replica on each of the 2 workers


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def tiny_mnist(folder: Path) -> Path:
    folder.mkdir()
    images, labels = synthetic_digits(64, seed=8)
    write_idx(folder / "train-images-idx3-ubyte.gz", images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    return folder


class Cluster:
    """Two workers of one run: `start()` launches both, worker 0 (the chief) first."""

    def __init__(self, tmp_path: Path, epochs: int) -> None:
        self.tmp_path, self.epochs = tmp_path, epochs
        self.data = tiny_mnist(tmp_path / "mnist")
        self.out, self.ck = tmp_path / "out", tmp_path / "ck"
        self.scratch = tmp_path / "tmp"  # the workers' TMPDIR: the non-chief writes in here
        self.scratch.mkdir()
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self) -> None:
        ports = free_ports(2)
        cluster = {"worker": [f"localhost:{port}" for port in ports]}
        command = [sys.executable, "-m", "dcgan_tf.generate", "--strategy", "multiworker",
                   "--data-dir", str(self.data), "--batch-size", "16",
                   "--epochs", str(self.epochs), "--out", str(self.out),
                   "--checkpoint-dir", str(self.ck)]  # fmt: skip
        self.processes, self.logs = [], []
        for index in range(2):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(self.scratch),
                   "TF_CONFIG": json.dumps(tf_config), "TF_CPP_MIN_LOG_LEVEL": "3"}  # fmt: skip
            log = self.tmp_path / f"worker{index}-{time.monotonic_ns()}.log"
            with log.open("w") as stream:
                process = subprocess.Popen(
                    command, env=env, stdout=stream, stderr=subprocess.STDOUT
                )
            self.processes.append(process)
            self.logs.append(log)

    def wait(self, timeout: float = 600) -> list[int]:
        return [process.wait(timeout=timeout) for process in self.processes]

    def output(self, index: int) -> str:
        return self.logs[index].read_text()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def cluster(tmp_path):
    made: list[Cluster] = []

    def make(epochs: int) -> Cluster:
        made.append(Cluster(tmp_path, epochs))
        return made[-1]

    yield make
    for c in made:
        c.stop()


def logged_steps(out: Path) -> list[int]:
    rows = (out / "losses.csv").read_text().splitlines()[1:]
    return [int(row.split(",")[0]) for row in rows]


def checkpoint_counters(ck: Path) -> tuple[int, int]:
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(ck)))
    value = reader.get_tensor
    return int(value("epoch/.ATTRIBUTES/VARIABLE_VALUE")), int(
        value("step/.ATTRIBUTES/VARIABLE_VALUE")
    )


@pytest.mark.slow
def test_two_workers_train_and_only_the_chief_writes(cluster):
    run = cluster(epochs=2)
    run.start()
    codes = run.wait()
    assert codes == [0, 0], run.output(0)[-2000:] + run.output(1)[-2000:]
    assert "MultiWorkerMirroredStrategy over 2 replica(s), this is worker 0" in run.output(0)
    # Exactly one series of outputs: the chief's, where the flags say.
    grids = sorted(p.name for p in run.out.glob("image_at_epoch_*.png"))
    assert grids == ["image_at_epoch_0001.png", "image_at_epoch_0002.png"]
    assert (run.out / "dcgan.gif").exists() and (run.out / "config.json").exists()
    assert logged_steps(run.out) == list(range(1, 2 * STEPS_PER_EPOCH + 1))
    assert checkpoint_counters(run.ck) == (2, 2 * STEPS_PER_EPOCH)
    assert sorted(p.name for p in run.tmp_path.iterdir() if p.is_dir()) == [
        "ck", "mnist", "out", "tmp"
    ]  # fmt: skip
    # The other worker wrote into a temporary folder and removed it on exit.
    assert list(run.scratch.iterdir()) == []


@pytest.mark.slow
def test_a_killed_worker_is_survived_by_restarting_both(cluster):
    run = cluster(epochs=3)
    run.start()
    deadline = time.monotonic() + 600
    while not (run.ck / "checkpoint").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (run.ck / "checkpoint").exists(), run.output(0)[-2000:]
    run.processes[1].send_signal(signal.SIGKILL)  # worker 1 is lost after the first checkpoint
    run.processes[1].wait()
    # TF's health check aborts the chief's collectives: a one-line error, exit 4, well before
    # the timeout (TimeoutExpired fails the test).
    chief_code = run.processes[0].wait(timeout=180)  # docs: "within 3 minutes"
    chief = run.output(0)
    assert chief_code == 4, chief[-2000:]
    assert "Traceback" not in chief, chief[-2000:]
    errors = [line for line in chief.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, chief[-2000:]
    assert errors[0].startswith("error: lost contact with another worker (")
    assert errors[0].endswith(
        "restart every worker with the same command to resume from the last checkpoint"
    )
    saved_epoch, saved_step = checkpoint_counters(run.ck)
    assert saved_step == saved_epoch * STEPS_PER_EPOCH

    run.start()  # both again, the same command
    assert run.wait() == [0, 0], run.output(0)[-2000:] + run.output(1)[-2000:]
    assert f"Resuming from {run.ck}" in run.output(0)
    assert checkpoint_counters(run.ck) == (3, 3 * STEPS_PER_EPOCH)
    assert logged_steps(run.out) == list(range(1, 3 * STEPS_PER_EPOCH + 1))
    grids = sorted(p.name for p in run.out.glob("image_at_epoch_*.png"))
    assert grids == [f"image_at_epoch_{epoch:04d}.png" for epoch in (1, 2, 3)]
