"""--update alternating: the discriminator's update, then the generator's against the updated
discriminator, checked against the same updates written out by hand."""

import functools

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import (
    assert_trained_alike,
    first_then_slow,
    synthetic_digits,
    trained_alike,
    weights_apart,
)

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.models.specs import MODEL_SPECS
from dcgan_tf.options.alternating import make_alternating_step
from dcgan_tf.run.state import build_state
from dcgan_tf.training.steps import Stepper, nets_of
from dcgan_tf.tutorial.losses import discriminator_loss, generator_loss
from dcgan_tf.tutorial.train_step import StepOptions

SPEC = MODEL_SPECS["gan"]
IMAGES = tf.constant(SPEC.scale(synthetic_digits(8)[0]))  # (8, 784) in [0, 1]


def uniform(seed: int) -> tf.Tensor:
    return tf.random.stateless_uniform([8, 100], seed=[seed, 0], minval=-1.0, maxval=1.0)


def weights(state) -> list[np.ndarray]:
    return [v.numpy() for v in state.generator.weights + state.discriminator.weights]


@functools.cache
def initial() -> tuple[np.ndarray, ...]:
    """Where every state here starts."""
    return tuple(weights(build_state(100, 1e-3, 0, "gan")))


def assert_same_weights(a, b) -> None:
    """Trained alike from `initial()`, but for float noise (conftest)."""
    assert_trained_alike(weights(a), weights(b), initial())


def trained_apart(a, b) -> bool:
    """Further apart than float noise, for states trained from `initial()`."""
    moved = weights_apart(weights(a), initial())
    return not trained_alike(weights_apart(weights(a), weights(b)), moved)


def by_hand(state, d_noise: tf.Tensor, g_noises: list[tf.Tensor]) -> None:
    """The one-hidden-layer GAN's loop: sess.run(D_solver), then sess.run(G_solver) per noise."""
    g, d = state.generator, state.discriminator
    with tf.GradientTape() as tape:
        loss = discriminator_loss(
            d(IMAGES, training=True), d(g(d_noise, training=True), training=True)
        )
    grads = tape.gradient(loss, d.trainable_variables)
    state.discriminator_optimizer.apply_gradients(zip(grads, d.trainable_variables, strict=True))
    for noise in g_noises:
        with tf.GradientTape() as tape:
            loss = generator_loss(d(g(noise, training=True), training=True))
        grads = tape.gradient(loss, g.trainable_variables)
        state.generator_optimizer.apply_gradients(zip(grads, g.trainable_variables, strict=True))


def alternating(state, gen_steps=1, gen_noise="fresh"):
    return make_alternating_step(*nets_of(state), StepOptions(), gen_steps, gen_noise)


def test_one_alternating_step_is_a_d_update_then_a_g_update_on_fresh_noise():
    ours, hand = build_state(100, 1e-3, 0, "gan"), build_state(100, 1e-3, 0, "gan")
    alternating(ours)(IMAGES, tf.stack([uniform(1), uniform(2)]))
    by_hand(hand, uniform(1), [uniform(2)])
    assert_same_weights(ours, hand)


def test_the_generator_update_sees_the_updated_discriminator():
    ours, stale = build_state(100, 1e-3, 0, "gan"), build_state(100, 1e-3, 0, "gan")
    alternating(ours)(IMAGES, tf.stack([uniform(1), uniform(2)]))
    # The generator step against the discriminator *before* its update leaves other weights.
    g, d = stale.generator, keras.models.clone_model(stale.discriminator)
    d.set_weights(stale.discriminator.get_weights())
    by_hand(stale, uniform(1), [])
    with tf.GradientTape() as tape:
        loss = generator_loss(d(g(uniform(2), training=True), training=True))
    grads = tape.gradient(loss, g.trainable_variables)
    stale.generator_optimizer.apply_gradients(zip(grads, g.trainable_variables, strict=True))
    assert trained_apart(ours, stale)


def test_two_generator_steps_on_the_same_noise_are_carpedm20s_habit():
    ours, hand = build_state(100, 1e-3, 0, "gan"), build_state(100, 1e-3, 0, "gan")
    losses = alternating(ours, gen_steps=2, gen_noise="same")(IMAGES, uniform(1)[None])
    by_hand(hand, uniform(1), [uniform(1), uniform(1)])
    assert_same_weights(ours, hand)
    assert int(ours.generator_optimizer.iterations) == 2
    assert int(ours.discriminator_optimizer.iterations) == 1
    assert set(losses) == {"gen_loss", "disc_loss"}


def test_the_stepper_draws_every_noise_batch_of_a_step_from_the_run_generator():
    config = TrainConfig(model="gan", update="alternating", gen_steps=2)
    ours = build_state(100, 1e-3, 0, "gan")
    hand = build_state(100, 1e-3, 0, "gan")
    Stepper(ours, config)([(IMAGES,)])
    noise = SPEC.sample_noise(hand.noise_rng, 3 * 8, 100)  # one draw of 3 batches
    by_hand(hand, noise[:8], [noise[8:16], noise[16:]])
    assert_same_weights(ours, hand)
    np.testing.assert_array_equal(ours.noise_rng.state.numpy(), hand.noise_rng.state.numpy())


@pytest.mark.parametrize("gen_noise", first_then_slow(["fresh", "same"]))
def test_k_alternating_steps_per_call_equal_k_single_calls(gen_noise):
    batches = [(IMAGES[i * 2 : i * 2 + 2],) for i in range(3)]
    options = {"model": "gan", "update": "alternating", "gen_steps": 2, "gen_noise": gen_noise}
    single, multi = build_state(100, 1e-3, 0, "gan"), build_state(100, 1e-3, 0, "gan")
    one_at_a_time = Stepper(single, TrainConfig(**options))
    single_losses = [one_at_a_time([b])[0] for b in batches]
    stepper = Stepper(multi, TrainConfig(**options, steps_per_call=3))
    multi_losses = stepper(batches)
    assert_same_weights(single, multi)
    np.testing.assert_allclose([x["gen_loss"] for x in multi_losses],
                               [x["gen_loss"] for x in single_losses], rtol=1e-5)  # fmt: skip
    np.testing.assert_array_equal(single.noise_rng.state.numpy(), multi.noise_rng.state.numpy())


def test_alternating_differs_from_the_simultaneous_update():
    a, b = build_state(100, 1e-3, 0, "gan"), build_state(100, 1e-3, 0, "gan")
    Stepper(a, TrainConfig(model="gan"))([(IMAGES,)])
    Stepper(b, TrainConfig(model="gan", update="alternating"))([(IMAGES,)])
    assert trained_apart(a, b)


def test_several_generator_steps_need_the_alternating_update():
    with pytest.raises(UserError, match="--gen-steps 2 needs --update alternating"):
        TrainConfig(gen_steps=2)
    with pytest.raises(UserError, match="--beta1"):
        TrainConfig(beta1=1.0)
    with pytest.raises(UserError, match="unknown --update"):
        TrainConfig(update="sometimes")
