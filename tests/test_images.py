"""Progress grids, the GIF and the loss history files."""

import imageio.v3 as iio
import numpy as np
import pytest

from dcgan_tf.common.errors import UserError
from dcgan_tf.models.specs import MODEL_SPECS
from dcgan_tf.run.history import LossHistory
from dcgan_tf.tutorial.images import build_gif, epoch_images, image_grid, save_image_grid


def test_generator_range_maps_to_gray_levels():
    tanh = np.array([-1.0, 0.0, 1.0, 1.5]).repeat(784).reshape(4, 784)  # flat, as gan's output
    pixels = MODEL_SPECS["dcgan"].to_pixels(tanh, channels=1)
    assert pixels.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(pixels[:, 0, 0, 0], [0, 128, 255, 255])
    sigmoid = MODEL_SPECS["gan"].to_pixels(
        np.array([0.0, 0.5, 1.0, 1.0]).repeat(784).reshape(4, 784), 1
    )
    np.testing.assert_array_equal(sigmoid[:, 0, 0, 0], [0, 128, 255, 255])


def test_rgb_images_make_an_rgb_grid():
    grid = image_grid(np.zeros((4, 28, 28, 3), np.uint8), columns=2, scale=1)
    assert grid.shape == (2 * 30 + 2, 2 * 30 + 2, 3)


def test_grid_tiles_sixteen_images_four_by_four_on_white():
    images = np.zeros((16, 28, 28, 1), np.uint8)
    images[5] = 100  # second row, second column
    grid = image_grid(images, pad=2, scale=1)
    assert grid.shape == (4 * 30 + 2, 4 * 30 + 2)
    assert grid[0, 0] == 255  # padding
    assert (grid[32:60, 32:60] == 100).all()
    assert (grid[2:30, 2:30] == 0).all()


def test_saved_grid_is_a_gray_png(tmp_path):
    path = save_image_grid(
        np.zeros((16, 28, 28, 1), np.uint8), tmp_path / "image_at_epoch_0001.png"
    )
    picture = iio.imread(path)
    assert picture.ndim == 2
    assert picture.shape == (3 * 122, 3 * 122)
    assert [p.name for p in tmp_path.iterdir()] == ["image_at_epoch_0001.png"]  # no temp files


def test_epoch_images_come_in_epoch_order(tmp_path):
    for epoch in (10, 2, 1):
        save_image_grid(
            np.zeros((16, 28, 28, 1), np.uint8), tmp_path / f"image_at_epoch_{epoch:04d}.png"
        )
    (tmp_path / "image_at_epoch_xx.png").write_bytes(b"")
    assert [p.name[-8:-4] for p in epoch_images(tmp_path)] == ["0001", "0002", "0010"]


def test_gif_has_one_frame_per_epoch_in_order(tmp_path):
    for epoch, value in ((1, 0), (2, 255)):
        save_image_grid(
            np.full((16, 28, 28, 1), value), tmp_path / f"image_at_epoch_{epoch:04d}.png"
        )
    frames = iio.imread(build_gif(tmp_path), index=None)
    assert frames.shape[0] == 2
    assert frames[0].mean() < frames[1].mean()  # black digits first, then white


def test_gif_without_epoch_images_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="no image_at_epoch"):
        build_gif(tmp_path)


def test_history_round_trips_and_plots(tmp_path):
    history = LossHistory()
    history.append(1, 1, 0.7, 1.4)
    history.append(2, 1, 0.8, 1.3)
    history.save(tmp_path)
    assert LossHistory.load(tmp_path / "losses.csv", up_to_step=10).rows == history.rows
    assert LossHistory.load(tmp_path / "losses.csv", up_to_step=1).rows == [(1, 1, 0.7, 1.4)]
    assert iio.imread(tmp_path / "losses.png").shape[0] > 100


def test_a_long_run_gif_keeps_evenly_spaced_frames_and_the_last(tmp_path):
    for epoch in range(1, 11):
        pixels = np.full((16, 28, 28, 1), 20 * epoch, np.uint8)
        save_image_grid(pixels, tmp_path / f"image_at_epoch_{epoch:04d}.png")
    frames = iio.imread(build_gif(tmp_path, max_frames=4), index=None)
    assert frames.shape[0] == 4
    assert frames[-1].min() == 200  # epoch 10's gray level; the white gaps are 255


def test_each_epochs_grid_is_the_checkpoints_generator_on_the_runs_fixed_seed_noise(tmp_path):
    """README: "the same 4x4 grid of a fixed seed noise, kept in the checkpoint". The grid after
    epoch k is redrawn exactly from checkpoint k's seed noise and generator, and not from fresh
    noise."""
    from conftest import synthetic_digits

    from dcgan_tf.config import TrainConfig
    from dcgan_tf.generator.sampling import load_run
    from dcgan_tf.training.loop import train

    out, ck = tmp_path / "out", tmp_path / "ck"
    config = TrainConfig(epochs=2, batch_size=16, out=str(out), checkpoint_dir=str(ck))
    train(config, synthetic_digits(32, seed=3)[0], log=lambda _: None)

    def grid(state, noise) -> np.ndarray:
        pixels = state.spec.to_pixels(state.generator(noise, training=False), channels=1)
        return image_grid(pixels)

    for epoch in (1, 2):
        state, _, _ = load_run(ck, checkpoint=str(ck / f"ckpt-{epoch}"))
        assert int(state.epoch) == epoch
        saved = iio.imread(out / f"image_at_epoch_{epoch:04d}.png")
        np.testing.assert_array_equal(saved, grid(state, state.seed_noise))
        fresh = np.random.default_rng(epoch).normal(size=state.seed_noise.shape)
        assert not np.array_equal(saved, grid(state, fresh.astype(np.float32)))


def test_in_a_notebook_each_epochs_grid_and_then_the_gif_are_shown(tmp_path):
    from dcgan_tf.reporting.inline import InlineImages

    shown = []
    hook = InlineImages(tmp_path, show=shown.append)
    for name in ("image_at_epoch_0001.png", "image_at_epoch_0002.png", "dcgan.gif"):
        (tmp_path / name).write_bytes(b"")
    hook.on_epoch_end(1, None)
    hook.on_epoch_end(2, None)
    hook.on_train_end(None)
    assert [path.name for path in shown] == [
        "image_at_epoch_0001.png",
        "image_at_epoch_0002.png",
        "dcgan.gif",
    ]
