"""The other GANs of the course material: shapes, parameter counts, presets, losses, training."""

import dataclasses

import imageio.v3 as iio
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.models.specs import MODEL_SPECS
from dcgan_tf.options.losses import make_losses
from dcgan_tf.run.checkpoints import make_manager, restore_latest
from dcgan_tf.run.state import build_state
from dcgan_tf.run.workdir import check_resumable
from dcgan_tf.training.loop import train
from dcgan_tf.training.steps import nets_of
from dcgan_tf.tutorial.losses import generator_loss
from dcgan_tf.tutorial.train_step import StepOptions, make_train_step


@pytest.mark.parametrize(
    ("model", "generator_params", "discriminator_params"),
    [("dcgan", 2_330_944, 212_865), ("cdcgan", 2_456_384, 222_305), ("gan", 114_064, 100_609)],
)
def test_parameter_counts(model, generator_params, discriminator_params):
    spec = MODEL_SPECS[model]
    assert spec.make_generator(100, 1).count_params() == generator_params
    assert spec.make_discriminator(1).count_params() == discriminator_params


def test_the_one_hidden_layer_gan_works_on_flat_pixels_in_zero_one():
    spec = MODEL_SPECS["gan"]
    noise = spec.sample_noise(tf.random.Generator.from_seed(0), 500, 100)
    assert float(tf.reduce_min(noise)) >= -1.0 and float(tf.reduce_max(noise)) <= 1.0
    assert float(tf.reduce_min(noise)) < -0.9  # uniform, not normal
    images = spec.make_generator(100, 1)(noise[:3]).numpy()
    assert images.shape == (3, 784)
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert spec.scale(np.full((2, 28, 28), 255, np.uint8)).shape == (2, 784)
    assert spec.scale(np.full((2, 28, 28), 255, np.uint8)).max() == 1.0


def test_the_conditional_generator_depends_on_the_label():
    generator = MODEL_SPECS["cdcgan"].make_generator(100, 1)
    noise = tf.tile(tf.random.stateless_normal([1, 100], seed=[0, 0]), [2, 1])
    images = generator([noise, tf.constant([3, 8])], training=False).numpy()
    assert images.shape == (2, 28, 28, 1)
    assert np.abs(images[0] - images[1]).max() > 1e-4


def test_conditional_discriminator_takes_image_and_label():
    discriminator = MODEL_SPECS["cdcgan"].make_discriminator(1)
    logits = discriminator([tf.zeros([2, 28, 28, 1]), tf.constant([0, 9])], training=False)
    assert logits.shape == (2, 1)


def test_rgb_changes_only_the_generators_last_layer_and_the_discriminators_input():
    gray = [MODEL_SPECS["dcgan"].make_generator(100, 1), MODEL_SPECS["dcgan"].make_discriminator(1)]
    rgb = [MODEL_SPECS["dcgan"].make_generator(100, 3), MODEL_SPECS["dcgan"].make_discriminator(3)]
    for a, b in zip(gray, rgb, strict=True):
        shapes_a = [w.shape for w in a.weights]
        shapes_b = [w.shape for w in b.weights]
        changed = [i for i, (x, y) in enumerate(zip(shapes_a, shapes_b, strict=True)) if x != y]
        assert len(changed) == 1
    assert rgb[0].output_shape == (None, 28, 28, 3)
    assert rgb[1].input_shape == (None, 28, 28, 3)


def test_minimax_generator_loss_is_log_one_minus_d():
    logits = tf.constant([[0.0], [2.0]])
    d = tf.sigmoid(logits).numpy().ravel()
    expected = np.mean(np.log(1 - d))
    minimax_generator_loss = make_losses(gen_loss="minimax")[0]
    assert float(minimax_generator_loss(logits)) == pytest.approx(expected, rel=1e-5)
    assert float(generator_loss(logits)) == pytest.approx(np.mean(-np.log(d)), rel=1e-5)


def one_step_weights(gen_loss: str) -> np.ndarray:
    state = build_state(100, 1e-4, seed=0)
    generator_loss, _ = make_losses(gen_loss)
    step = make_train_step(*nets_of(state), StepOptions(generator_loss=generator_loss))
    images = tf.constant(MODEL_SPECS["dcgan"].scale(synthetic_digits(8)[0]))
    step(images, tf.random.stateless_normal([8, 100], seed=[0, 1]))
    return state.generator.weights[0].numpy()


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_generator_loss_choice_changes_the_generators_update():
    assert not np.allclose(one_step_weights("minimax"), one_step_weights("non-saturating"))


def test_model_presets_fill_only_the_flags_not_given():
    gan = TrainConfig.for_model(model="gan")
    assert (gan.batch_size, gan.learning_rate, gan.steps) == (128, 1e-3, 100_000)
    assert gan.snapshot_steps == (0, 10_000, 60_000)
    assert TrainConfig.for_model(model="gan", batch_size=64).batch_size == 64
    assert TrainConfig.for_model(model="gan", epochs=5).steps == 0  # epochs asked: not steps
    assert TrainConfig.for_model(model="cdcgan") == TrainConfig(model="cdcgan")
    assert TrainConfig.for_model() == TrainConfig()


def test_a_checkpoint_of_one_model_type_is_refused_by_another(tmp_path):
    gan = build_state(100, 1e-3, 0, model="gan")
    make_manager(gan, tmp_path).save()
    dcgan = build_state(100, 1e-4, 0)
    with pytest.raises(UserError, match="holds a 'gan' model, not 'dcgan'; use --model gan"):
        restore_latest(dcgan, make_manager(dcgan, tmp_path))


def small_config(tmp_path, **changes) -> TrainConfig:
    base = TrainConfig(
        batch_size=32, out=str(tmp_path / "out"), checkpoint_dir=str(tmp_path / "ck")
    )
    return dataclasses.replace(base, **changes)


def test_gan_trains_by_steps_and_saves_its_snapshot_steps(tmp_path):
    images, _ = synthetic_digits(100)  # 4 steps an epoch
    config = small_config(tmp_path, model="gan", steps=10, snapshot_steps=(0, 5, 10),
                          learning_rate=1e-3)  # fmt: skip
    state = train(config, images, log=lambda _: None)
    assert int(state.step) == 10
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("image_at_step_*.png")) == [
        "image_at_step_000000.png", "image_at_step_000005.png", "image_at_step_000010.png"
    ]  # fmt: skip
    assert len(list(out.glob("image_at_epoch_*.png"))) == 2  # epochs 1 and 2; 3 ends early
    assert iio.imread(out / "dcgan.gif", index=None).shape[0] == 2
    assert (tmp_path / "ck" / "checkpoint").exists()
    more = train(dataclasses.replace(config, steps=13), images, log=lambda _: None)
    assert int(more.step) == 13


def test_a_run_that_stops_inside_an_epoch_draws_its_last_step(tmp_path):
    images, _ = synthetic_digits(100)  # 4 steps an epoch
    config = small_config(tmp_path, model="gan", steps=6)
    train(config, images, log=lambda _: None)
    out = tmp_path / "out"
    assert [p.name for p in out.glob("image_at_epoch_*.png")] == ["image_at_epoch_0001.png"]
    assert [p.name for p in out.glob("image_at_step_*.png")] == ["image_at_step_000006.png"]


def test_cdcgan_trains_and_its_grid_has_a_row_per_digit(tmp_path):
    images, labels = synthetic_digits(64)
    config = small_config(tmp_path, model="cdcgan", epochs=1)
    train(config, images, log=lambda _: None, image_labels=labels)
    grid = iio.imread(tmp_path / "out" / "image_at_epoch_0001.png")
    assert grid.shape == (3 * (10 * 30 + 2), 3 * (8 * 30 + 2))  # 10 rows x 8 columns
    assert (tmp_path / "ck" / "checkpoint").exists()
    assert (tmp_path / "out" / "dcgan.gif").exists()


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_resuming_as_another_model_noise_dim_or_channels_names_the_flag(tmp_path):
    images, labels = synthetic_digits(32)
    train(small_config(tmp_path, epochs=1), images, log=lambda _: None)
    with pytest.raises(UserError, match="holds a run with --model dcgan, not cdcgan"):
        train(small_config(tmp_path, epochs=2, model="cdcgan"), images, log=lambda _: None,
              image_labels=labels)  # fmt: skip
    with pytest.raises(UserError, match="holds a run with --noise-dim 100, not 64"):
        train(small_config(tmp_path, epochs=2, noise_dim=64), images, log=lambda _: None)
    rgb = small_config(tmp_path, epochs=2, channels=3, dataset="folder", data_dir="pictures")
    with pytest.raises(UserError, match="holds a run with --channels 1, not 3"):
        train(rgb, np.stack([images] * 3, axis=-1), log=lambda _: None)


def test_resuming_at_another_image_size_names_the_flag():
    saved = TrainConfig(image_size=64, checkpoint_dir="ck")
    with pytest.raises(UserError, match="ck holds a run with --image-size 64, not 32"):
        check_resumable(dataclasses.replace(saved, image_size=32), saved, log=print)
