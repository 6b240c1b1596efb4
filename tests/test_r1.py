"""--r1-gamma G: the discriminator's loss gains G/2 x the batch mean of |d D(x) / d x|^2 over the
real images; the penalty is differentiable in the discriminator's weights (a second-order
gradient), and the generator's update is left as it was."""

import functools

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.options.r1 import make_r1_penalty, r1_penalty
from dcgan_tf.run.state import build_state
from dcgan_tf.training.steps import Stepper, make_step
from dcgan_tf.tutorial.dataset import to_model_range
from dcgan_tf.tutorial.losses import discriminator_loss

IMAGES = to_model_range(synthetic_digits(8, seed=9)[0])  # (8, 28, 28, 1) in [-1, 1]
GAMMA = 10.0


def linear_score(w: tf.Tensor):
    return lambda x: tf.reduce_sum(w * x, axis=[1, 2, 3])


def test_the_penalty_of_a_linear_score_is_the_squared_norm_of_its_weights():
    """Every image's gradient is w: the batch mean of |w|^2 is |w|^2 (not 8 x |w|^2)."""
    w = tf.random.stateless_normal((1, 28, 28, 1), seed=(1, 1))
    penalty = r1_penalty(linear_score(w), tf.constant(IMAGES))
    assert float(penalty) == pytest.approx(float(tf.reduce_sum(w * w)), rel=1e-6)


def test_the_penalty_takes_each_images_own_gradient_and_averages_over_the_batch():
    """score(x) = sum x^2: image i's gradient is 2 x_i, so the penalty is mean_i 4 |x_i|^2."""
    images = tf.constant(IMAGES)
    penalty = r1_penalty(lambda x: tf.reduce_sum(x * x, axis=[1, 2, 3]), images)
    expected = np.mean(4 * np.sum(IMAGES.astype(np.float64) ** 2, axis=(1, 2, 3)))
    assert float(penalty) == pytest.approx(expected, rel=1e-5)


def test_the_loss_term_is_gamma_over_two_times_the_penalty_and_none_for_zero():
    w = tf.random.stateless_normal((1, 28, 28, 1), seed=(2, 2))
    term = make_r1_penalty(GAMMA)(linear_score(w), tf.constant(IMAGES))
    assert float(term) == pytest.approx(GAMMA / 2 * float(tf.reduce_sum(w * w)), rel=1e-6)
    assert make_r1_penalty(0.0) is None


def test_the_penalty_reaches_every_kernel_of_the_discriminator():
    """A gradient of a gradient: without it the penalty would not train the discriminator."""
    discriminator = build_state(100, 1e-4, 0).discriminator
    with tf.GradientTape() as tape:
        penalty = r1_penalty(lambda x: discriminator(x, training=False), tf.constant(IMAGES))
    kernels = [v for v in discriminator.trainable_variables if "kernel" in v.path]
    assert len(kernels) == 3  # two convolutions and the dense layer
    for kernel, grad in zip(kernels, tape.gradient(penalty, kernels), strict=True):
        assert grad is not None, kernel.path
        assert float(tf.reduce_max(tf.abs(grad))) > 0, kernel.path


@functools.cache
def steps_with_and_without() -> dict:
    """One train step of the same state (same seed, dropout off: deterministic) with and without
    --r1-gamma, on the same images and noise; and the penalty of that state's discriminator."""
    noise = tf.random.stateless_normal((8, 100), seed=(3, 4))
    results = {}
    for gamma in (0.0, GAMMA):
        state = build_state(100, 1e-4, 0, disc_dropout=0.0)
        if gamma:
            score = functools.partial(state.discriminator, training=True)
            results["penalty"] = float(r1_penalty(score, tf.constant(IMAGES)))
        config = TrainConfig(r1_gamma=gamma, disc_dropout=0.0)
        losses = make_step(state, config, None)(tf.constant(IMAGES), noise)
        results[gamma] = (
            {name: float(value) for name, value in losses.items()},
            [v.numpy() for v in state.generator.trainable_variables],
            [v.numpy() for v in state.discriminator.trainable_variables],
        )
    return results


def test_the_discriminators_loss_grows_by_gamma_over_two_times_the_penalty():
    runs = steps_with_and_without()
    plain, penalised, penalty = runs[0.0][0], runs[GAMMA][0], runs["penalty"]
    assert penalty > 0
    added = penalised["disc_loss"] - plain["disc_loss"]
    assert added == pytest.approx(GAMMA / 2 * penalty, rel=1e-4)


def test_the_penalty_changes_the_discriminators_update_and_not_the_generators():
    """The tutorial's step: both nets' gradients come from the same forward pass."""
    runs = steps_with_and_without()
    (plain, plain_g, plain_d), (penalised, penalised_g, penalised_d) = runs[0.0], runs[GAMMA]
    assert penalised["gen_loss"] == pytest.approx(plain["gen_loss"], rel=1e-6)
    for a, b in zip(plain_g, penalised_g, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
    pairs = zip(plain_d, penalised_d, strict=True)
    assert any(not np.allclose(a, b, rtol=0, atol=1e-9) for a, b in pairs)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_alternating_updates_discriminator_loss_also_grows_by_gamma_over_two_times_it():
    """--update alternating: D's loss on the reals and the fakes of the first noise batch, as the
    nets give them before the step (computed here), plus gamma / 2 x the penalty."""
    state = build_state(100, 1e-4, 0, disc_dropout=0.0)
    noise = tf.random.stateless_normal((2, 8, 100), seed=(3, 4))  # D's batch, G's batch
    images = tf.constant(IMAGES)
    score = functools.partial(state.discriminator, training=True)
    penalty = float(r1_penalty(score, images))
    fakes = state.generator(noise[0], training=True)
    plain = float(discriminator_loss(score(images), score(fakes)))
    config = TrainConfig(update="alternating", r1_gamma=GAMMA, disc_dropout=0.0)
    losses = make_step(state, config, None)(images, noise)
    added = float(losses["disc_loss"]) - plain
    assert added == pytest.approx(GAMMA / 2 * penalty, rel=1e-3)


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_the_flat_one_hidden_layer_gan_trains_with_r1_or_refuses_it_in_one_line(update):
    """`generate --model gan --r1-gamma 1` (its preset: --update alternating), or with
    --update simultaneous: its images are (B, 784) vectors."""
    try:
        config = TrainConfig.for_model(model="gan", update=update, r1_gamma=1.0)
        state = build_state(100, 1e-3, 0, "gan")
        (losses,) = Stepper(state, config)([(tf.constant(IMAGES.reshape(8, -1)),)])
    except UserError as err:
        assert "\n" not in str(err) and "--r1-gamma" in str(err)
        return
    assert all(np.isfinite(value) for value in losses.values())


def test_the_lazy_term_is_n_times_the_penalty_on_every_nth_update_and_zero_between():
    """--r1-every 4: the updates counted 0, 4, 8, ... carry 4 x gamma / 2 x R1, the others 0."""
    w = tf.random.stateless_normal((1, 28, 28, 1), seed=(5, 5))
    updates = tf.Variable(0, dtype=tf.int64)
    term = make_r1_penalty(GAMMA, every=4, updates=updates)
    full = 4 * GAMMA / 2 * float(tf.reduce_sum(w * w))
    seen = []
    for count in range(6):
        updates.assign(count)
        seen.append(float(term(linear_score(w), tf.constant(IMAGES))))
    assert seen[0] == pytest.approx(full, rel=1e-6) and seen[4] == pytest.approx(full, rel=1e-6)
    assert seen[1:4] == [0.0, 0.0, 0.0] and seen[5] == 0.0


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_lazy_penalty_inside_the_traced_step_adds_n_times_the_term_and_trains_d():
    """Through the step's tf.cond (a gradient of a gradient in a branch): the first update of a
    step with --r1-every 2 (count 0) adds 2 x gamma / 2 x R1 and changes D's update."""
    noise = tf.random.stateless_normal((8, 100), seed=(3, 4))
    runs = {}
    for gamma in (GAMMA, 0.0):
        state = build_state(100, 1e-4, 0, disc_dropout=0.0)
        score = functools.partial(state.discriminator, training=True)
        penalty = float(r1_penalty(score, tf.constant(IMAGES)))
        config = TrainConfig(r1_gamma=gamma, r1_every=2, disc_dropout=0.0)
        losses = make_step(state, config, None)(tf.constant(IMAGES), noise)
        runs[gamma] = float(losses["disc_loss"]), state.discriminator.trainable_variables
    added = runs[GAMMA][0] - runs[0.0][0]
    assert added == pytest.approx(2 * GAMMA / 2 * penalty, rel=1e-4)
    pairs = zip(runs[GAMMA][1], runs[0.0][1], strict=True)
    assert any(not np.allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-9) for a, b in pairs)
