"""Recipes: named value sets that flags override; separate discriminator rate and Adam beta1;
label smoothing; K discriminator updates per generator update; old checkpoints still restore."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import first_then_slow, synthetic_digits

from dcgan_tf.config import TrainConfig, load_saved_config
from dcgan_tf.config.recipes import RECIPES, describe
from dcgan_tf.generate import build_parser
from dcgan_tf.generate import main as generate_main
from dcgan_tf.options.losses import make_losses
from dcgan_tf.run.checkpoints import restore
from dcgan_tf.run.state import build_state
from dcgan_tf.training.loop import train
from dcgan_tf.training.steps import Stepper, make_step
from dcgan_tf.tutorial.dataset import to_model_range
from dcgan_tf.tutorial.losses import discriminator_loss

IMAGES = synthetic_digits(32, seed=5)[0]


def batches(count: int, size: int = 8) -> list[tuple[tf.Tensor]]:
    pixels = to_model_range(IMAGES)
    return [(tf.constant(pixels[i * size : (i + 1) * size]),) for i in range(count)]


def test_the_tutorial_recipe_is_the_tutorials_defaults():
    assert TrainConfig.for_model(recipe="tutorial") == TrainConfig()
    assert (TrainConfig().learning_rate, TrainConfig().beta1) == (1e-4, 0.9)
    assert TrainConfig().disc_learning_rate is None


@pytest.mark.parametrize(
    ("recipe", "rates"),
    [
        ("dcgan-paper", (2e-4, 2e-4, 0.5)),
        ("ttur", (1e-4, 3e-4, 0.5)),
        ("fast-digits", (2e-4, 4e-4, 0.5)),
    ],
)
def test_each_recipe_sets_its_adam_rates_and_beta1(recipe, rates):
    config = TrainConfig.for_model(recipe=recipe)
    generator_rate = config.learning_rate
    disc_rate = config.disc_learning_rate or config.learning_rate
    assert (generator_rate, disc_rate, config.beta1) == rates
    assert config.recipe == recipe
    for name, value in RECIPES[recipe].items():
        assert getattr(config, name) == value


def test_fast_digits_smooths_the_real_labels():
    assert TrainConfig.for_model(recipe="fast-digits").label_smoothing == 0.1


def test_flags_given_win_over_the_recipe():
    config = TrainConfig.for_model(recipe="dcgan-paper", learning_rate=5e-5, disc_steps=2)
    assert (config.learning_rate, config.beta1, config.disc_steps) == (5e-5, 0.5, 2)


def test_flags_given_on_the_command_line_win_over_the_recipe():
    given = vars(build_parser(only_given=True).parse_args(["--recipe", "ttur", "--beta1", "0.8"]))
    config = TrainConfig.for_model(**given)
    assert (config.disc_learning_rate, config.beta1) == (3e-4, 0.8)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_recipe_is_saved_in_config_json_and_printed_at_the_start(tmp_path):
    config = TrainConfig.for_model(
        recipe="ttur", steps=1, batch_size=16, out=str(tmp_path / "o"), checkpoint_dir=str(tmp_path)
    )
    lines = []
    train(config, IMAGES, log=lines.append)
    saved = load_saved_config(tmp_path)
    assert (saved.recipe, saved.disc_learning_rate, saved.beta1) == ("ttur", 3e-4, 0.5)
    assert describe(config) in lines
    assert "Recipe ttur: Adam lr G 0.0001 / D 0.0003, beta1 0.5" in describe(config)


def test_an_unknown_recipe_is_a_one_line_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        generate_main(["--recipe", "fastest"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --recipe: invalid choice: 'fastest'")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("values", "flag"),
    [
        ({"beta1": 1.0}, "--beta1"),
        ({"label_smoothing": -0.1}, "--label-smoothing"),
        ({"ema_decay": 1.0}, "--ema-decay"),
        ({"disc_steps": 0}, "--disc-steps"),
        ({"disc_learning_rate": 0.0}, "--disc-learning-rate"),
    ],
)
def test_out_of_range_recipe_values_are_refused(values, flag, capsys):
    argv = [f"--{k.replace('_', '-')}={v}" for k, v in values.items()]
    assert generate_main(argv) == 2
    assert capsys.readouterr().err.startswith(f"error: {flag}")


def test_the_optimizers_get_the_recipes_rates_and_beta1():
    state = build_state(100, 2e-4, 0, disc_learning_rate=4e-4, beta1=0.5)
    assert float(state.generator_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(state.discriminator_optimizer.learning_rate) == pytest.approx(4e-4)
    assert state.generator_optimizer.beta_1 == state.discriminator_optimizer.beta_1 == 0.5


def test_a_tutorial_checkpoint_restores_into_a_recipe_and_keeps_the_recipes_rates(tmp_path):
    tutorial = build_state(100, 1e-4, seed=1)
    Stepper(tutorial, TrainConfig())([batches(1)[0]])
    # The tutorial's own checkpoint: only its four objects (Keras 3 saves the rate with them).
    path = tf.train.Checkpoint(**tutorial.tutorial_objects()).save(str(tmp_path / "ckpt"))
    recipe = build_state(100, 2e-4, seed=2, disc_learning_rate=4e-4, beta1=0.5, ema=True)
    restore(recipe, path)
    for a, b in zip(tutorial.generator.weights, recipe.generator.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(recipe.generator_optimizer.iterations) == 1
    assert float(recipe.generator_optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(recipe.discriminator_optimizer.learning_rate) == pytest.approx(4e-4)
    # EMA newly on: it starts from the restored generator, not from fresh weights.
    for a, b in zip(recipe.generator.weights, recipe.generator_ema.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_one_sided_label_smoothing_moves_only_the_real_target():
    real, fake = tf.constant([[2.0], [-1.0]]), tf.constant([[-3.0], [0.5]])

    def bce(target, logit):
        p = 1 / (1 + np.exp(-logit))
        return -(target * np.log(p) + (1 - target) * np.log(1 - p))

    expected = np.mean(bce(0.9, real.numpy())) + np.mean(bce(0.0, fake.numpy()))
    smoothed = float(make_losses(label_smoothing=0.1)[1](real, fake))
    assert smoothed == pytest.approx(expected, rel=1e-5)
    assert smoothed != pytest.approx(float(discriminator_loss(real, fake)), rel=1e-3)


def test_the_train_step_asks_the_discriminator_for_one_minus_s_of_real_images_only():
    """The step `--label-smoothing 0.1` trains with: its discriminator loss is the one-sided
    smoothed loss of the logits the nets give (dropout off, so that they can be recomputed)."""
    state = build_state(100, 1e-4, 0)
    for layer in state.discriminator.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    step = make_step(state, TrainConfig(label_smoothing=0.1), None)
    ((images,),) = batches(1)
    noise = tf.random.stateless_normal((8, 100), seed=(1, 2))
    real = state.discriminator(images, training=True).numpy()
    fake = state.discriminator(state.generator(noise, training=True), training=True).numpy()

    def bce(target, logit):  # sigmoid cross-entropy from logits
        return np.logaddexp(0, logit) - target * logit

    expected = np.mean(bce(0.9, real)) + np.mean(bce(0.0, fake))
    assert float(step(images, noise)["disc_loss"]) == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize("steps_per_call", first_then_slow([1, 4]))
def test_two_disc_steps_update_the_discriminator_twice_per_generator_update(steps_per_call):
    state = build_state(100, 1e-4, 0)
    config = TrainConfig(disc_steps=2, steps_per_call=steps_per_call)
    stepper = Stepper(state, config)
    group = batches(4)
    if steps_per_call == 1:
        for batch in group:
            stepper([batch])
    else:
        stepper(group)
    assert int(state.discriminator_optimizer.iterations) == 4
    assert int(state.generator_optimizer.iterations) == 2


def test_digits_in_two_minutes_is_digits_in_minutes_at_batch_64_with_adaptive_augmentation():
    fast = TrainConfig.for_model(recipe="digits-in-minutes")
    config = TrainConfig.for_model(recipe="digits-in-two-minutes")
    assert config.batch_size == 64
    assert (config.diff_augment, config.ada_target) == ("translation,cutout", 0.6)
    same = ("update", "learning_rate", "beta1", "disc_dropout", "ema_decay", "ema_warmup")
    assert all(getattr(config, name) == getattr(fast, name) for name in same)
    assert "ADA target 0.6" in describe(config) and "DiffAugment translation,cutout" in describe(
        config
    )


def assert_same_but(config: TrainConfig, other: TrainConfig, changed: set[str]) -> None:
    """Every field of the two configs is equal, but those named in `changed`."""
    for field in dataclasses.fields(TrainConfig):
        if field.name not in changed:
            assert getattr(config, field.name) == getattr(other, field.name), field.name


def test_digits_for_long_runs_is_digits_in_two_minutes_with_ada_at_0_3_dropout_and_a_linear_decay():
    short = TrainConfig.for_model(recipe="digits-in-two-minutes")
    config = TrainConfig.for_model(recipe="digits-for-long-runs")
    assert (config.ada_target, config.disc_dropout, config.lr_decay) == (0.3, 0.3, "linear")
    assert_same_but(config, short, {"recipe", "ada_target", "disc_dropout", "lr_decay"})
    for said in ("lr decay linear", "D dropout 0.3", "ADA target 0.3"):
        assert said in describe(config)


@pytest.mark.parametrize(
    ("recipe", "batch_size", "rate"),
    [("digits-at-batch-32", 32, 1e-3), ("digits-at-batch-8", 8, 5e-4)],
)
def test_the_small_batch_recipes_are_digits_in_two_minutes_at_their_batch_and_rate(
    recipe, batch_size, rate
):
    short = TrainConfig.for_model(recipe="digits-in-two-minutes")
    config = TrainConfig.for_model(recipe=recipe)
    assert (config.batch_size, config.learning_rate) == (batch_size, rate)
    assert_same_but(config, short, {"recipe", "batch_size", "learning_rate"})
    assert f"Adam lr G {rate:g} / D {rate:g}" in describe(config)
