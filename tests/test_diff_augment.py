"""--diff-augment translation,cutout,color: each image shifted by its own (dy, dx) within 4 pixels
with -1 filled in, a square of 14 x 14 zeroed (clipped at the edges), its brightness, saturation
and contrast moved; differentiable; drawn from the run's random generator; applied to every image
the discriminator sees, real and fake."""

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.options.alternating import make_alternating_step
from dcgan_tf.options.diff_augment import (
    color,
    cutout,
    make_diff_augment,
    parse_policy,
    translate,
)
from dcgan_tf.run.state import build_state
from dcgan_tf.training import steps
from dcgan_tf.training.steps import Stepper, nets_of
from dcgan_tf.tutorial.dataset import to_model_range
from dcgan_tf.tutorial.train_step import StepOptions, make_train_step

SHIFTS = [(dy, dx) for dy in range(-4, 5) for dx in range(-4, 5)]


def random_images(count: int, seed: int = 0) -> np.ndarray:
    """(count, 28, 28, 1) values in [0.05, 1) with random signs: never -1, never 0, all distinct."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.05, 1.0, size=(count, 28, 28, 1)).astype(np.float32)
    return values * rng.choice([-1.0, 1.0], size=values.shape).astype(np.float32)


def shifted(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """out[y, x] = image[y + dy, x + dx], -1 where that falls outside the image."""
    padded = np.pad(image, ((4, 4), (4, 4), (0, 0)), constant_values=-1.0)
    return padded[4 + dy : 4 + dy + 28, 4 + dx : 4 + dx + 28]


def found_shifts(inputs: np.ndarray, outputs: np.ndarray) -> list[tuple[int, int]]:
    """The one shift within 4 pixels that turns each input into its output (an error if none)."""
    result = []
    for image, out in zip(inputs, outputs, strict=True):
        matches = [s for s in SHIFTS if np.array_equal(shifted(image, *s), out)]
        assert len(matches) == 1, f"no shift within 4 pixels gives this output: {matches}"
        result.append(matches[0])
    return result


def test_translation_keeps_the_shape():
    out = translate(tf.constant(random_images(5)), tf.random.Generator.from_seed(1))
    assert out.shape == (5, 28, 28, 1) and out.dtype == tf.float32


def test_each_translated_image_is_its_input_shifted_within_4_pixels_with_minus_one_filled_in():
    images = random_images(16)
    out = translate(tf.constant(images), tf.random.Generator.from_seed(1)).numpy()
    found_shifts(images, out)  # every image matches exactly one of the 81 shifts


def test_each_image_of_a_batch_gets_its_own_shift():
    images = random_images(64)
    out = translate(tf.constant(images), tf.random.Generator.from_seed(2)).numpy()
    assert len(set(found_shifts(images, out))) > 20  # 64 draws of 81: about 45 distinct


def test_the_shifts_reach_four_pixels_in_every_direction():
    images = random_images(200, seed=3)
    out = translate(tf.constant(images), tf.random.Generator.from_seed(3)).numpy()
    shifts = found_shifts(images, out)
    assert {dy for dy, _ in shifts} == set(range(-4, 5))
    assert {dx for _, dx in shifts} == set(range(-4, 5))


def test_cutout_zeroes_one_square_of_at_most_14_by_14_clipped_at_the_edges_and_nothing_else():
    images = random_images(64, seed=4)
    out = cutout(tf.constant(images), tf.random.Generator.from_seed(4)).numpy()
    clipped = 0
    for image, result in zip(images, out, strict=True):
        zeroed = result[..., 0] == 0
        rows, cols = np.flatnonzero(zeroed.any(axis=1)), np.flatnonzero(zeroed.any(axis=0))
        top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        assert zeroed[top:bottom, left:right].all()  # a filled axis-aligned rectangle ...
        assert zeroed.sum() == (bottom - top) * (right - left)  # ... and nothing outside it
        assert bottom - top <= 14 and right - left <= 14
        assert bottom - top == 14 or top == 0 or bottom == 28  # short only where clipped
        assert right - left == 14 or left == 0 or right == 28
        clipped += (bottom - top) * (right - left) < 14 * 14
        np.testing.assert_array_equal(result[~zeroed], image[~zeroed])
    assert 0 < clipped < 64  # some squares hang over an edge, most do not


def per_image_contrast_and_brightness(inputs: np.ndarray, outputs: np.ndarray):
    """For each pair of (H, W, C) images: (k, c) with output - mean = k (input - its mean) and
    output's mean = input's mean + c, the means over each image's pixels."""
    axes = (1, 2, 3)
    centred_in = inputs - inputs.mean(axis=axes, keepdims=True)
    centred_out = outputs - outputs.mean(axis=axes, keepdims=True)
    k = (centred_out * centred_in).sum(axis=axes) / (centred_in**2).sum(axis=axes)
    np.testing.assert_allclose(centred_out, k[:, None, None, None] * centred_in, atol=1e-5)
    return k, outputs.mean(axis=axes) - inputs.mean(axis=axes)


def test_color_on_gray_images_moves_each_ones_brightness_and_contrast_by_its_own_draw():
    images = random_images(64, seed=10)
    out = color(tf.constant(images), tf.random.Generator.from_seed(10)).numpy()
    contrast, brightness = per_image_contrast_and_brightness(images, out)
    assert contrast.min() >= 0.5 and contrast.max() <= 1.5
    assert brightness.min() >= -0.5 and brightness.max() <= 0.5
    assert contrast.std() > 0.2 and brightness.std() > 0.2  # one draw per image, not per batch


def test_color_on_colour_images_also_scales_each_pixels_colours_around_its_gray():
    rng = np.random.default_rng(11)
    images = rng.uniform(-1, 1, size=(64, 8, 8, 3)).astype(np.float32)
    out = color(tf.constant(images), tf.random.Generator.from_seed(11)).numpy()
    gray_in, gray_out = images.mean(axis=3, keepdims=True), out.mean(axis=3, keepdims=True)
    contrast, brightness = per_image_contrast_and_brightness(gray_in, gray_out)
    assert contrast.min() >= 0.5 and contrast.max() <= 1.5
    assert brightness.min() >= -0.5 and brightness.max() <= 0.5
    # The colours around the gray: saturation (in [0, 2]) times contrast, one factor per image.
    colour_in, colour_out = images - gray_in, out - gray_out
    factor = (colour_out * colour_in).sum(axis=(1, 2, 3)) / (colour_in**2).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(colour_out, factor[:, None, None, None] * colour_in, atol=1e-5)
    saturation = factor / contrast
    assert saturation.min() >= 0 and saturation.max() <= 2
    assert saturation.min() < 0.5 and saturation.max() > 1.5


@pytest.mark.parametrize("augmentation", [translate, cutout, color])
def test_gradients_flow_through_the_augmentation(augmentation):
    images = tf.constant(random_images(4))
    weights = tf.constant(random_images(4, seed=9))
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = tf.reduce_sum(weights * augmentation(images, tf.random.Generator.from_seed(5)))
    grad = tape.gradient(loss, images)
    assert grad is not None
    assert float(tf.reduce_max(tf.abs(grad))) > 0


def test_the_cutout_gradient_is_one_outside_the_square_and_zero_inside():
    images = tf.constant(random_images(4))
    with tf.GradientTape() as tape:
        tape.watch(images)
        out = cutout(images, tf.random.Generator.from_seed(6))
    grad = tape.gradient(out, images).numpy()
    np.testing.assert_array_equal(grad, (out.numpy() != 0).astype(np.float32))


def test_the_same_generator_state_gives_the_same_augmentation():
    """What a resumed run relies on: the draws are a function of the generator's saved state."""
    images = tf.constant(random_images(8))
    a = make_diff_augment("translation,cutout", tf.random.Generator.from_seed(7))(images)
    b = make_diff_augment("translation,cutout", tf.random.Generator.from_seed(7))(images)
    c = make_diff_augment("translation,cutout", tf.random.Generator.from_seed(8))(images)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_a_policy_runs_its_augmentations_in_order_and_an_empty_one_is_none():
    assert parse_policy(" translation , cutout ") == ("translation", "cutout")
    assert parse_policy("color,translation") == ("color", "translation")
    assert make_diff_augment("", tf.random.Generator.from_seed(0)) is None
    images = tf.constant(random_images(8))
    both = make_diff_augment("translation,cutout", tf.random.Generator.from_seed(7))(images)
    rng = tf.random.Generator.from_seed(7)
    np.testing.assert_array_equal(both.numpy(), cutout(translate(images, rng), rng).numpy())


def test_an_unknown_augmentation_is_refused_naming_the_flag():
    with pytest.raises(UserError, match=r"^unknown --diff-augment 'flip'") as err:
        TrainConfig(diff_augment="translation,flip")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="flip"):
        parse_policy("flip")


def test_the_train_step_augments_the_real_and_the_fake_batch_alike():
    """An augmentation that blanks every image: the discriminator then gives real and fake the
    same logit l = D(0), so the losses are -log s(l) and -log s(l) - log(1 - s(l))."""
    state = build_state(100, 1e-4, 0, disc_dropout=0.0)
    calls = []

    def blank(images):
        calls.append(tuple(images.shape))
        return images * 0.0  # (still a path for the gradient: all zeros)

    step = make_train_step(*nets_of(state), StepOptions(augment=blank))
    images = tf.constant(to_model_range(synthetic_digits(8, seed=2)[0]))
    logit = float(state.discriminator(tf.zeros((1, 28, 28, 1)), training=True)[0, 0])
    losses = step(images, tf.random.stateless_normal((8, 100), seed=(5, 6)))
    softplus = lambda x: float(np.log1p(np.exp(x)))  # noqa: E731  -log s(-x)
    assert float(losses["gen_loss"]) == pytest.approx(softplus(-logit), rel=1e-5)
    assert float(losses["disc_loss"]) == pytest.approx(softplus(-logit) + softplus(logit), rel=1e-5)
    assert calls == [(None, 28, 28, 1)] * 2  # traced once: the real batch, the fake batch


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_alternating_update_augments_the_real_and_every_fake_batch_alike():
    """D's update sees blanked reals and fakes (logit l0 = D(0) before it), G's update blanked
    fakes (l1 = D(0) after D's update)."""
    state = build_state(100, 1e-4, 0, disc_dropout=0.0)
    calls = []

    def blank(images):
        calls.append(tuple(images.shape))
        return images * 0.0

    step = make_alternating_step(*nets_of(state), StepOptions(augment=blank))
    images = tf.constant(to_model_range(synthetic_digits(8, seed=2)[0]))
    blank_logit = lambda: float(state.discriminator(tf.zeros((1, 28, 28, 1)))[0, 0])  # noqa: E731
    before = blank_logit()
    losses = step(images, tf.random.stateless_normal((2, 8, 100), seed=(5, 6)))
    after = blank_logit()
    softplus = lambda x: float(np.log1p(np.exp(x)))  # noqa: E731
    assert float(losses["disc_loss"]) == pytest.approx(softplus(-before) + softplus(before), 1e-5)
    assert float(losses["gen_loss"]) == pytest.approx(softplus(-after), rel=1e-5)
    assert calls == [(None, 28, 28, 1)] * 3  # the real batch, D's fakes, G's fakes


def test_the_run_draws_its_augmentations_from_its_saved_noise_generator(monkeypatch):
    """The generator each checkpoint saves (noise_rng), so that a resumed run augments as an
    uninterrupted one."""
    asked = []

    def spy(policy, rng):
        asked.append((policy, rng))
        return make_diff_augment(policy, rng)

    monkeypatch.setattr(steps, "make_diff_augment", spy)
    state = build_state(100, 1e-4, 0)
    Stepper(state, TrainConfig(diff_augment="translation,cutout"))  # (traced at the first step)
    assert asked == [("translation,cutout", state.noise_rng)]
    assert state.checkpoint().noise_rng is state.noise_rng


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_the_flat_one_hidden_layer_gan_trains_with_augmentation_or_refuses_it_in_one_line(update):
    """`generate --model gan --diff-augment translation` (its preset: --update alternating), or
    with --update simultaneous: its images are (B, 784) vectors."""
    images = to_model_range(synthetic_digits(8, seed=2)[0]).reshape(8, -1)
    try:
        config = TrainConfig.for_model(model="gan", update=update, diff_augment="translation")
        (losses,) = Stepper(build_state(100, 1e-3, 0, "gan"), config)([(tf.constant(images),)])
    except UserError as err:
        assert "\n" not in str(err) and "--diff-augment" in str(err)
        return
    assert all(np.isfinite(value) for value in losses.values())
