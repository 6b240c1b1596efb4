"""--ema-warmup: after n generator updates the EMA decay is min(D, (1 + n) / (10 + n)), n the
generator optimizer's update count; without it the decay is D throughout; it needs --ema-decay."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.generate import main as generate_main
from dcgan_tf.options.ema import make_ema_update
from dcgan_tf.run.state import build_state
from dcgan_tf.training.steps import Stepper
from dcgan_tf.tutorial.dataset import to_model_range

IMAGES = synthetic_digits(32, seed=8)[0]
DECAY = 0.99


def toy_pair() -> tuple[keras.Model, keras.Model]:
    """A model of ones and its shadow of zeros: one EMA step leaves 1 - d in the shadow."""
    model, shadow = (keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]) for _ in "ab")
    for variable in model.weights:
        variable.assign(tf.ones_like(variable))
    for variable in shadow.weights:
        variable.assign(tf.zeros_like(variable))
    return model, shadow


def moved(shadow: keras.Model) -> float:
    (value,) = {float(x) for v in shadow.weights for x in v.numpy().ravel()}  # all alike
    return value


@pytest.mark.parametrize("n", [0, 1, 5, 80, 5000])
def test_after_n_updates_the_shadow_moves_by_one_minus_min_of_d_and_1_plus_n_over_10_plus_n(n):
    model, shadow = toy_pair()
    updates = tf.Variable(n, dtype=tf.int64)
    tf.function(make_ema_update(model, shadow, DECAY, updates))()
    assert moved(shadow) == pytest.approx(1 - min(DECAY, (1 + n) / (10 + n)), rel=1e-5)


def test_without_warm_up_the_shadow_moves_by_one_minus_d_from_the_first_update():
    model, shadow = toy_pair()
    tf.function(make_ema_update(model, shadow, DECAY))()
    assert moved(shadow) == pytest.approx(1 - DECAY, rel=1e-4)


def test_the_warm_up_reads_the_counter_at_each_update_not_once_when_traced():
    model, shadow = toy_pair()
    updates = tf.Variable(0, dtype=tf.int64)
    update = tf.function(make_ema_update(model, shadow, DECAY, updates))
    update()  # d = 0.1: the shadow holds 0.9
    updates.assign(2)
    update()  # d = 3 / 12: 0.25 * 0.9 + 0.75 * 1
    assert moved(shadow) == pytest.approx(0.25 * 0.9 + 0.75, rel=1e-5)


def test_the_train_step_warms_up_by_the_generators_update_count():
    """--disc-steps 2: the generator's k-th update (k = 1, 2) averages with min(D, (1+k)/(10+k));
    the discriminator's count (2k) would give other weights."""
    state = build_state(100, 1e-3, 0, "gan", ema=True)  # (the MLP GAN: the fastest step)
    config = TrainConfig(model="gan", ema_decay=DECAY, ema_warmup=True, disc_steps=2)
    stepper = Stepper(state, config)
    pixels = to_model_range(IMAGES).reshape(len(IMAGES), -1)
    expected = [v.numpy() for v in state.generator_ema.weights]
    for i in range(4):
        before = state.generator.weights[0].numpy()
        stepper([(tf.constant(pixels[8 * i : 8 * i + 8]),)])
        if not np.array_equal(before, state.generator.weights[0].numpy()):  # G was updated
            k = int(state.generator_optimizer.iterations)
            d = min(DECAY, (1 + k) / (10 + k))
            current = [v.numpy() for v in state.generator.weights]
            expected = [d * e + (1 - d) * w for e, w in zip(expected, current, strict=True)]
    assert int(state.generator_optimizer.iterations) == 2
    for average, value in zip(state.generator_ema.weights, expected, strict=True):
        np.testing.assert_allclose(average.numpy(), value, rtol=1e-4, atol=1e-6)


def test_the_alternating_update_warms_up_after_each_generator_update():
    """--update alternating: D, then G; the k-th generator update averages with
    min(D, (1+k)/(10+k))."""
    state = build_state(100, 1e-3, 0, "gan", ema=True)
    config = TrainConfig(model="gan", update="alternating", ema_decay=DECAY, ema_warmup=True)
    stepper = Stepper(state, config)
    pixels = to_model_range(IMAGES).reshape(len(IMAGES), -1)
    expected = [v.numpy() for v in state.generator_ema.weights]
    for k in (1, 2, 3):
        stepper([(tf.constant(pixels[8 * k - 8 : 8 * k]),)])
        assert int(state.generator_optimizer.iterations) == k
        d = min(DECAY, (1 + k) / (10 + k))
        current = [v.numpy() for v in state.generator.weights]
        expected = [d * e + (1 - d) * w for e, w in zip(expected, current, strict=True)]
    for average, value in zip(state.generator_ema.weights, expected, strict=True):
        np.testing.assert_allclose(average.numpy(), value, rtol=1e-4, atol=1e-6)


def test_ema_warmup_without_ema_decay_is_refused():
    with pytest.raises(UserError, match=r"^--ema-warmup needs --ema-decay"):
        TrainConfig(ema_warmup=True)
    TrainConfig(ema_warmup=True, ema_decay=0.999)  # with a decay it is accepted


def test_ema_warmup_without_ema_decay_is_a_one_line_command_line_error(capsys):
    assert generate_main(["--ema-warmup"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --ema-warmup needs --ema-decay")
    assert err.count("\n") == 1
