"""--ema-decay: the generator's moving average follows the closed form, is updated only when the
generator is, is kept in the checkpoint beside the generator, and is what sampling draws with."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import first_then_slow, synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, load_run
from dcgan_tf.options.ema import copy_weights, make_ema_update
from dcgan_tf.run.checkpoints import restore
from dcgan_tf.run.state import build_state
from dcgan_tf.sample import main as sample_main
from dcgan_tf.training.loop import train
from dcgan_tf.training.steps import Stepper
from dcgan_tf.tutorial.dataset import to_model_range

IMAGES = synthetic_digits(32, seed=4)[0]


def batches(count: int, size: int = 8) -> list[tuple[tf.Tensor]]:
    pixels = to_model_range(IMAGES)
    return [(tf.constant(pixels[i * size : (i + 1) * size]),) for i in range(count)]


def values(model: keras.Model) -> list[np.ndarray]:
    return [v.numpy() for v in model.weights]


def closed_form(history: list[list[np.ndarray]], decay: float) -> list[np.ndarray]:
    """EMA after k updates from the weights w_0 (start) .. w_k (after each update):
    decay^k w_0 + sum_i (1 - decay) decay^(k - i) w_i."""
    k = len(history) - 1
    return [
        decay**k * history[0][j]
        + sum((1 - decay) * decay ** (k - i) * history[i][j] for i in range(1, k + 1))
        for j in range(len(history[0]))
    ]


def toy_model() -> keras.Model:
    return keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2), keras.layers.BatchNormalization()]
    )


def test_ema_equals_the_closed_form_after_k_updates_batch_norm_statistics_included():
    model, shadow, decay = toy_model(), toy_model(), 0.7
    copy_weights(model, shadow)
    update = tf.function(make_ema_update(model, shadow, decay))
    rng = np.random.default_rng(0)
    history = [values(model)]
    for _ in range(5):
        for variable in model.weights:  # kernel, bias, gamma, beta, moving mean and variance
            variable.assign(rng.normal(size=variable.shape).astype(np.float32))
        update()
        history.append(values(model))
    for average, expected in zip(values(shadow), closed_form(history, decay), strict=True):
        np.testing.assert_allclose(average, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("disc_steps", first_then_slow([1, 2]))
def test_the_train_step_moves_the_ema_after_each_generator_update_only(disc_steps):
    state = build_state(100, 1e-3, 0, ema=True)
    stepper = Stepper(state, TrainConfig(ema_decay=0.7, disc_steps=disc_steps))  # not 1 - 0.7
    history = [values(state.generator)]
    for batch in batches(4):
        stepper([batch])
        if not np.array_equal(values(state.generator)[0], history[-1][0]):  # G was updated
            history.append(values(state.generator))
    assert len(history) - 1 == 4 // disc_steps
    expected = closed_form(history, 0.7)
    for average, value in zip(values(state.generator_ema), expected, strict=True):
        np.testing.assert_allclose(average, value, rtol=1e-4, atol=1e-6)
    assert not np.allclose(values(state.generator_ema)[0], values(state.generator)[0])


@pytest.fixture(scope="module")
def ema_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ema")
    config = TrainConfig(
        steps=3,
        batch_size=8,
        ema_decay=0.5,
        learning_rate=1e-3,
        out=str(folder / "out"),
        checkpoint_dir=str(folder / "ck"),
    )
    train(config, IMAGES, log=lambda _: None)
    return folder / "ck"


def test_the_checkpoint_stores_the_generator_and_its_average(ema_run):
    path = tf.train.latest_checkpoint(str(ema_run))
    names = [name for name, _ in tf.train.list_variables(path)]
    assert any(name.startswith("generator/") for name in names)
    assert any(name.startswith("generator_ema/") for name in names)
    state = build_state(100, 1e-3, seed=7, ema=True)
    restore(state, path)
    assert not np.allclose(values(state.generator)[0], values(state.generator_ema)[0])


def test_a_loaded_run_samples_with_the_average(ema_run, tmp_path):
    trained = build_state(100, 1e-3, seed=7, ema=True)
    restore(trained, tf.train.latest_checkpoint(str(ema_run)))
    state, config, _ = load_run(ema_run)
    assert config.ema_decay == 0.5
    for a, b in zip(values(state.generator), values(trained.generator_ema), strict=True):
        np.testing.assert_array_equal(a, b)
    # The sample command's images are the average's, not the trained generator's.
    output = tmp_path / "s.npy"
    assert sample_main(["--checkpoint-dir", str(ema_run), "--num", "4", "--format", "npy",
                        "--output", str(output)]) == 0  # fmt: skip
    noise = draw_noise(trained.spec, 4, 100, seed=0)
    np.testing.assert_array_equal(np.load(output), generate_pixels(trained, noise)[..., 0])
    raw = trained.spec.to_pixels(trained.generator(noise, training=False), 1)[..., 0]
    assert not np.array_equal(np.load(output), raw)
