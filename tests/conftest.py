"""Shared fixtures: tiny MNIST-format files written by the tests themselves, no downloads."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from dcgan_tf.run.hooks import Hook

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
if os.environ.get("PYTEST_XDIST_WORKER"):  # make test: one worker per core, one thread each
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")  # (two threads a worker fight over
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # two cores for the tiny tests' ops)


def first_then_slow(cases) -> list:
    """Parameters of one claim over several cases: the first checked by `make test`, every
    other case by `make test-slow` (both run in CI), to keep `make test` within 3 minutes."""
    first, *others = cases
    return [first, *(pytest.param(case, marks=pytest.mark.slow) for case in others)]


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte IDX file: magic 0x0000080<ndim>, big-endian dims, then the data."""
    header = (0x0800 + array.ndim).to_bytes(4, "big")
    header += b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (count, 28, 28) images with some structure (a bright square per label) and labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=count)
    images = rng.integers(0, 40, size=(count, 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels, strict=True):
        top = 2 + 2 * int(label)
        image[top : top + 6, 8:20] = 255
    return images, labels.astype(np.uint8)


def weights_apart(a, b) -> float:
    """How far apart two sets of weights (lists of arrays) are: the norm of their difference
    over all of them, in float64."""
    pairs = zip(a, b, strict=True)
    return float(np.sqrt(sum(np.sum((np.float64(x) - np.float64(y)) ** 2) for x, y in pairs)))


# Two runs equal but for the order of float32 sums (replicas, another device) end this close, as
# a share of how far training moved the weights from their initial values. Adam divides each
# gradient by its own size, so reduction-order noise in a gradient near zero can become a whole
# step of that one weight (up to 2 x the learning rate apart): a fixed limit on any single
# weight is a coin toss, the distance over all weights relative to the distance moved is not.
# Measured over 2 replicas, 3 steps: apart / moved 4e-7 (many threads) to 5e-5 (one thread a
# process, as `make test` runs: one weight 2e-5 apart, where 1e-5 failed); one step more (the
# negative control) 0.33.
SHARE_OF_MOVEMENT = 1e-3


def trained_alike(apart: float, moved: float) -> bool:
    """Whether two runs that moved the weights `moved` from their start and ended `apart` differ
    by float noise only."""
    assert moved > 0, "training did not move the weights: nothing to compare"
    return apart <= SHARE_OF_MOVEMENT * moved


def assert_trained_alike(one, two, initial) -> None:
    """Weights `one` and `two`, trained from `initial`, differ by float noise only."""
    moved, apart = weights_apart(one, initial), weights_apart(one, two)
    assert trained_alike(apart, moved), f"{apart:.3g} apart after moving {moved:.3g}"


COLOURS = [(255, 0, 0), (0, 200, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255)]


def shape_picture(width: int, height: int, colour, seed: int) -> np.ndarray:
    """A dark picture with one coloured rectangle and one coloured disc somewhere in it."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 20, np.uint8)
    top, left = rng.integers(0, height // 2), rng.integers(0, width // 2)
    image[top : top + height // 3, left : left + width // 3] = colour
    rows, cols = np.ogrid[:height, :width]
    disc = (rows - height * 0.6) ** 2 + (cols - width * 0.6) ** 2 < (min(width, height) / 5) ** 2
    image[disc] = COLOURS[(seed + 1) % len(COLOURS)]
    return image


def write_shapes_folder(root: Path) -> Path:
    """Eight colour pictures of several sizes (square and not) as PNG, JPEG, BMP and GIF, in
    nested folders of a new `root`, one file that is no picture, and a text file that is not a
    picture name."""
    (root / "more" / "deeper").mkdir(parents=True)
    sizes = [(96, 64), (64, 96), (80, 80), (150, 100), (40, 70), (128, 128), (70, 50), (200, 90)]
    suffixes = ["png", "jpg", "bmp", "gif"]
    for i, (width, height) in enumerate(sizes):
        where = root if i < 4 else root / "more" / ("deeper" if i % 2 else "")
        picture = shape_picture(width, height, COLOURS[i % len(COLOURS)], i)
        iio.imwrite(where / f"shape{i}.{suffixes[i % 4]}", picture)
    (root / "more" / "broken.png").write_bytes(b"not a png at all")
    (root / "notes.txt").write_text("not a picture name: not even looked at")
    return root


class TrainingWatch(Hook):
    """A hook for `train(..., hooks=[watch])` that tells resuming from restarting: the counters
    the call starts from (after any restore) and the (epoch, step) of each step it trains."""

    def __init__(self) -> None:
        self.began_at: tuple[int, int] | None = None  # (epochs done, steps done)
        self.trained: list[tuple[int, int]] = []

    def on_train_begin(self, state) -> None:
        self.began_at = (int(state.epoch), int(state.step))

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict) -> None:
        self.trained.append((epoch, step))


@pytest.fixture
def mnist_dir(tmp_path: Path) -> Path:
    """A folder with the four standard gzipped IDX files: 200 train and 50 test images."""
    return write_mnist_dir(tmp_path / "mnist")


def write_mnist_dir(folder: Path, train: int = 200, test: int = 50) -> Path:
    """The four gzipped IDX files of `train` and `test` synthetic digits in a new `folder`."""
    folder.mkdir()
    for prefix, count, seed in (("train", train, 1), ("t10k", test, 2)):
        images, labels = synthetic_digits(count, seed)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.fixture(scope="session")
def offline_test_split(tmp_path_factory) -> Path:
    """Only a test split of 1000 synthetic digits (seed 7), as offline: the classifier trains on
    60% and holds out 40%. Shared by every module on a worker; tests only read it."""
    folder = tmp_path_factory.mktemp("offline")
    images, labels = synthetic_digits(1000, seed=7)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", labels)
    return folder


@pytest.fixture(scope="session")
def classifier_bundle(offline_test_split, tmp_path_factory) -> Path:
    """A classifier bundle trained briefly (4 epochs) on `offline_test_split`; its .keras path.
    Tests only load it."""
    from dcgan_tf.evaluation.classifier import train_classifier

    path = tmp_path_factory.mktemp("classifier") / "classifier-mnist.keras"
    train_classifier("mnist", str(offline_test_split), path, epochs=4, log=lambda _: None)
    return path
