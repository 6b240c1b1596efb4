"""Faithful, proven: dcgan_tf and the tutorial's own code are interchangeable.

The same initial weights, batches and noise leave the same weights after 3 steps (each step
reporting the notebook's losses), and each side's checkpoints, optimizers included, restore into
the other.
"""

import warnings

import numpy as np
import pytest
import tensorflow as tf
import tutorial as tutorial_code
from conftest import assert_trained_alike, synthetic_digits, trained_alike, weights_apart
from tutorial import Tutorial

from dcgan_tf.common.errors import UserError
from dcgan_tf.run.checkpoints import make_manager, restore_latest
from dcgan_tf.run.state import build_state
from dcgan_tf.tutorial.dataset import to_model_range
from dcgan_tf.tutorial.train_step import make_train_step


def tutorial() -> Tutorial:
    with warnings.catch_warnings():  # Keras 3 prefers keras.Input to the tutorial's input_shape=
        warnings.simplefilter("ignore", UserWarning)
        return Tutorial()


def dropout_states(model):
    return [
        layer.seed_generator.state for layer in model.layers if hasattr(layer, "seed_generator")
    ]


def copy_model(source, target):
    """Weights and dropout random state, so both discriminators drop the same units."""
    target.set_weights(source.get_weights())
    for src, dst in zip(dropout_states(source), dropout_states(target), strict=True):
        dst.assign(src)


def assert_same_weights(a, b, atol):
    assert len(a.weights) == len(b.weights)
    for x, y in zip(a.weights, b.weights, strict=True):
        np.testing.assert_allclose(x.numpy(), y.numpy(), atol=atol, rtol=0, err_msg=x.path)


def assert_same_optimizers(a, b):
    """Both optimizers' variables (iterations, Adam's moments), pairwise exactly equal."""
    for x_opt, y_opt in (
        (a.generator_optimizer, b.generator_optimizer),
        (a.discriminator_optimizer, b.discriminator_optimizer),
    ):
        assert len(x_opt.variables) == len(y_opt.variables)
        for x, y in zip(x_opt.variables, y_opt.variables, strict=True):
            np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)


def the_tutorials_losses(probe: Tutorial, source: Tutorial, batch, noise) -> dict[str, float]:
    """The losses the notebook's train step computes for `batch` and `noise` from `source`'s
    weights and dropout state, computed on `probe` (a copy) so that `source` is left as it was."""
    copy_model(source.generator, probe.generator)
    copy_model(source.discriminator, probe.discriminator)
    generated = probe.generator(noise, training=True)
    real = probe.discriminator(batch, training=True)  # in the step's order: dropout draws alike
    fake = probe.discriminator(generated, training=True)
    return {
        "gen_loss": float(tutorial_code.generator_loss(fake)),
        "disc_loss": float(tutorial_code.discriminator_loss(real, fake)),
    }


def test_three_steps_leave_the_same_weights_as_the_tutorials_train_step():
    ours = build_state(noise_dim=100, learning_rate=1e-4, seed=3)
    theirs, probe = tutorial(), tutorial()
    copy_model(ours.generator, theirs.generator)
    copy_model(ours.discriminator, theirs.discriminator)
    train_step = make_train_step(
        ours.generator, ours.discriminator, ours.generator_optimizer, ours.discriminator_optimizer
    )
    images = tf.constant(to_model_range(synthetic_digits(3 * 16, seed=9)[0]))
    before = [w.numpy() for w in ours.generator.weights + ours.discriminator.weights]
    for step in range(3):
        two_steps = [w.numpy() for w in ours.generator.weights + ours.discriminator.weights]
        batch = images[16 * step : 16 * (step + 1)]
        noise = tf.random.stateless_normal([16, 100], seed=[step, 0])
        expected = the_tutorials_losses(probe, theirs, batch, noise)
        losses = train_step(batch, noise)
        theirs.train_step(batch, noise)
        # The losses it reports (the CSV's, the progress bar's) are the notebook's too.
        for name, value in expected.items():
            np.testing.assert_allclose(float(losses[name]), value, rtol=1e-5, err_msg=name)
    ours_after, theirs_after = (
        [w.numpy() for w in state.generator.weights + state.discriminator.weights]
        for state in (ours, theirs)
    )
    assert_trained_alike(ours_after, theirs_after, before)
    # The negative control: a step less (2 steps against 3) is far outside that tolerance.
    moved = weights_apart(ours_after, before)
    assert not trained_alike(weights_apart(ours_after, two_steps), moved)


def trained_tutorial() -> Tutorial:
    """The tutorial after one step, so its optimizers have their slots."""
    model = tutorial()
    images = tf.constant(to_model_range(synthetic_digits(8)[0]))
    model.train_step(images, tf.random.stateless_normal([8, 100], seed=[1, 2]))
    return model


def test_a_checkpoint_written_by_the_tutorials_code_restores_and_generates(tmp_path):
    theirs = trained_tutorial()
    theirs.checkpoint.save(file_prefix=str(tmp_path / "ckpt"))  # as the notebook saves

    ours = build_state(noise_dim=100, learning_rate=1e-4, seed=0)
    restored = restore_latest(ours, make_manager(ours, tmp_path))
    assert restored == str(tmp_path / "ckpt-1")
    assert_same_weights(ours.generator, theirs.generator, atol=0)
    assert_same_weights(ours.discriminator, theirs.discriminator, atol=0)
    assert_same_optimizers(ours, theirs)
    assert int(ours.epoch) == 0  # the tutorial's checkpoints carry no epoch counter
    images = ours.generator(ours.seed_noise, training=False)
    expected = theirs.generator(ours.seed_noise, training=False)
    assert images.shape == (16, 28, 28, 1)
    np.testing.assert_allclose(images.numpy(), expected.numpy(), atol=1e-6)


def test_a_dcgan_tf_checkpoint_restores_into_the_tutorials_code(tmp_path):
    ours = build_state(noise_dim=100, learning_rate=1e-4, seed=4)
    step = make_train_step(
        ours.generator, ours.discriminator, ours.generator_optimizer, ours.discriminator_optimizer
    )
    step(tf.constant(to_model_range(synthetic_digits(8)[0])), tf.zeros([8, 100]))
    make_manager(ours, tmp_path).save()

    theirs = trained_tutorial()  # built, so its optimizers restore at once
    theirs.checkpoint.restore(tf.train.latest_checkpoint(str(tmp_path))).expect_partial()
    assert_same_weights(theirs.generator, ours.generator, atol=0)
    assert_same_weights(theirs.discriminator, ours.discriminator, atol=0)
    assert_same_optimizers(theirs, ours)


def test_a_checkpoint_of_another_shape_is_a_clear_error(tmp_path):
    other = build_state(noise_dim=64, learning_rate=1e-4, seed=0)
    make_manager(other, tmp_path).save()
    ours = build_state(noise_dim=100, learning_rate=1e-4, seed=0)
    with pytest.raises(UserError, match="not a checkpoint of this dcgan model"):
        restore_latest(ours, make_manager(ours, tmp_path))
