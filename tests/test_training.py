"""The train step: it updates both nets, is reproducible, traces once, and stops on NaN."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.run.state import build_state
from dcgan_tf.training.loop import TrainingDiverged, train
from dcgan_tf.tutorial import losses
from dcgan_tf.tutorial.dataset import make_dataset, to_model_range
from dcgan_tf.tutorial.losses import generator_loss
from dcgan_tf.tutorial.train_step import make_train_step


def step_of(state):
    return make_train_step(
        state.generator,
        state.discriminator,
        state.generator_optimizer,
        state.discriminator_optimizer,
    )


def one_step(seed: int):
    """A fresh state (weights from `seed`) after one step on 8 synthetic images."""
    state = build_state(noise_dim=100, learning_rate=1e-4, seed=seed)
    images = tf.constant(to_model_range(synthetic_digits(8)[0]))
    noise = tf.random.stateless_normal([8, 100], seed=[seed, 1])
    losses = step_of(state)(images, noise)
    return state, losses


def test_one_step_changes_every_trainable_variable_of_both_nets():
    state = build_state(noise_dim=100, learning_rate=1e-4, seed=0)
    models = (state.generator, state.discriminator)
    before = [[v.numpy().copy() for v in m.trainable_variables] for m in models]
    images = tf.constant(to_model_range(synthetic_digits(8)[0]))
    step_of(state)(images, tf.random.stateless_normal([8, 100], seed=[0, 1]))
    for model, old_values in zip(models, before, strict=True):
        for variable, old in zip(model.trainable_variables, old_values, strict=True):
            assert not np.array_equal(variable.numpy(), old), variable.path


def test_step_returns_both_losses_as_a_named_dict():
    _, losses = one_step(seed=0)
    assert set(losses) == {"gen_loss", "disc_loss"}
    assert all(np.isfinite(float(v)) for v in losses.values())


def test_step_is_reproducible_with_a_fixed_seed():
    first, first_losses = one_step(seed=5)
    second, second_losses = one_step(seed=5)
    for a, b in zip(first.generator.weights, second.generator.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(first.discriminator.weights, second.discriminator.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert float(first_losses["gen_loss"]) == float(second_losses["gen_loss"])


def test_different_seeds_give_different_initial_weights():
    a = build_state(noise_dim=100, learning_rate=1e-4, seed=1)
    b = build_state(noise_dim=100, learning_rate=1e-4, seed=2)
    assert not np.array_equal(a.generator.weights[0].numpy(), b.generator.weights[0].numpy())


def test_an_epoch_with_a_partial_last_batch_traces_the_step_once():
    state = build_state(noise_dim=100, learning_rate=1e-4, seed=0)
    train_step = step_of(state)
    images = tf.constant(to_model_range(synthetic_digits(20)[0]))
    sizes = []
    for (batch,) in make_dataset(images, batch_size=8, seed=0, epoch=1):
        noise = state.noise_rng.normal([tf.shape(batch)[0], 100])
        train_step(batch, noise)
        sizes.append(int(batch.shape[0]))
    assert sizes == [8, 8, 4]
    assert train_step.experimental_get_tracing_count() == 1


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    images = synthetic_digits(16)[0]
    config = TrainConfig(
        epochs=1, batch_size=8, out=str(tmp_path / "out"), checkpoint_dir=str(tmp_path / "ck")
    )
    train(config, images, log=lambda _: None)
    good = sorted(p.name for p in (tmp_path / "ck").iterdir())
    # From now on the generator loss is NaN, as after an explosion.
    nan_loss = lambda fake: generator_loss(fake) * np.nan  # noqa: E731
    monkeypatch.setattr(losses, "generator_loss", nan_loss)  # what the loop's step calls
    longer = dataclasses.replace(config, epochs=3)
    with pytest.raises(TrainingDiverged, match=r"stopped, the last good checkpoint is .*ckpt-1"):
        train(longer, images, log=lambda _: None)
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == good


def test_the_loop_runs_the_tutorials_train_step(tmp_path, monkeypatch):
    from dcgan_tf.training import steps

    built = []

    def spy(*args, **kwargs):
        built.append(make_train_step(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(steps, "make_train_step", spy)
    config = TrainConfig(steps=1, batch_size=8, out=str(tmp_path / "out"), tensorboard=False)
    config = dataclasses.replace(config, checkpoint_dir=str(tmp_path / "ck"))
    state = train(config, synthetic_digits(8)[0], log=lambda _: None)
    (step,) = built  # the one step the run trained with
    body = step.python_function
    assert (body.__module__, body.__name__) == ("dcgan_tf.tutorial.train_step", "train_step")
    assert step.experimental_get_tracing_count() == 1 and int(state.step) == 1
