"""Pictures at other sizes (issue 29, data): a folder center-cropped and resized to S, prepared
once into a cache on disk and read back through a memory map; MNIST upscaled to S."""

import os

import imageio.v3 as iio
import numpy as np
import pytest
from conftest import first_then_slow, shape_picture, write_idx, write_mnist_dir, write_shapes_folder

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.data import pictures
from dcgan_tf.data.sources import load_split
from dcgan_tf.generate import main


@pytest.fixture
def folder(tmp_path):
    """Eight colour pictures as PNG, JPEG, BMP and GIF, one broken file, one text file."""
    return write_shapes_folder(tmp_path / "pictures")


@pytest.fixture
def decodes(monkeypatch):
    """Counts the pictures decoded (every call of `prepare_picture`)."""
    calls = []
    real = pictures.prepare_picture

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pictures, "prepare_picture", counting)
    return calls


def load(folder, cache, size=64, channels=3, crop=0):
    return load_split("folder", "train", str(folder), channels, size, crop, cache)


def test_a_folder_is_prepared_into_uint8_pictures_of_the_size_asked(folder, tmp_path):
    images, labels = load(folder, tmp_path / "cache")
    assert (images.shape, images.dtype) == ((8, 64, 64, 3), np.uint8)
    assert (labels == 0).all() and len(labels) == 8
    gray, _ = load(folder, tmp_path / "cache", size=32, channels=1)
    assert gray.shape == (8, 32, 32)


def test_every_picture_format_is_read_in_nested_folders(folder, tmp_path):
    images, _ = load(folder, tmp_path / "cache")
    # Each picture keeps its own colours: the eight are all different.
    assert len({image.tobytes() for image in images}) == 8
    assert images.std() > 30  # pictures, not blank rows


def test_the_largest_centered_square_is_kept(tmp_path):
    """A wide picture, red | green | blue in thirds: its centered square is the green third."""
    picture = np.zeros((60, 180, 3), np.uint8)
    picture[:, :60], picture[:, 60:120], picture[:, 120:] = (255, 0, 0), (0, 255, 0), (0, 0, 255)
    (tmp_path / "in").mkdir()
    iio.imwrite(tmp_path / "in" / "wide.png", picture)
    (image,), _ = load(tmp_path / "in", tmp_path / "cache")
    assert image[..., 1].min() >= 240 and image[..., [0, 2]].max() <= 15  # green, edge to edge


def test_crop_n_cuts_a_centered_square_of_n_pixels_before_resizing(tmp_path):
    """A 100x100 picture, black with a centered 40x40 white square."""
    picture = np.zeros((100, 100), np.uint8)
    picture[30:70, 30:70] = 255
    (tmp_path / "in").mkdir()
    iio.imwrite(tmp_path / "in" / "square.png", picture)
    (cropped,), _ = load(tmp_path / "in", tmp_path / "cache", size=32, channels=1, crop=40)
    # Only the white square is left (the filter reaches a pixel past the crop at its edges).
    assert cropped[1:-1, 1:-1].min() >= 250 and cropped.min() >= 230
    (whole,), _ = load(tmp_path / "in", tmp_path / "cache", size=32, channels=1)
    assert whole[16, 16] >= 250 and whole[:6, :6].max() <= 5  # white middle, black corners
    assert 0.14 < (whole > 127).mean() < 0.18  # the square is 16% of the picture


def test_a_crop_larger_than_a_picture_keeps_its_largest_square(tmp_path):
    (tmp_path / "in").mkdir()
    picture = np.zeros((20, 30), np.uint8)
    picture[:, 5:25] = 200  # the centered 20x20 square: 200, black outside it
    iio.imwrite(tmp_path / "in" / "small.png", picture)
    (image,), _ = load(tmp_path / "in", tmp_path / "cache", size=32, channels=1, crop=108)
    assert image.shape == (32, 32) and image[:, 2:-2].min() >= 195 and image.min() >= 150


def test_the_cache_is_read_back_as_a_read_only_memory_map(folder, tmp_path):
    images, _ = load(folder, tmp_path / "cache")
    assert isinstance(images, np.memmap) and not images.flags.writeable
    assert [p.suffix for p in sorted((tmp_path / "cache").iterdir())] == [".json", ".npy"]


def test_an_unchanged_folder_is_decoded_once(folder, tmp_path, decodes, capsys):
    first, _ = load(folder, tmp_path / "cache")
    assert len(decodes) == 8  # the broken file fails to open, before it is decoded
    again, _ = load(folder, tmp_path / "cache")
    assert len(decodes) == 8
    assert np.array_equal(first, again)
    assert "Read 8 pictures of" in capsys.readouterr().out


@pytest.mark.parametrize("change", ["content", "mtime", "added", "removed"])
def test_a_changed_folder_is_prepared_again_with_a_line(folder, tmp_path, decodes, capsys, change):
    load(folder, tmp_path / "cache")
    before = len(decodes)
    target = folder / "shape0.png"
    if change == "content":
        iio.imwrite(target, shape_picture(96, 64, (255, 255, 255), 9))
    elif change == "mtime":
        stat = target.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    elif change == "added":
        iio.imwrite(folder / "more" / "new.jpg", shape_picture(50, 50, (9, 99, 199), 5))
    else:
        target.unlink()
    capsys.readouterr()
    images, _ = load(folder, tmp_path / "cache")
    assert "changed since it was prepared" in capsys.readouterr().out
    assert len(decodes) > before  # decoded again
    assert len(images) == {"added": 9, "removed": 7}.get(change, 8)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1  # the old cache is gone


def test_another_size_is_prepared_beside_without_the_changed_line(folder, tmp_path, capsys):
    load(folder, tmp_path / "cache", size=64)
    load(folder, tmp_path / "cache", size=32)
    assert "changed" not in capsys.readouterr().out
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2


def test_unreadable_files_are_skipped_with_a_count_each_time(folder, tmp_path, capsys):
    images, _ = load(folder, tmp_path / "cache")
    assert len(images) == 8
    line = f"Skipped 1 unreadable image file(s) of 9 in {folder}"
    assert line in capsys.readouterr().out
    load(folder, tmp_path / "cache")
    assert line in capsys.readouterr().out


def test_a_folder_of_unreadable_files_only_is_one_error(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(b"no picture")
    with pytest.raises(UserError, match="no readable picture file"):
        load(tmp_path / "in", tmp_path / "cache")


def test_a_preparation_killed_halfway_leaves_no_cache_that_is_trusted(
    folder, tmp_path, monkeypatch
):
    real, calls = pictures.prepare_picture, []

    def dies_at_the_fourth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(pictures, "prepare_picture", dies_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        load(folder, tmp_path / "cache")
    assert list((tmp_path / "cache").glob("*.npy")) == []  # no cache, no temporary file
    monkeypatch.setattr(pictures, "prepare_picture", real)
    images, _ = load(folder, tmp_path / "cache")
    assert len(images) == 8 and images[-1].std() > 0  # all prepared, the last one too


def test_a_dead_preparation_s_temporary_file_is_removed(folder, tmp_path):
    (tmp_path / "cache").mkdir()
    dead = tmp_path / "cache" / ".pictures-x.tmp-999999999.npy"  # no such process
    dead.write_bytes(b"half a cache")
    load(folder, tmp_path / "cache")
    assert not dead.exists()


def test_a_damaged_cache_is_prepared_again(folder, tmp_path, decodes):
    load(folder, tmp_path / "cache")
    (npy,) = (tmp_path / "cache").glob("*.npy")
    npy.write_bytes(npy.read_bytes()[:500])  # cut short
    before = len(decodes)
    images, _ = load(folder, tmp_path / "cache")
    assert len(decodes) > before and images.shape == (8, 64, 64, 3)


def test_mnist_is_upscaled_to_the_size_asked(tmp_path):
    mnist = write_mnist_dir(tmp_path / "mnist")
    halves = np.zeros((200, 28, 28), np.uint8)
    halves[:, :, :14] = 255  # white left half, black right half
    write_idx(mnist / "train-images-idx3-ubyte.gz", halves)
    images, labels = load_split("mnist", "train", str(mnist), image_size=32)
    _, labels28 = load_split("mnist", "train", str(mnist))
    assert (images.shape, images.dtype) == ((200, 32, 32), np.uint8)
    assert np.array_equal(labels, labels28)
    assert (images[:, :, :13] == 255).all() and (images[:, :, 19:] == 0).all()
    assert abs(images.mean() - 127.5) < 2


def test_28_is_the_digits_own_size_untouched(mnist_dir):
    images, _ = load_split("mnist", "train", str(mnist_dir))
    assert images.shape == (200, 28, 28)


def test_generate_refuses_a_size_the_model_does_not_draw(tmp_path, capsys):
    args = ["--model", "cdcgan", "--image-size", "64", "--out", str(tmp_path / "o"),
            "--checkpoint-dir", str(tmp_path / "c")]  # fmt: skip
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "error: --image-size 64: the cdcgan model draws 28x28 pictures only\n"
    )


def test_a_cache_dir_that_is_a_file_is_refused_in_one_line(folder, tmp_path, capsys):
    (tmp_path / "a file").write_text("")
    args = ["--dataset", "folder", "--data-dir", str(folder), "--cache-dir",
            str(tmp_path / "a file"), "--checkpoint-dir", str(tmp_path / "c"),
            "--out", str(tmp_path / "o")]  # fmt: skip
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("error: --cache-dir ")


def test_size_and_crop_values_are_checked():
    with pytest.raises(UserError, match="choose one of: 28, 32, 64, 128"):
        TrainConfig(image_size=48)
    with pytest.raises(UserError, match=r"--crop 108: .* for --dataset folder only"):
        TrainConfig(crop=108)
    with pytest.raises(UserError, match="--crop -1"):
        TrainConfig(dataset="folder", data_dir="d", crop=-1)


@pytest.mark.parametrize(
    "model", first_then_slow(["dcgan", "gan"])
)  # [-1, 1] pictures; [0, 1] and flat
def test_a_prepared_folder_is_scaled_batch_by_batch_into_the_same_batches(folder, tmp_path, model):
    from dcgan_tf.data.scaled import ScaledOnRead
    from dcgan_tf.models.specs import MODEL_SPECS
    from dcgan_tf.training.loop import model_inputs
    from dcgan_tf.tutorial.dataset import make_dataset

    images, _ = load(folder, tmp_path / "cache", size=32)

    class State:
        spec = MODEL_SPECS[model]

    data, _ = model_inputs(State(), images, None)
    assert isinstance(data, ScaledOnRead)  # no float32 copy of them all
    at_once, _ = model_inputs(State(), np.array(images), None)  # an array in memory, as MNIST
    lazy = [batch.numpy() for (batch,) in make_dataset(data, 3, seed=1, epoch=2, skip_batches=1)]
    eager = [b.numpy() for (b,) in make_dataset(at_once, 3, seed=1, epoch=2, skip_batches=1)]
    assert (
        [b.shape for b in lazy]
        == [b.shape for b in eager]
        == [(3, *data.shape[1:]), (2, *data.shape[1:])]
    )
    assert all(np.array_equal(a, b) for a, b in zip(lazy, eager, strict=True))
