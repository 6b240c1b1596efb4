"""Pictures that are not digits, measured by Inception-v3: FID and KID, weights found or missing.

No ImageNet weights are downloaded here: an InceptionV3 with random weights (seeded), saved as
Keras' no-top file, stands in for them; the plumbing is what these tests check, not the numbers.
"""

import json
import time

import h5py
import imageio.v3 as iio
import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.legacy.saving import legacy_h5_format

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluate import main as evaluate_main
from dcgan_tf.evaluation import inception
from dcgan_tf.evaluation.classifier import load_or_train_classifier
from dcgan_tf.evaluation.inception import (
    WEIGHTS_FILE,
    InceptionFeatures,
    InceptionUnavailable,
    load_inception,
    locate_weights,
)
from dcgan_tf.evaluation.measure import QualityLog, Samples
from dcgan_tf.evaluation.picture_quality import PICTURE_COLUMNS, PictureYardstick
from dcgan_tf.generate import main as generate_main
from dcgan_tf.reporting.page import build_report
from dcgan_tf.trained_run import open_run


@pytest.fixture(scope="module")
def standin_model():
    """An InceptionV3 built with weights=None, seed 0: it stands in for ImageNet's."""
    keras.utils.set_random_seed(0)
    return keras.applications.InceptionV3(
        include_top=False, pooling="avg", weights=None, input_shape=(299, 299, 3)
    )


@pytest.fixture(scope="module")
def standin(standin_model, tmp_path_factory):
    """A folder holding WEIGHTS_FILE with the stand-in's weights, written as Keras' own file is
    (legacy HDF5)."""
    folder = tmp_path_factory.mktemp("standin")
    with h5py.File(folder / WEIGHTS_FILE, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, standin_model)
    return folder


@pytest.fixture(scope="module")
def features(standin):
    return InceptionFeatures(load_inception(standin), batch_size=4)


def shapes(count: int, size: int, seed: int) -> np.ndarray:
    """uint8 colour pictures (count, size, size, 3): a coloured square on a coloured ground."""
    rng = np.random.default_rng(seed)
    pictures = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        pictures[i] = rng.integers(0, 256, 3)
        x, y, w = *rng.integers(0, size // 2, 2), rng.integers(size // 4, size // 2)
        pictures[i, y : y + w, x : x + w] = rng.integers(0, 256, 3)
    return pictures


def test_the_weights_are_loaded_from_the_file_or_the_folder_given(standin, standin_model, features):
    assert locate_weights(standin) == locate_weights(standin / WEIGHTS_FILE)
    assert locate_weights(standin) == str(standin / WEIGHTS_FILE)
    loaded = features.model.get_weights()  # loaded from the folder
    saved = standin_model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(loaded, saved, strict=True))


def test_keras_cached_weights_are_used_without_a_download(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / WEIGHTS_FILE).write_bytes(b"weights")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(inception, "can_connect", lambda host: pytest.fail("went online"))
    assert locate_weights(None) == str(tmp_path / "models" / WEIGHTS_FILE)


def test_an_empty_folder_given_names_the_file_to_put_there_within_seconds(tmp_path):
    start = time.time()
    with pytest.raises(InceptionUnavailable) as missing:
        load_inception(tmp_path)
    assert time.time() - start < 5
    line = str(missing.value)
    assert len(line.splitlines()) == 1
    assert f"put {WEIGHTS_FILE}" in line and f"into {tmp_path}/" in line


def test_offline_without_keras_cached_weights_names_keras_folder_and_downloads_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(inception, "can_connect", lambda host: False)  # this machine, offline
    monkeypatch.setattr(
        keras.applications, "InceptionV3", lambda **_: pytest.fail("tried to download")
    )
    with pytest.raises(InceptionUnavailable, match=r"storage\.googleapis\.com unreachable") as err:
        load_inception(None)
    assert f"into {tmp_path / 'models'}/" in str(err.value)


def test_a_file_of_other_weights_is_one_line(tmp_path):
    (tmp_path / WEIGHTS_FILE).write_bytes(b"not an HDF5 file")
    with pytest.raises(InceptionUnavailable, match="not Inception-v3's no-top weights"):
        load_inception(tmp_path)


def test_pictures_are_resized_to_299_in_three_channels_scaled_to_minus_one_one():
    seen = []

    def model(x, training):  # stands in for Inception: what reaches it, per picture
        seen.append(x.shape)
        return tf.stack([tf.reduce_min(x, [1, 2, 3]), tf.reduce_max(x, [1, 2, 3])], axis=1)

    white, black = np.full((1, 28, 28), 255, np.uint8), np.zeros((1, 28, 28), np.uint8)
    extremes = InceptionFeatures(model)(np.concatenate([white, black]))
    np.testing.assert_allclose(extremes, [[1, 1], [-1, -1]], atol=1e-6)
    assert seen[0][1:] == (299, 299, 3)


@pytest.mark.slow  # make test-slow: a training run or Inception on many pictures
def test_features_are_2048_per_picture_of_any_size_gray_as_its_colour_copy(features):
    gray = shapes(2, 28, seed=1)[..., 0]
    as_colour = np.repeat(gray[..., None], 3, axis=-1)
    assert features(gray).shape == (2, 2048)
    np.testing.assert_allclose(features(gray), features(as_colour), rtol=1e-5, atol=1e-5)
    assert features(shapes(5, 64, seed=2)).shape == (5, 2048)  # two batches of 4
    as_floats = (gray.astype(np.float32) - 127.5) / 127.5  # the generator's range
    np.testing.assert_allclose(features(as_floats), features(gray), rtol=1e-4, atol=1e-5)


def test_real_pictures_against_themselves_score_zero_fid_and_far_below_noise(features):
    real = shapes(8, 32, seed=3)
    yardstick = PictureYardstick(features, real, channels=3, log=lambda _: None)
    itself = yardstick.evaluate(Samples(real))
    noise = np.random.default_rng(4).integers(0, 256, real.shape, dtype=np.uint8)
    noisy = yardstick.evaluate(Samples(noise))
    assert itself["fid"] == pytest.approx(0.0, abs=1e-3 * noisy["fid"])
    assert noisy["kid"] > itself["kid"]  # random stand-in weights: tiny, but ordered
    assert (noisy["num_samples"], noisy["num_real"]) == (8, 8)


def test_the_quality_log_of_pictures_keeps_fid_and_kid_with_its_spread(tmp_path):
    log = QualityLog(tmp_path, PICTURE_COLUMNS)
    log.record(1, 10, {"fid": 120.5, "kid": 0.0123456, "kid_std": 0.0004321})
    lines = (tmp_path / "quality.csv").read_text().splitlines()
    assert lines == ["epoch,step,fid,kid,kid_std", "1,10,120.5000,0.0123456,0.0004321"]
    assert QualityLog(tmp_path, PICTURE_COLUMNS).load() == [(1, 10, 120.5, 0.0123456, 0.0004321)]


def test_no_digit_classifier_is_trained_on_a_folder_of_pictures(picture_folder, tmp_path):
    with pytest.raises(UserError, match="a folder's pictures are measured by Inception-v3"):
        load_or_train_classifier(tmp_path / "c.keras", "folder", str(picture_folder))
    assert not (tmp_path / "c.keras").exists()


def test_a_folder_run_may_ask_for_quality_measurements():
    assert TrainConfig(dataset="folder", data_dir="x", eval_every=1).eval_every == 1


@pytest.fixture(scope="module")
def picture_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pictures")
    for i, picture in enumerate(shapes(8, 40, seed=5)):
        iio.imwrite(folder / f"p{i}.{'png' if i % 2 else 'jpg'}", picture)
    return folder


def folder_run(folder, tmp_path, weights) -> list[str]:
    return ["--dataset", "folder", "--data-dir", str(folder), "--channels", "3",
            "--batch-size", "4", "--steps", "2", "--eval-every", "1", "--eval-samples", "10",
            "--inception-weights", str(weights), "--out", str(tmp_path / "out"),
            "--checkpoint-dir", str(tmp_path / "ck")]  # fmt: skip


@pytest.fixture(scope="module")
def measured_folder_run(picture_folder, standin, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("run")
    assert generate_main(folder_run(picture_folder, tmp_path, standin)) == 0
    return tmp_path


@pytest.mark.slow  # make test-slow: a training run or Inception on many pictures
def test_a_folder_run_logs_its_inception_fid_and_kid_each_measurement(measured_folder_run):
    header, row = (measured_folder_run / "out" / "quality.csv").read_text().splitlines()
    assert header == "epoch,step,fid,kid,kid_std"
    epoch, step, fid, _, kid_std = row.split(",")
    assert (epoch, step) == ("1", "2") and float(fid) > 0 and float(kid_std) >= 0
    assert json.loads((measured_folder_run / "ck" / "best" / "best.json").read_text())["step"] == 2
    page = build_report(measured_folder_run / "out")
    assert ">KID</th>" in page and "classifier score" not in page
    events = (measured_folder_run / "out" / "tensorboard").glob("events.out.tfevents.*")
    tags = {
        value.tag
        for path in events
        for event in tf.compat.v1.train.summary_iterator(str(path))
        for value in event.summary.value
    }
    assert {"quality/fid", "quality/kid", "quality/kid_std"} <= tags
    assert "quality/classifier_score" not in tags


@pytest.mark.slow  # make test-slow: a training run or Inception on many pictures
def test_evaluate_measures_a_folder_run_by_inception_beside_its_real_pictures(
    measured_folder_run, capsys
):
    ck = measured_folder_run / "ck"
    assert evaluate_main(["--checkpoint-dir", str(ck), "--num", "10"]) == 0
    assert "KID in Inception features" in capsys.readouterr().out
    report = json.loads((measured_folder_run / "out" / "metrics.json").read_text())
    assert {"fid", "kid", "kid_std"} <= set(report["samples"]) & set(report["real_data"])
    assert report["samples"]["num_samples"] == 10 and report["samples"]["num_real"] == 8
    assert report["inception"]["resize"].startswith("bilinear")


@pytest.mark.slow  # make test-slow: Inception on the stand-in weights twice more
def test_the_python_apis_evaluate_measures_a_folder_run_as_the_command_does(measured_folder_run):
    ck = measured_folder_run / "ck"
    metrics = open_run(ck).evaluate(num=10)
    assert evaluate_main(["--checkpoint-dir", str(ck), "--num", "10"]) == 0
    command = json.loads((measured_folder_run / "out" / "metrics.json").read_text())["samples"]
    for name in ("fid", "kid", "kid_std"):
        assert metrics[name] == pytest.approx(command[name], rel=1e-5)


@pytest.mark.slow  # make test-slow: a training run or Inception on many pictures
def test_evaluate_without_the_weights_is_one_line_naming_the_file(
    measured_folder_run, tmp_path, capsys
):
    argv = ["--checkpoint-dir", str(measured_folder_run / "ck"), "--num", "10"]
    assert evaluate_main([*argv, "--inception-weights", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and WEIGHTS_FILE in err and str(tmp_path) in err


@pytest.mark.slow  # make test-slow: a training run or Inception on many pictures
def test_a_folder_run_without_the_weights_trains_on_unmeasured_after_one_line(
    picture_folder, tmp_path, capsys
):
    empty = tmp_path / "no-weights"
    empty.mkdir()
    assert generate_main(folder_run(picture_folder, tmp_path, empty)) == 0
    out = capsys.readouterr().out
    (missing,) = [line for line in out.splitlines() if WEIGHTS_FILE in line]
    assert f"into {empty}/" in missing
    assert not (tmp_path / "out" / "quality.csv").exists()
    assert (tmp_path / "ck" / "checkpoint").exists()  # trained to the end


@pytest.mark.slow  # make test-slow: a training run or Inception on many pictures
def test_evaluate_measures_any_pictures_against_a_folder_at_their_size(
    picture_folder, standin, tmp_path
):
    fakes = shapes(10, 32, seed=6)
    np.save(tmp_path / "fakes.npy", fakes)
    argv = ["--images", str(tmp_path / "fakes.npy"), "--dataset", "folder",
            "--data-dir", str(picture_folder), "--inception-weights", str(standin),
            "--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ck")]  # fmt: skip
    assert evaluate_main(argv) == 0
    report = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert (report["samples"]["num_samples"], report["samples"]["num_real"]) == (10, 8)
