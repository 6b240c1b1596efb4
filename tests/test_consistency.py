"""--consistency-weight L (bCR): the discriminator's loss gains L x the batch mean of
(D(T(x)) - D(x))^2 over the real batch and over the fake batch, T a fresh draw of the
--diff-augment policy; the generator's loss and update are left as they were."""

import functools

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.options.consistency import consistency_penalty, make_consistency_term
from dcgan_tf.options.diff_augment import make_diff_augment
from dcgan_tf.run.state import build_state
from dcgan_tf.training.steps import make_step
from dcgan_tf.tutorial.dataset import to_model_range

IMAGES = tf.constant(to_model_range(synthetic_digits(8, seed=4)[0]))  # (8, 28, 28, 1)
WEIGHT = 10.0


def pixel_sum(x: tf.Tensor) -> tf.Tensor:  # a stand-in discriminator: (B, 28, 28, 1) -> (B, 1)
    return tf.reduce_sum(x, axis=[1, 2, 3])[:, None]


def test_the_penalty_is_the_batch_mean_of_the_squared_difference_of_the_logits():
    a = tf.constant([[1.0], [2.0], [4.0], [0.0]])
    b = tf.constant([[1.0], [0.0], [1.0], [-2.0]])
    assert float(consistency_penalty(a, b)) == pytest.approx((0 + 4 + 9 + 4) / 4)


def test_the_term_is_the_weight_times_the_penalty_against_a_fresh_draw_of_the_policy():
    """The term transforms the images with the run's generator: the same draw, replayed from a
    copy of its state, gives the same transformed batch and so the same number."""
    rng = tf.random.Generator.from_seed(7)
    replay = tf.random.Generator.from_state(rng.state.numpy(), rng.algorithm)
    term = make_consistency_term(WEIGHT, "translation,cutout", rng)
    logits = pixel_sum(IMAGES)
    transformed = make_diff_augment("translation,cutout", replay)(IMAGES)
    expected = WEIGHT * np.mean((pixel_sum(transformed).numpy() - logits.numpy()) ** 2)
    assert expected > 0  # shifts and cut-outs change the pixel sum
    assert float(term(pixel_sum, IMAGES, logits)) == pytest.approx(expected, rel=1e-5)


def test_a_discriminator_that_ignores_the_transformation_pays_nothing():
    term = make_consistency_term(WEIGHT, "cutout", tf.random.Generator.from_seed(1))
    constant = lambda x: tf.zeros((tf.shape(x)[0], 1)) + 3.0  # noqa: E731
    assert float(term(constant, IMAGES, constant(IMAGES))) == 0.0


def test_weight_zero_is_off_and_a_weight_without_a_policy_is_a_one_line_error():
    assert make_consistency_term(0.0, "", tf.random.Generator.from_seed(1)) is None
    with pytest.raises(UserError, match="--consistency-weight needs --diff-augment"):
        TrainConfig(consistency_weight=10.0)
    with pytest.raises(UserError, match="--consistency-weight must be 0"):
        TrainConfig(consistency_weight=-1.0, diff_augment="cutout")


@functools.cache
def one_step(weight: float) -> tuple[dict, list, list]:
    """One traced train step of the same seeded state (dropout off) with the policy on."""
    state = build_state(100, 1e-4, 0, disc_dropout=0.0)
    config = TrainConfig(diff_augment="cutout", consistency_weight=weight, disc_dropout=0.0)
    noise = tf.random.stateless_normal((8, 100), seed=(3, 4))
    losses = make_step(state, config, None)(IMAGES, noise)
    return (
        {name: float(value) for name, value in losses.items()},
        [v.numpy() for v in state.generator.trainable_variables],
        [v.numpy() for v in state.discriminator.trainable_variables],
    )


@pytest.mark.slow  # make test-slow: a trained run / traced steps, out of make test
def test_the_term_adds_to_the_discriminators_loss_and_update_and_not_the_generators():
    """Same seed, same noise, same augmentation draws for the step's own pass (the term draws
    after them): the generator's loss and weights agree, D's loss grows and its update changes."""
    (plain, plain_g, plain_d), (regular, regular_g, regular_d) = one_step(0.0), one_step(WEIGHT)
    assert regular["gen_loss"] == pytest.approx(plain["gen_loss"], rel=1e-6)
    assert regular["disc_loss"] > plain["disc_loss"]
    for a, b in zip(plain_g, regular_g, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
    pairs = zip(plain_d, regular_d, strict=True)
    assert any(not np.allclose(a, b, rtol=0, atol=1e-9) for a, b in pairs)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_alternating_update_adds_the_term_to_its_discriminators_loss_too():
    """--update alternating: D's loss is computed before G moves, so it alone differs."""
    noise = tf.random.stateless_normal((2, 8, 100), seed=(3, 4))  # D's batch, G's batch
    losses = {}
    for weight in (0.0, WEIGHT):
        state = build_state(100, 1e-4, 0, disc_dropout=0.0)
        config = TrainConfig(
            update="alternating", diff_augment="cutout", consistency_weight=weight, disc_dropout=0.0
        )
        losses[weight] = make_step(state, config, None)(IMAGES, noise)
    assert float(losses[WEIGHT]["disc_loss"]) > float(losses[0.0]["disc_loss"])
