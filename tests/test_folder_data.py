"""Training on one's own pictures: --dataset folder, gray or RGB."""

import imageio.v3 as iio
import numpy as np
import pytest

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.data.sources import load_image_folder
from dcgan_tf.generate import main


@pytest.fixture
def pictures(tmp_path):
    """Six colour pictures of assorted sizes, in nested folders, and two files that are not."""
    rng = np.random.default_rng(0)
    (tmp_path / "a" / "b").mkdir(parents=True)
    for i in range(3):
        iio.imwrite(tmp_path / f"p{i}.png", rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
        iio.imwrite(
            tmp_path / "a" / "b" / f"q{i}.jpg", rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
        )
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored: not an image name")
    return tmp_path


def test_reads_every_picture_recursively_as_28x28_gray(pictures, capsys):
    images, labels = load_image_folder(pictures)
    assert (images.shape, images.dtype) == ((6, 28, 28), np.uint8)
    assert (labels == 0).all()
    assert "Skipped 1 unreadable image file(s) of 7" in capsys.readouterr().out


def test_reads_rgb_with_three_channels(pictures):
    images, _ = load_image_folder(pictures, channels=3)
    assert images.shape == (6, 28, 28, 3)


def test_an_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="no readable picture file"):
        load_image_folder(tmp_path)


def test_folder_options_are_checked(tmp_path):
    with pytest.raises(UserError, match="--channels 3 needs --dataset folder"):
        TrainConfig(channels=3)
    with pytest.raises(UserError, match="--dataset folder needs --data-dir"):
        TrainConfig(dataset="folder")


def test_a_short_rgb_run_on_a_folder_writes_colour_grids(pictures, tmp_path):
    args = ["--dataset", "folder", "--data-dir", str(pictures), "--channels", "3", "--epochs", "1",
            "--batch-size", "4", "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ck")]  # fmt: skip
    assert main(args) == 0
    grid = iio.imread(tmp_path / "out" / "image_at_epoch_0001.png")
    assert grid.ndim == 3 and grid.shape[2] == 3
    (cache,) = (tmp_path / "ck" / "data-cache").glob("*.npy")  # prepared once, for later runs
    assert np.load(cache).shape == (6, 28, 28, 3)
