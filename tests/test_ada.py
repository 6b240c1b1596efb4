"""--ada-target T: the --diff-augment policy applied to each image with probability p; p moves by
batch / 100,000 after each step, up while D's mean sign on the real batch is above T, down while
below, within [0, 1] (or [0, --ada-max-p]); p is saved in each checkpoint, so a resumed run goes
on with its p."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.config.recipes import describe
from dcgan_tf.options.ada import ADA_IMAGES, make_adaptive_augment, make_probability_update
from dcgan_tf.options.diff_augment import cutout
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import build_state
from dcgan_tf.training.loop import train


def ones(count: int) -> tf.Tensor:
    return tf.ones((count, 28, 28, 1))


def test_p_rises_by_the_batch_over_ada_images_while_the_real_logits_are_mostly_positive():
    p = tf.Variable(0.25)
    observe = make_probability_update(p, target=0.6)
    observe(tf.constant([[3.0]] * 9 + [[-1.0]]))  # r = (9 - 1) / 10 = 0.8 > 0.6
    assert float(p) == pytest.approx(0.25 + 10 / ADA_IMAGES)


def test_p_falls_while_the_real_logits_are_below_the_target_and_stays_within_0_and_1():
    p = tf.Variable(15 / ADA_IMAGES)
    observe = make_probability_update(p, target=0.6)
    observe(tf.constant([[1.0]] * 5 + [[-1.0]] * 5))  # r = 0 < 0.6
    assert float(p) == pytest.approx(5 / ADA_IMAGES)
    observe(tf.constant([[1.0]] * 5 + [[-1.0]] * 5))
    assert float(p) == 0.0  # clipped, not -5 / ADA_IMAGES
    top = tf.Variable(1.0)
    make_probability_update(top, target=0.6)(tf.ones((64, 1)))
    assert float(top) == 1.0


def test_ada_max_p_caps_p_where_the_real_logits_would_take_it_higher():
    p = tf.Variable(0.5 - 10 / ADA_IMAGES)
    observe = make_probability_update(p, target=0.3, max_p=0.5)
    observe(tf.ones((64, 1)))  # r = 1 > 0.3: up by 64 / ADA_IMAGES, held at the cap
    assert float(p) == pytest.approx(0.5)
    observe(tf.ones((64, 1)))
    assert float(p) == pytest.approx(0.5)
    observe(-tf.ones((64, 1)))  # r = -1: down from the cap as without one
    assert float(p) == pytest.approx(0.5 - 64 / ADA_IMAGES)


def test_at_p_0_no_image_is_augmented_and_at_p_1_every_image_is():
    never = make_adaptive_augment("cutout", tf.random.Generator.from_seed(1), tf.Variable(0.0))
    np.testing.assert_array_equal(never(ones(32)).numpy(), ones(32).numpy())
    always = make_adaptive_augment("cutout", tf.random.Generator.from_seed(1), tf.Variable(1.0))
    zeroed = (always(ones(32)).numpy() == 0).reshape(32, -1).any(axis=1)
    assert zeroed.all()  # each image has its cut-out square


def test_at_p_one_half_about_half_the_images_are_augmented_each_with_its_own_draw():
    probability = tf.Variable(0.5)
    augment = make_adaptive_augment("cutout", tf.random.Generator.from_seed(2), probability)
    zeroed = (augment(ones(400)).numpy() == 0).reshape(400, -1).any(axis=1)
    assert 160 < zeroed.sum() < 240  # binomial(400, 0.5): 200 +- 10 standard deviation
    probability.assign(0.1)  # read at each call: the step sees p as it moves
    zeroed = (augment(ones(400)).numpy() == 0).reshape(400, -1).any(axis=1)
    assert 15 < zeroed.sum() < 70


def test_an_augmented_image_is_the_policy_applied_to_it():
    """Each chosen image gets exactly the transformation --diff-augment would give it."""
    images = tf.constant(np.random.default_rng(3).uniform(0.1, 1, (16, 28, 28, 1)), tf.float32)
    out = make_adaptive_augment("cutout", tf.random.Generator.from_seed(4), tf.Variable(1.0))(
        images
    )
    rng = tf.random.Generator.from_seed(4)
    rng.uniform([16, 1, 1, 1])  # the draw that chose the images
    np.testing.assert_array_equal(out.numpy(), cutout(images, rng).numpy())


def test_ada_needs_a_policy_to_apply_and_a_target_below_1():
    with pytest.raises(UserError, match=r"^--ada-target needs --diff-augment POLICY"):
        TrainConfig(ada_target=0.6)
    with pytest.raises(UserError, match=r"^--ada-target must be in \[0, 1\)"):
        TrainConfig(ada_target=1.5, diff_augment="translation")


def test_ada_max_p_needs_ada_and_a_cap_within_0_and_1():
    with pytest.raises(UserError, match=r"^--ada-max-p needs --ada-target T"):
        TrainConfig(ada_max_p=0.5, diff_augment="translation")
    with pytest.raises(UserError, match=r"^--ada-max-p must be in \(0, 1\]"):
        TrainConfig(ada_max_p=0.0, ada_target=0.3, diff_augment="translation")
    capped = TrainConfig(ada_target=0.3, ada_max_p=0.5, diff_augment="translation")
    assert "ADA target 0.3, ADA p at most 0.5" in describe(capped)


def test_p_is_saved_in_the_checkpoint_only_when_ada_is_on():
    assert "ada_p" not in dir(build_state(100, 1e-4, 0).checkpoint())
    state = build_state(100, 1e-4, 0, adaptive_augment=True)
    assert state.checkpoint().ada_p is state.augment_probability
    assert float(state.augment_probability) == 0.0


@pytest.mark.slow  # make test-slow: a trained run / traced steps, out of make test
def test_a_run_moves_p_says_it_each_epoch_and_resumes_with_it(tmp_path):
    """Two steps of 16: p moves by 16 / ADA_IMAGES a step; the resumed run starts from the
    saved p, not from 0."""
    images = synthetic_digits(32, seed=5)[0]
    given = dict(batch_size=16, out=str(tmp_path / "out"), checkpoint_dir=str(tmp_path / "ck"))
    given |= dict(diff_augment="translation", ada_target=0.6, seed=3)
    lines = []
    state = train(TrainConfig(epochs=1, **given), images, log=lines.append)
    first = float(state.augment_probability)
    assert first == pytest.approx(16 / ADA_IMAGES)  # this seed: held at 0 (clipped), then up once
    assert f"Adaptive augmentation after epoch 1: p = {first:.4f}" in lines
    seen = []

    class Watch(Hook):
        def on_train_begin(self, state):
            seen.append(float(state.augment_probability))

    train(TrainConfig(epochs=2, **given), images, log=lines.append, hooks=[Watch()])
    assert seen == [first]


def test_beta2_reaches_both_optimizers():
    state = build_state(100, 1e-4, 0, beta2=0.99)
    assert state.generator_optimizer.beta_2 == state.discriminator_optimizer.beta_2 == 0.99
    assert (
        build_state(100, 1e-4, 0).generator_optimizer.beta_2 == 0.999
    )  # Keras' and the tutorial's


MIRRORED_RUN = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from conftest import synthetic_digits
from dcgan_tf.config import TrainConfig
from dcgan_tf.training.loop import train
given = dict(strategy="mirrored", batch_size=16, epochs=4, tensorboard=False, seed=0)
given |= dict(out=sys.argv[1] + "/out", checkpoint_dir=sys.argv[1] + "/ck")
given |= dict(diff_augment="translation", ada_target=0.6)
state = train(TrainConfig(**given), synthetic_digits(32, 1)[0], log=lambda _: None)
print(float(tf.convert_to_tensor(state.augment_probability)))
"""


@pytest.mark.slow  # a process of its own: the CPU split into 2 logical devices
def test_under_a_mirrored_strategy_p_moves_by_the_global_batch(tmp_path):
    """2 replicas of 8 images, 8 steps: p moves by 16 / ADA_IMAGES a step (the first replica's
    share steers); counted by the replica's 8 it could not pass 8 x 8 / ADA_IMAGES."""
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": f"{repo}:{repo / 'tests'}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", MIRRORED_RUN, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    units = float(done.stdout.split()[-1]) * ADA_IMAGES / 16  # steps up minus steps down
    assert units == pytest.approx(round(units), abs=1e-3)
    assert 4 < round(units) <= 8
