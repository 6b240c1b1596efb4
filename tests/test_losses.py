"""The tutorial's losses on logits whose cross-entropy is known in closed form."""

import math

import numpy as np
import pytest
import tensorflow as tf

from dcgan_tf.tutorial.losses import discriminator_loss, generator_loss


def softplus(x: float) -> float:
    """-log(sigmoid(-x)): the cross-entropy of label 0 for logit x."""
    return math.log1p(math.exp(x))


def test_generator_loss_is_minus_log_sigmoid_of_the_fake_logits():
    fake = tf.constant([[0.0], [2.0]])
    expected = (softplus(-0.0) + softplus(-2.0)) / 2
    assert float(generator_loss(fake)) == pytest.approx(expected, rel=1e-6)


def test_discriminator_loss_is_real_plus_fake_cross_entropy():
    real = tf.constant([[1.0], [3.0]])
    fake = tf.constant([[-1.0], [0.5]])
    real_part = (softplus(-1.0) + softplus(-3.0)) / 2
    fake_part = (softplus(-1.0) + softplus(0.5)) / 2
    assert float(discriminator_loss(real, fake)) == pytest.approx(real_part + fake_part, rel=1e-6)


def test_zero_logits_give_log_two_per_term():
    zeros = tf.zeros((4, 1))
    assert float(generator_loss(zeros)) == pytest.approx(np.log(2), rel=1e-6)
    assert float(discriminator_loss(zeros, zeros)) == pytest.approx(2 * np.log(2), rel=1e-6)
