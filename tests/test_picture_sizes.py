"""Everything after training works at every picture size and channel count (issue 29, items 4
and 7): a colour folder of shapes (PNG, JPEG, BMP, GIF, one broken file) trained at 64x64 by the
PyTorch tutorial's pair, then its grids, GIF, TensorBoard images, `sample`, `interpolate`,
`sweep`, `export`, `explore` and `report`; the tutorial's dcgan resumed exactly at 64x64; a gray
run of digits upscaled to 32x32 sampled, exported and read by the digit classifier."""

from __future__ import annotations

import base64
import io
import json
import shutil
import threading
import urllib.request
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_trained_alike, write_mnist_dir, write_shapes_folder
from PIL import Image

from dcgan_tf import explore, export, generate, interpolate, report, sample, sweep
from dcgan_tf.common.errors import UserError
from dcgan_tf.evaluate import load_images
from dcgan_tf.evaluation.classifier import load_classifier
from dcgan_tf.explorer.engine import Engine
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, load_run
from dcgan_tf.run.state import build_state_for
from dcgan_tf.tutorial.images import grid_scale

# 16 pictures of 64 pixels in 4 columns, 2 pixels apart, enlarged twice: 532 pixels each way.
GRID_64 = (4 * (64 + 2) + 2) * 2


def train_args(data: Path, root: Path, *flags: str) -> list[str]:
    return ["--data-dir", str(data), "--out", str(root / "out"),
            "--checkpoint-dir", str(root / "ck"), "--batch-size", "4", *flags]  # fmt: skip


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    return write_shapes_folder(tmp_path_factory.mktemp("shapes") / "pictures")


@pytest.fixture(scope="module")
def colour_run(shapes, tmp_path_factory) -> Path:
    """The PyTorch tutorial's pair at 64x64 on the 8 readable shapes in colour: 2 steps of 4,
    one whole epoch. Tests only read it (or copy it)."""
    root = tmp_path_factory.mktemp("colour")
    flags = ["--dataset", "folder", "--channels", "3", "--image-size", "64", "--model", "pytorch"]
    assert generate.main(train_args(shapes, root, *flags, "--steps", "2")) == 0
    return root


def ck(run: Path) -> list[str]:
    return ["--checkpoint-dir", str(run / "ck")]


def test_a_grid_enlarges_each_picture_a_whole_number_of_times_to_about_96_pixels():
    assert [grid_scale(size) for size in (28, 32, 64, 128)] == [3, 3, 2, 1]


def test_the_progress_grid_and_gif_show_64x64_colour_pictures_twice_enlarged(colour_run):
    grid = iio.imread(colour_run / "out" / "image_at_epoch_0001.png")
    assert grid.shape == (GRID_64, GRID_64, 3)
    assert iio.imread(colour_run / "out" / "dcgan.gif").shape == (1, GRID_64, GRID_64, 3)


def test_tensorboard_shows_the_64x64_colour_grid(colour_run):
    (path,) = (colour_run / "out" / "tensorboard").glob("events.out.tfevents.*")
    (image,) = [
        value
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
        if value.tag == "progress/grid"
    ]
    width, height, png = tf.make_ndarray(image.tensor)  # the image plugin's layout
    assert (int(width), int(height)) == (GRID_64, GRID_64)
    shown = tf.io.decode_png(png).numpy()
    np.testing.assert_array_equal(shown, iio.imread(colour_run / "out" / "image_at_epoch_0001.png"))


def test_sample_writes_64x64_colour_pictures_as_npy_png_and_grid(colour_run, tmp_path):
    for kind, output in (("npy", "s.npy"), ("png", "pngs"), ("grid", "grid.png")):
        args = [*ck(colour_run), "--num", "3", "--format", kind, "--output", str(tmp_path / output)]
        assert sample.main(args) == 0
    saved = np.load(tmp_path / "s.npy")
    assert (saved.shape, saved.dtype) == ((3, 64, 64, 3), np.uint8)
    for i, path in enumerate(sorted((tmp_path / "pngs").glob("*.png"))):
        np.testing.assert_array_equal(iio.imread(path), saved[i])
    side = (2 * (64 + 2) + 2) * 2  # 3 pictures in 2 columns, 2 rows
    assert iio.imread(tmp_path / "grid.png").shape == (side, side, 3)


def test_interpolate_and_sweep_walk_64x64_colour_pictures(colour_run, tmp_path):
    args = [*ck(colour_run), "--rows", "2", "--steps", "3", "--out", str(tmp_path)]
    assert interpolate.main([*args, "--method", "slerp"]) == 0
    assert sweep.main(args) == 0
    shape = ((2 * (64 + 2) + 2) * 2, (3 * (64 + 2) + 2) * 2, 3)  # 2 rows of 3 steps
    assert iio.imread(tmp_path / "interpolation_slerp.png").shape == shape
    assert iio.imread(tmp_path / "sweep_dim0.png").shape == shape
    frames = iio.imread(tmp_path / "interpolation_slerp.gif")  # frame t: each row's t-th
    assert frames.shape[1:] == ((64 + 2) * 2 + 4, (2 * (64 + 2) + 2) * 2, 3)


def served_images(export_folder: Path, noise: np.ndarray) -> tuple[tf.TensorSpec, np.ndarray]:
    """The SavedModel's declared output and its images for `noise`."""
    serve = tf.saved_model.load(str(export_folder / "saved_model")).signatures["serving_default"]
    return serve.structured_outputs["images"], serve(noise=tf.constant(noise))["images"].numpy()


def test_the_export_signature_returns_uint8_n_64_64_3_the_samples_pixels(colour_run, tmp_path):
    assert export.main([*ck(colour_run), "--out", str(tmp_path / "export")]) == 0
    state, config, _ = load_run(colour_run / "ck")
    noise = draw_noise(state.spec, 2, config.noise_dim, seed=5)
    declared, images = served_images(tmp_path / "export", noise.numpy())
    assert (declared.shape.as_list(), declared.dtype) == ([None, 64, 64, 3], tf.uint8)
    np.testing.assert_array_equal(images, generate_pixels(state, noise, channels=3))
    info = json.loads((tmp_path / "export" / "export.json").read_text())
    assert info["outputs"] == {"images": "uint8 (N, 64, 64, 3)"}


def get(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data), timeout=60) as answer:
        return json.loads(answer.read())


def pixels_of(image: dict) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(image["png"].split(",", 1)[1]))))


def test_the_explorer_answers_every_route_with_64x64_colour_pictures(colour_run):
    args = explore.build_parser().parse_args([*ck(colour_run), "--port", "0"])
    server = explore.build_server(args)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        info = get(f"{url}/api/info")
        assert (info["image_size"], info["channels"]) == (64, 3)
        z = get(f"{url}/api/samples?seed=1&n=2")["z"]
        answers = [
            get(f"{url}/api/samples?seed=1&n=2")["images"],
            [get(f"{url}/api/image", {"z": z[0]})],
            get(f"{url}/api/interpolate", {"z0": z[0], "z1": z[1], "steps": 3})["images"],
            get(f"{url}/api/training", {"z": z[0]})["frames"],
        ]
        directions = get(f"{url}/api/directions", {"z": z[0], "k": 2})["directions"]
        with urllib.request.urlopen(url, timeout=60) as page:
            assert b"pictureSizes(i.image_size)" in page.read()
    finally:
        server.shutdown()
        server.server_close()
    shown = [pixels_of(image) for images in answers for image in images]
    assert len(shown) == 2 + 1 + 3 + 1 and len(directions) == 2
    assert {(p.shape, p.dtype.name) for p in shown} == {((64, 64, 3), "uint8")}


def test_the_report_shows_the_grid_at_its_own_size_never_squeezed(colour_run, tmp_path):
    shutil.copytree(colour_run / "out", tmp_path / "out", ignore=shutil.ignore_patterns(".lock"))
    assert report.main([str(tmp_path / "out")]) == 0
    page = (tmp_path / "out" / "report.html").read_text()
    style = page[page.index("img.pixels {") :].split("}", 1)[0]
    assert "width:" not in style.replace("max-width:", "")  # its own size, unless the window
    grid = page.split('<img class="pixels" src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    assert iio.imread(base64.b64decode(grid)).shape == (GRID_64, GRID_64, 3)


def test_resuming_at_another_image_size_exits_2_with_one_line(colour_run, shapes, tmp_path, capsys):
    shutil.copytree(colour_run / "ck", tmp_path / "ck", ignore=shutil.ignore_patterns("data-*"))
    flags = ["--dataset", "folder", "--channels", "3", "--image-size", "32", "--model", "pytorch"]
    capsys.readouterr()
    assert generate.main(train_args(shapes, tmp_path, *flags, "--steps", "4")) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"error: {tmp_path / 'ck'} holds a run with --image-size 64, not 32; use the same value, "
        "--fresh, or another --checkpoint-dir"
    ]


def test_evaluate_reads_gray_pictures_of_every_size_and_only_square_ones(tmp_path):
    for shape in ((12, 28, 28), (12, 64, 64), (12, 128, 128)):
        np.save(tmp_path / "images.npy", np.zeros(shape, np.uint8))
        assert load_images(tmp_path / "images.npy").shape == shape
    np.save(tmp_path / "images.npy", np.zeros((12, 64, 32), np.uint8))
    with pytest.raises(UserError, match=r"expected uint8 \(N, S, S\) or \(N, S, S, 3\)"):
        load_images(tmp_path / "images.npy")


@pytest.mark.slow  # make test-slow: three short trainings at 64x64
def test_a_64x64_colour_run_stopped_midway_resumes_to_the_weights_of_an_unbroken_one(
    shapes, tmp_path
):
    flags = ["--dataset", "folder", "--channels", "3", "--image-size", "64", "--seed", "3"]
    assert generate.main(train_args(shapes, tmp_path / "straight", *flags, "--steps", "3")) == 0
    broken = tmp_path / "broken"
    assert generate.main(train_args(shapes, broken, *flags, "--steps", "1")) == 0  # mid-epoch
    assert generate.main(train_args(shapes, broken, *flags, "--steps", "3")) == 0
    (straight, config, _), (resumed, _, _) = (
        load_run(p / "ck") for p in (tmp_path / "straight", broken)
    )
    assert int(resumed.step) == int(straight.step) == 3
    start = build_state_for(config)
    for net in ("generator", "discriminator"):
        weights = [getattr(s, net).get_weights() for s in (straight, resumed, start)]
        assert_trained_alike(*weights)


@pytest.fixture(scope="module")
def gray_run(tmp_path_factory) -> Path:
    """The tutorial's dcgan on synthetic digits upscaled to 32x32: 2 steps of 4."""
    root = tmp_path_factory.mktemp("gray")
    digits = write_mnist_dir(root / "mnist", train=8, test=8)
    assert generate.main(train_args(digits, root, "--image-size", "32", "--steps", "2")) == 0
    return root


@pytest.mark.slow  # make test-slow: a second run
def test_a_gray_32x32_run_samples_and_exports_32x32_pictures(gray_run, tmp_path):
    output = tmp_path / "s.npy"
    args = [*ck(gray_run), "--num", "3", "--format", "npy", "--output", str(output)]
    assert sample.main(args) == 0
    assert np.load(output).shape == (3, 32, 32)
    assert export.main([*ck(gray_run), "--out", str(tmp_path / "export")]) == 0
    declared, images = served_images(tmp_path / "export", np.zeros((2, 100), np.float32))
    assert declared.shape.as_list() == [None, 32, 32, 1] and images.shape == (2, 32, 32, 1)
    side = (4 * (32 + 2) + 2) * 3  # 16 pictures of 32 pixels, enlarged 3 times as the digits
    assert iio.imread(gray_run / "out" / "image_at_epoch_0001.png").shape == (side, side)


@pytest.mark.slow  # make test-slow: a second run, and the classifier
def test_the_explorer_s_digit_classifier_reads_32x32_gray_pictures(gray_run, classifier_bundle):
    state, config, path = load_run(gray_run / "ck")
    engine = Engine(state, config, path, load_classifier(classifier_bundle))
    z, _ = engine.draw(seed=0, count=3, label=None)
    images = engine.render(z, None)
    assert pixels_of(images[0]).shape == (32, 32)
    assert all(0 <= i["digit"] <= 9 and 0 < i["confidence"] <= 1 for i in images)
