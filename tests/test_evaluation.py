"""Evaluation end to end, calibrated: the metrics order real, damaged and noise sets correctly."""

import json

import numpy as np
import pytest
from conftest import synthetic_digits, write_idx, write_mnist_dir

from dcgan_tf.common.files import keep_marker, kept_below
from dcgan_tf.data.pictures import resize_images
from dcgan_tf.evaluate import main as evaluate_main
from dcgan_tf.evaluation.classifier import classifier_data, load_classifier, train_classifier
from dcgan_tf.evaluation.measure import (
    GeneratorSampler,
    QualityHook,
    QualityLog,
    Samples,
    evaluate_samples,
    real_data_metrics,
)
from dcgan_tf.evaluation.metrics import fid
from dcgan_tf.evaluation.tables import format_table
from dcgan_tf.generate import main as generate_main
from dcgan_tf.run.state import build_state
from dcgan_tf.tools.quality import main as quality_main
from dcgan_tf.tutorial.dataset import to_model_range


@pytest.fixture(scope="module")
def classifier(classifier_bundle):
    return load_classifier(classifier_bundle)


def evaluate(images_uint8, classifier):
    samples = Samples(to_model_range(images_uint8))
    return evaluate_samples(samples, classifier, classifier.reference)


def test_classifier_holds_out_the_images_it_was_not_trained_on(classifier):
    assert classifier.info["train_images"] == 600
    assert len(classifier.reference) == 400
    assert classifier.info["held_out_accuracy"] > 0.9


def test_the_bundle_keeps_the_held_out_images_and_how_it_was_trained(
    classifier, offline_test_split
):
    (trained, _), (held_out, _), _ = classifier_data("mnist", str(offline_test_split), seed=0)
    np.testing.assert_array_equal(classifier.reference, held_out)
    assert not {im.tobytes() for im in trained} & {im.tobytes() for im in held_out}
    assert classifier.info["trained_on"] == "600 of the test split (seed 0); the other 400 held out"


def test_training_the_classifier_prints_one_progress_line_not_one_per_epoch(tmp_path, capsys):
    data = write_mnist_dir(tmp_path / "mnist", train=64, test=32)
    train_classifier("mnist", str(data), tmp_path / "c.keras", epochs=3, log=lambda _: None)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Classifier mnist [####################] 3/3 accuracy ")


def test_real_data_scores_far_better_than_uniform_noise(classifier):
    real = real_data_metrics(classifier)
    noise = np.random.default_rng(0).integers(0, 256, size=(400, 28, 28), dtype=np.uint8)
    noisy = evaluate(noise, classifier)
    assert real["fid"] < 0.1 * noisy["fid"]
    assert real["precision"] > noisy["precision"]
    assert real["classifier_score"] > 5


def test_dropping_digits_five_to_nine_lowers_recall_and_coverage_and_raises_kl(classifier):
    images, labels = synthetic_digits(400, seed=8)
    full = evaluate(images, classifier)
    half = evaluate(images[labels < 5], classifier)
    assert half["recall"] < full["recall"]
    assert half["coverage"] < full["coverage"]
    assert half["kl_from_uniform"] > full["kl_from_uniform"] + 0.5
    assert set(half["rare_classes"]) >= {5, 6, 7, 8, 9}


def test_shuffled_pixels_get_a_low_classifier_score(classifier):
    images, _ = synthetic_digits(400, seed=9)
    rng = np.random.default_rng(0)
    shuffled = np.stack([rng.permutation(im.ravel()).reshape(28, 28) for im in images])
    assert (
        evaluate(shuffled, classifier)["classifier_score"]
        < 0.5 * real_data_metrics(classifier)["classifier_score"]
    )


def test_conditional_samples_get_per_label_accuracy(classifier):
    images, labels = synthetic_digits(200, seed=10)
    samples = Samples(to_model_range(images), labels=labels)
    metrics = evaluate_samples(samples, classifier, classifier.reference)
    assert set(metrics["per_label_accuracy"]) == set(range(10))
    assert np.mean(list(metrics["per_label_accuracy"].values())) > 0.9
    assert "per-label accuracy" in format_table(metrics, real_data_metrics(classifier))


@pytest.mark.parametrize("size", [32, 64])
def test_digits_drawn_larger_are_resized_to_the_classifier_and_read_as_at_28(classifier, size):
    digits = classifier.reference[:200]
    upscaled = resize_images(digits, size)  # as --image-size S trains on them
    features, probs = classifier.features_and_probs(digits)
    features_s, probs_s = classifier.features_and_probs(upscaled)
    assert (probs_s.argmax(1) == probs.argmax(1)).mean() > 0.95
    noise = np.random.default_rng(0).integers(0, 256, upscaled.shape, dtype=np.uint8)
    fid_noise = fid(classifier.features_and_probs(noise)[0], features)
    assert fid(features_s, features) < 0.05 * fid_noise


def test_generator_sampler_draws_the_same_images_for_the_same_seed():
    sampler = GeneratorSampler(build_state(noise_dim=100, learning_rate=1e-4, seed=0))
    a, b = sampler.sample(10, seed=1), sampler.sample(10, seed=1)
    assert a.images.shape == (10, 28, 28, 1)
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, sampler.sample(10, seed=2).images)


def test_quality_log_rewrites_epochs_a_killed_run_had_measured(tmp_path):
    log = QualityLog(tmp_path)
    for epoch in (1, 2, 3):
        log.record(epoch, epoch * 10, {"fid": 100.0 / epoch, "classifier_score": epoch})
    QualityLog(tmp_path).record(2, 20, {"fid": 7.0, "classifier_score": 2.5})
    lines = (tmp_path / "quality.csv").read_text().splitlines()
    assert lines == [
        "epoch,step,fid,classifier_score",
        "1,10,100.0000,1.0000",
        "2,20,7.0000,2.5000",
    ]
    assert (tmp_path / "quality.png").exists()


@pytest.fixture(scope="module")
def measured_run(tmp_path_factory):
    """A run on 100 test images (5 steps of 20) that trains its own classifier (60 held in,
    40 held out) and measures at epoch 1; its folder (out/, ck/)."""
    tmp_path = tmp_path_factory.mktemp("measured")
    data = tmp_path / "data"
    data.mkdir()
    images, labels = synthetic_digits(100, seed=7)
    write_idx(data / "t10k-images-idx3-ubyte.gz", images)
    write_idx(data / "t10k-labels-idx1-ubyte.gz", labels)
    run = ["--data-dir", str(data), "--split", "test", "--batch-size", "20",
           "--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ck")]  # fmt: skip
    assert generate_main([*run, "--epochs", "1", "--eval-every", "1", "--eval-samples", "10"]) == 0
    return tmp_path


def test_a_run_with_eval_every_keeps_its_best_fid_checkpoint(measured_run):
    (_, row) = (measured_run / "out" / "quality.csv").read_text().splitlines()
    epoch, step, fid, _ = row.split(",")
    best = json.loads((measured_run / "ck" / "best" / "best.json").read_text())
    assert (best["epoch"], best["step"], best["checkpoint"]) == (int(epoch), int(step), "ckpt-5")
    assert best["fid"] == pytest.approx(float(fid), abs=1e-3)
    assert (measured_run / "ck" / "best" / "ckpt-5.index").exists()


def test_evaluate_cli_writes_metrics_json_for_a_checkpoint(measured_run):
    """`evaluate` on the measured run's checkpoint, with the classifier the run trained."""
    tmp_path = measured_run
    assert (tmp_path / "out" / "quality.csv").read_text().startswith("epoch,step,fid")
    assert (tmp_path / "ck" / "classifier-mnist.keras").exists()  # trained once, for the run
    code = evaluate_main(["--checkpoint-dir", str(tmp_path / "ck"), "--num", "60"])
    assert code == 0
    report = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert report["samples"]["num_samples"] == 60
    assert report["source"].endswith("(dcgan, epoch 1, step 5)")
    assert {"fid", "classifier_score", "precision", "recall", "coverage"} <= set(report["samples"])


def test_evaluate_cli_without_a_checkpoint_is_a_clear_error(tmp_path, capsys, classifier_bundle):
    code = evaluate_main(
        ["--checkpoint-dir", str(tmp_path), "--classifier", str(classifier_bundle)]
    )
    assert code == 2
    assert "no checkpoint in" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--num", "5"], "--num must be at least 10"),
        (["--images", "missing.npy"], "--images missing.npy: not a readable .npy file"),
        (["--classifier", "missing.keras"], "--classifier missing.keras: no such file"),
    ],
)
def test_evaluate_refuses_bad_arguments_in_one_line(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert evaluate_main(["--checkpoint-dir", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err


def test_too_few_images_to_evaluate_is_a_clear_error(tmp_path, capsys, classifier_bundle):
    np.save(tmp_path / "three.npy", np.zeros((3, 28, 28), np.uint8))
    argv = ["--images", str(tmp_path / "three.npy"), "--classifier", str(classifier_bundle)]
    assert evaluate_main(argv) == 2
    assert "3 images; at least 10 are needed" in capsys.readouterr().err


def test_quality_refuses_a_measurement_interval_beyond_the_run(capsys):
    assert quality_main(["--epochs", "2", "--eval-every", "5"]) == 2
    assert "--eval-every <= --epochs" in capsys.readouterr().err


def train_through(hook: QualityHook, state, steps: int, steps_per_epoch: int = 3) -> None:
    """Tell `hook` what the loop would over `steps` steps: each step, and each whole epoch."""
    for step in range(1, steps + 1):
        state.step.assign(step)
        epoch = (step - 1) // steps_per_epoch + 1
        hook.on_step_end(step, epoch, 256, {})
        if step % steps_per_epoch == 0:
            hook.on_epoch_end(epoch, state)
    hook.on_train_end(state)


def test_quality_is_measured_at_the_end_of_a_run_that_stops_between_measurements(
    classifier, tmp_path
):
    hook = QualityHook(classifier, tmp_path, every=2, num=20, seed=0, log=lambda _: None)
    train_through(hook, build_state(100, 1e-4, 0), steps=8)  # --steps 8 stops inside epoch 3
    assert [(epoch, step) for epoch, step, *_ in QualityLog(tmp_path).load()] == [(2, 6), (3, 8)]


def test_a_run_that_ends_on_a_measurement_is_not_measured_twice(classifier, tmp_path):
    hook = QualityHook(classifier, tmp_path, every=2, num=20, seed=0, log=lambda _: None)
    train_through(hook, build_state(100, 1e-4, 0), steps=6)
    assert [(epoch, step) for epoch, step, *_ in QualityLog(tmp_path).load()] == [(2, 6)]


def test_make_quality_keeps_what_its_report_holds_below_the_marker(tmp_path):
    report, marker = tmp_path / "QUALITY.md", keep_marker("make quality")
    assert kept_below(report, marker) == ""  # no report yet
    report.write_text(f"# old table\n\n{marker}\n\n## The full length\n\nFID 18.4\n")
    assert kept_below(report, marker) == f"\n{marker}\n\n## The full length\n\nFID 18.4\n"
    report.write_text("# a report without the marker\n")
    assert kept_below(report, marker) == ""


def test_images_read_through_a_memory_map_measure_as_scaled_ones(classifier, tmp_path):
    """evaluate --images scales uint8 pixels a batch at a time, never the whole file at once."""
    images = classifier.reference[:60]
    np.save(tmp_path / "images.npy", images)
    mapped = np.load(tmp_path / "images.npy", mmap_mode="r")
    assert evaluate_samples(Samples(mapped), classifier) == evaluate(images, classifier)
