"""The Python API (`import dcgan_tf`): the commands' loop, data and sampling, from Python."""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import keras
import numpy as np
import pytest
from conftest import TrainingWatch, synthetic_digits
from keras import layers

import dcgan_tf
from dcgan_tf.common.errors import UserError
from dcgan_tf.data.sources import load_split
from dcgan_tf.run.hooks import Hook

REPO = Path(__file__).resolve().parents[1]
NOISE = 8  # the tiny models' noise


def tiny_generator(units: int = 28 * 28) -> keras.Model:
    return keras.Sequential(
        [keras.Input((NOISE,)), layers.Dense(units, activation="tanh"), layers.Reshape((28, 28, 1))]
    )


def tiny_discriminator(hidden: int = 0) -> keras.Model:
    middle = [layers.Dense(hidden, activation="relu")] if hidden else []
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), *middle, layers.Dense(1)])


def tiny_config(tmp_path: Path, **values):
    """16 images a step, no TensorBoard, the run's folders in `tmp_path`."""
    folders = {"out": str(tmp_path / "out"), "checkpoint_dir": str(tmp_path / "ck")}
    return dcgan_tf.configure(batch_size=16, tensorboard=False, **folders, **values)


class CtrlCAt(Hook):
    """Presses Ctrl-C (SIGINT to this process) after step `step`, as a notebook's interrupt."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict) -> None:
        if step == self.step:
            os.kill(os.getpid(), signal.SIGINT)


def test_importing_dcgan_tf_loads_no_tensorflow():
    code = "import sys, dcgan_tf; dcgan_tf.TrainConfig; print('tensorflow' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


def test_configure_fills_the_recipe_and_the_values_given_win():
    config = dcgan_tf.configure(recipe="digits-in-minutes", batch_size=64, steps=10)
    assert (config.update, config.learning_rate, config.ema_decay) == ("alternating", 2e-3, 0.99)
    assert (config.batch_size, config.steps) == (64, 10)


def test_load_images_gives_the_data_the_commands_train_on(mnist_dir):
    images, labels = dcgan_tf.load_images(split="test", data_dir=mnist_dir)
    expected_images, expected_labels = load_split("mnist", "test", str(mnist_dir))
    assert images.dtype == np.uint8 and images.shape == (50, 28, 28)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)


def test_train_reads_the_configs_data_and_writes_the_commands_files(tmp_path, mnist_dir):
    config = tiny_config(tmp_path, data_dir=str(mnist_dir), split="test", noise_dim=NOISE, steps=2)
    run = dcgan_tf.train(config, generator=tiny_generator(), discriminator=tiny_discriminator())
    assert run.step == 2 and run.checkpoint == str(tmp_path / "ck" / "ckpt-1")
    assert (tmp_path / "out" / "losses.csv").exists()
    assert (tmp_path / "out" / "journal.json").exists()  # a standard hook of `generate`


def test_ctrl_c_returns_the_saved_run_in_one_line_and_the_next_call_resumes(tmp_path, capsys):
    images, _ = synthetic_digits(64)  # 4 steps an epoch
    generator, discriminator = tiny_generator(), tiny_discriminator()
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=4)
    models = {"generator": generator, "discriminator": discriminator}
    stopped = dcgan_tf.train(config, images, steps=2, hooks=[CtrlCAt(1)], **models)
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "Interrupted" in line]
    assert line.startswith("Interrupted at epoch 1, step 1; saved in ")
    assert stopped.step == 1 and stopped.generator is generator
    watch = TrainingWatch()
    resumed = dcgan_tf.train(config, images, hooks=[watch], **models)
    assert watch.began_at == (0, 1)
    assert watch.trained == [(1, 2), (1, 3), (1, 4)]
    assert resumed.step == 4


def test_a_resume_with_other_models_is_refused_in_one_line(tmp_path):
    images, _ = synthetic_digits(32)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    dcgan_tf.train(config, images, generator=tiny_generator(), discriminator=tiny_discriminator())
    other = {"generator": tiny_generator(), "discriminator": tiny_discriminator(hidden=4)}
    with pytest.raises(UserError) as refused:
        dcgan_tf.train(config, images, steps=2, **other)
    assert "not a checkpoint of this custom model" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_resuming_a_run_of_your_own_models_without_them_says_to_pass_them(tmp_path):
    images, _ = synthetic_digits(32)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    dcgan_tf.train(config, images, generator=tiny_generator(), discriminator=tiny_discriminator())
    with pytest.raises(UserError, match="same generator= and discriminator="):
        dcgan_tf.train(config, images, steps=2)


def test_images_are_the_pixels_the_sample_command_draws(tmp_path):
    from dcgan_tf.sample import main as sample_main

    images, _ = synthetic_digits(16)
    config = tiny_config(tmp_path, steps=1)  # the tutorial's models
    dcgan_tf.train(config, images)
    run = dcgan_tf.open_run(config.checkpoint_dir)
    output = tmp_path / "samples.npy"
    flags = ["--checkpoint-dir", config.checkpoint_dir, "--num", "6", "--seed", "3"]
    assert sample_main([*flags, "--format", "npy", "--output", str(output)]) == 0
    drawn = run.images(6, seed=3)
    assert drawn.dtype == np.uint8 and drawn.shape == (6, 28, 28)
    np.testing.assert_array_equal(drawn, np.load(output))
    assert run.grid(6, seed=3).size == (3 * (3 * 30 + 2), 3 * (2 * 30 + 2))  # 3 columns, 2 rows


def test_open_run_restores_a_run_of_your_own_models_into_them(tmp_path):
    images, _ = synthetic_digits(32)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=2)
    trained = dcgan_tf.train(
        config, images, generator=tiny_generator(), discriminator=tiny_discriminator()
    )
    with pytest.raises(UserError, match="models of your own"):
        dcgan_tf.open_run(config.checkpoint_dir)
    generator = tiny_generator()
    run = dcgan_tf.open_run(
        config.checkpoint_dir, generator=generator, discriminator=tiny_discriminator()
    )
    assert run.generator is generator and run.step == 2
    np.testing.assert_array_equal(run.images(4, seed=1), trained.images(4, seed=1))


def test_interpolate_walks_from_one_drawn_endpoint_to_the_other(tmp_path):
    from dcgan_tf.generator.sampling import draw_noise, generate_pixels

    images, _ = synthetic_digits(32)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    run = dcgan_tf.train(
        config, images, generator=tiny_generator(), discriminator=tiny_discriminator()
    )
    walk = run.interpolate(rows=2, steps=5, method="linear", seed=4)
    assert walk.shape == (2, 5, 28, 28) and walk.dtype == np.uint8
    ends = generate_pixels(run.state, draw_noise(run.state.spec, 4, NOISE, 4))[..., 0]
    np.testing.assert_array_equal(walk[:, 0], ends[:2])
    np.testing.assert_array_equal(walk[:, -1], ends[2:])
    assert dcgan_tf.picture(walk).size == (3 * (5 * 30 + 2), 3 * (2 * 30 + 2))


def test_evaluate_measures_what_the_evaluate_command_measures(tmp_path, classifier_bundle):
    from dcgan_tf.evaluate import main as evaluate_main

    images, _ = synthetic_digits(32)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    run = dcgan_tf.train(
        config, images, generator=tiny_generator(), discriminator=tiny_discriminator()
    )
    metrics = run.evaluate(num=40, seed=2, classifier=classifier_bundle)
    np.save(tmp_path / "drawn.npy", run.images(40, seed=2))
    flags = ["--images", str(tmp_path / "drawn.npy"), "--classifier", str(classifier_bundle)]
    assert evaluate_main([*flags, "--out", str(tmp_path / "m")]) == 0
    command = json.loads((tmp_path / "m" / "metrics.json").read_text())["samples"]
    assert metrics["fid"] == pytest.approx(command["fid"], rel=1e-4)
    assert metrics["class_histogram"] == command["class_histogram"]


def test_images_of_the_wrong_kind_are_refused_in_one_line(tmp_path):
    floats = np.zeros((4, 28, 28), np.float32)
    with pytest.raises(UserError, match=r"expected uint8 \(N, 28, 28\)"):
        dcgan_tf.train(tiny_config(tmp_path, steps=1), floats)


def test_export_writes_the_generator_that_draws_the_images(tmp_path):
    images, _ = synthetic_digits(32)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=2, ema_decay=0.5)
    run = dcgan_tf.train(
        config, images, generator=tiny_generator(), discriminator=tiny_discriminator()
    )
    written = run.export(tmp_path / "export")
    assert json.loads((written / "export.json").read_text())["model"] == "custom"
    exported = keras.models.load_model(written / "generator.keras")
    noise = np.random.default_rng(0).normal(size=(3, NOISE)).astype(np.float32)
    drawn = np.asarray(run.generator(noise, training=False))  # the moving average
    assert not np.allclose(drawn, np.asarray(run.state.generator(noise, training=False)))
    np.testing.assert_allclose(np.asarray(exported(noise, training=False)), drawn, atol=1e-6)


def test_a_command_on_a_run_of_your_own_models_says_in_one_line_to_open_it_from_python(
    tmp_path, capsys
):
    from dcgan_tf.sample import main as sample_main

    images, _ = synthetic_digits(16)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    dcgan_tf.train(config, images, generator=tiny_generator(), discriminator=tiny_discriminator())
    capsys.readouterr()
    assert sample_main(["--checkpoint-dir", config.checkpoint_dir, "--num", "2"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"error: {tmp_path / 'ck' / 'ckpt-1'} holds a run of models of your own")
    assert "dcgan_tf.open_run(CHECKPOINT_DIR, generator=..., discriminator=...)" in line


def test_open_run_without_your_models_says_how_to_open_the_run(tmp_path):
    images, _ = synthetic_digits(16)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    dcgan_tf.train(config, images, generator=tiny_generator(), discriminator=tiny_discriminator())
    with pytest.raises(UserError) as refused:
        dcgan_tf.open_run(config.checkpoint_dir)
    assert "open_run(CHECKPOINT_DIR, generator=..., discriminator=...)" in str(refused.value)


def test_the_commands_open_a_run_as_the_python_apis_trained_run(tmp_path):
    from dcgan_tf import trained_run
    from dcgan_tf.sample import build_parser

    images, _ = synthetic_digits(16)
    config = tiny_config(tmp_path, steps=1)
    dcgan_tf.train(config, images)
    args = build_parser().parse_args(["--checkpoint-dir", config.checkpoint_dir])
    run = trained_run.open_trained_run(args)
    assert isinstance(run, dcgan_tf.TrainedRun)
    assert run.checkpoint == str(tmp_path / "ck" / "ckpt-1")


def test_a_checkpoint_in_best_is_evaluated_with_its_runs_classifier_as_the_command_does(
    tmp_path, classifier_bundle
):
    images, _ = synthetic_digits(16)
    config = tiny_config(tmp_path, noise_dim=NOISE, steps=1)
    dcgan_tf.train(config, images, generator=tiny_generator(), discriminator=tiny_discriminator())
    ck = tmp_path / "ck"
    (ck / "best").mkdir()
    for file in [*ck.glob("ckpt-1.*"), ck / "config.json"]:  # as --eval-every keeps it
        shutil.copy(file, ck / "best" / file.name)
    for suffix in (".keras", ".json", ".reference.npz"):  # the run's classifier, in CK
        shutil.copy(classifier_bundle.with_suffix(suffix), ck / f"classifier-mnist{suffix}")
    models = {"generator": tiny_generator(), "discriminator": tiny_discriminator()}
    run = dcgan_tf.open_run(ck, str(ck / "best" / "ckpt-1"), **models)
    expected = run.evaluate(num=20, seed=1, classifier=classifier_bundle)
    measured = run.evaluate(num=20, seed=1, data_dir=str(tmp_path / "no-data"))  # none trained
    assert measured["fid"] == pytest.approx(expected["fid"])
    assert not (ck / "best" / "classifier-mnist.keras").exists()


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory) -> Path:
    """A saved (untrained) carpedm20 run, the conditional model of uniform noise."""
    from dcgan_tf.config import TrainConfig, save_config
    from dcgan_tf.run.checkpoints import make_manager
    from dcgan_tf.run.state import build_state

    folder = tmp_path_factory.mktemp("carpedm20")
    make_manager(build_state(NOISE, 1e-3, seed=0, model="carpedm20"), folder).save()
    config = TrainConfig(model="carpedm20", noise_dim=NOISE, out=str(folder / "out"))
    save_config(config, folder)
    return folder


def test_the_sweep_command_writes_the_sweep_and_label_sweep_of_the_trained_run(
    conditional_run, tmp_path
):
    from dcgan_tf.sweep import main as sweep_main

    flags = ["--dim", "2", "--rows", "2", "--steps", "3", "--seed", "5", "--label", "4"]
    flags += ["--checkpoint-dir", str(conditional_run), "--out", str(tmp_path)]
    assert sweep_main(flags) == 0
    run = dcgan_tf.open_run(conditional_run)
    swept = run.sweep(dim=2, rows=2, steps=3, seed=5, label=4)
    assert swept.shape == (2, 3, 28, 28)
    np.testing.assert_array_equal(iio.imread(tmp_path / "sweep_dim2.png"), dcgan_tf.picture(swept))
    by_label = run.label_sweep(rows=2, seed=5)  # (rows, 10): the PNG shows a column per row
    grid = dcgan_tf.picture(by_label.swapaxes(0, 1))
    np.testing.assert_array_equal(iio.imread(tmp_path / "sweep_labels.png"), grid)


def test_by_style_is_the_grid_of_sample_by_style(conditional_run, tmp_path):
    from dcgan_tf.sample import main as sample_main

    output = tmp_path / "styles.png"
    flags = ["--by-style", "3", "--seed", "2", "--output", str(output)]
    assert sample_main(["--checkpoint-dir", str(conditional_run), *flags]) == 0
    styles = dcgan_tf.open_run(conditional_run).by_style(3, seed=2)
    assert styles.shape == (10, 3, 28, 28)
    np.testing.assert_array_equal(iio.imread(output), dcgan_tf.picture(styles))
