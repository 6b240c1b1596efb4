"""--lr-warmup-steps and --lr-decay: both rates follow base x factor(t), t the discriminator
optimizer's saved update count, set inside the train step; a resumed run stays on the curve; without
the options the step leaves the rates alone."""

import math
import os
import signal

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.options.schedule import make_rate_update, rate_factor
from dcgan_tf.run.checkpoints import restore
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import build_state
from dcgan_tf.training.loop import TrainingInterrupted, train
from dcgan_tf.training.steps import Stepper
from dcgan_tf.tutorial.dataset import to_model_range

IMAGES = synthetic_digits(16, seed=6)[0]
G_RATE, D_RATE = 1e-3, 2e-3
# The schedule is the same for every model: the one-hidden-layer GAN's step traces fastest.
MODEL = "gan"


def factor(step: int, warmup: int = 0, decay: str = "none", total: int = 0) -> float:
    return float(rate_factor(tf.constant(step), warmup, decay, total))


def batch() -> tuple[tf.Tensor]:
    return (tf.constant(to_model_range(IMAGES[:8]).reshape(8, -1)),)  # the MLP's flat images


def schedule_state():
    return build_state(100, G_RATE, 0, MODEL, disc_learning_rate=D_RATE)


def config_of(**options) -> TrainConfig:
    return TrainConfig(model=MODEL, learning_rate=G_RATE, disc_learning_rate=D_RATE, **options)


def rates(state) -> tuple[float, float]:
    return (
        float(state.generator_optimizer.learning_rate),
        float(state.discriminator_optimizer.learning_rate),
    )


def test_warm_up_rises_linearly_from_one_nth_to_one_over_the_first_n_steps():
    assert factor(0, warmup=5) == pytest.approx(1 / 5)
    assert factor(2, warmup=5) == pytest.approx(3 / 5)
    assert factor(4, warmup=5) == pytest.approx(1.0)  # step N - 1: the full rate
    assert factor(5, warmup=5) == pytest.approx(1.0)  # and it stays there
    assert factor(500, warmup=5) == pytest.approx(1.0)


@pytest.mark.parametrize("t", [0, 1, 3, 7, 9])
def test_linear_decay_is_one_minus_t_over_t_total(t):
    assert factor(t, decay="linear", total=10) == pytest.approx(1 - t / 10)


def test_linear_decay_reaches_zero_at_the_runs_end_and_stays_there():
    assert factor(9, decay="linear", total=10) == pytest.approx(0.1)  # the last step trained
    assert factor(10, decay="linear", total=10) == 0.0
    assert factor(12, decay="linear", total=10) == 0.0  # never negative


@pytest.mark.parametrize("t", [0, 1, 2, 5, 8, 9, 10])
def test_cosine_decay_is_half_of_one_plus_cos_pi_t_over_t_total(t):
    expected = (1 + math.cos(math.pi * t / 10)) / 2
    assert factor(t, decay="cosine", total=10) == pytest.approx(expected, abs=1e-6)


def test_warm_up_and_decay_multiply():
    assert factor(1, warmup=4, decay="linear", total=10) == pytest.approx(2 / 4 * (1 - 1 / 10))
    expected = (1 + math.cos(math.pi * 6 / 10)) / 2
    assert factor(6, warmup=4, decay="cosine", total=10) == pytest.approx(expected, abs=1e-6)


def test_without_warm_up_or_decay_there_is_no_rate_update():
    state = schedule_state()
    opts = (state.generator_optimizer, G_RATE, state.discriminator_optimizer, D_RATE)
    assert make_rate_update(*opts, 0, "none", 100) is None


def test_decay_without_the_runs_length_is_refused():
    state = schedule_state()
    opts = (state.generator_optimizer, G_RATE, state.discriminator_optimizer, D_RATE)
    with pytest.raises(UserError, match="--lr-decay"):
        make_rate_update(*opts, 0, "linear", 0)


def test_the_stepper_sets_each_optimizers_own_base_times_the_factor_before_each_step():
    state = schedule_state()
    config = config_of(lr_warmup_steps=4)
    stepper = Stepper(state, config)
    seen = []
    for t in range(5):
        stepper([batch()])
        assert int(state.discriminator_optimizer.iterations) == t + 1
        seen.append(rates(state))
    expected = [(G_RATE * min(1, (t + 1) / 4), D_RATE * min(1, (t + 1) / 4)) for t in range(5)]
    np.testing.assert_allclose(seen, expected, rtol=1e-6)


def test_the_alternating_update_follows_the_same_schedule():
    """The course models' order (D, then G twice): t counts steps, not generator updates."""
    state = schedule_state()
    stepper = Stepper(state, config_of(update="alternating", gen_steps=2, lr_warmup_steps=4))
    seen = []
    for _ in range(3):
        stepper([batch()])
        seen.append(rates(state))
    assert int(state.generator_optimizer.iterations) == 6
    expected = [(G_RATE * (t + 1) / 4, D_RATE * (t + 1) / 4) for t in range(3)]
    np.testing.assert_allclose(seen, expected, rtol=1e-6)


def test_the_stepper_decays_to_the_runs_total_steps():
    state = schedule_state()
    config = config_of(lr_decay="linear")
    stepper = Stepper(state, config, total_steps=4)
    seen = []
    for _ in range(4):
        stepper([batch()])
        seen.append(rates(state))
    expected = [(G_RATE * (1 - t / 4), D_RATE * (1 - t / 4)) for t in range(4)]
    np.testing.assert_allclose(seen, expected, rtol=1e-6)


def test_the_scheduled_rate_is_the_rate_the_step_updates_with():
    """Warm-up 1000: the first step's rate is base / 1000, so both nets move 1000 times less than
    at the full rate (Adam's first step is lr x sign(g), whatever the gradient's size)."""
    moves = []
    for warmup in (0, 1000):
        state = schedule_state()
        before = state.discriminator.weights[0].numpy()
        Stepper(state, config_of(lr_warmup_steps=warmup))([batch()])
        moves.append(np.abs(state.discriminator.weights[0].numpy() - before).max())
    assert moves[1] == pytest.approx(moves[0] / 1000, rel=1e-2)


def test_without_the_options_the_step_never_touches_the_rates():
    state = schedule_state()
    # A config whose rates differ from the optimizers': a step that set rates would show it.
    stepper = Stepper(state, TrainConfig(model=MODEL, learning_rate=5e-5))
    for _ in range(2):
        stepper([batch()])
    assert rates(state) == pytest.approx((G_RATE, D_RATE), rel=1e-7)


class RateWatch(Hook):
    """The rates each trained step ran at (read right after the step), by 1-based step."""

    def __init__(self, interrupt_at: int = 0) -> None:
        self.interrupt_at, self.seen = interrupt_at, {}

    def on_train_begin(self, state) -> None:
        self.state = state

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict) -> None:
        self.seen[step] = rates(self.state)
        if step == self.interrupt_at:  # Ctrl-C: the loop saves after this step and stops
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_resumed_run_continues_on_the_same_curve(tmp_path):
    """6 steps (warm-up 3, cosine), Ctrl-C after step 3, rerun: steps 4-6 run at factor(3..5),
    not at the restarted curve's factor(0..2); restoring put the base rates back meanwhile."""
    config = config_of(
        steps=6,
        batch_size=8,
        lr_warmup_steps=3,
        lr_decay="cosine",
        out=str(tmp_path / "out"),
        checkpoint_dir=str(tmp_path / "ck"),
    )
    first = RateWatch(interrupt_at=3)
    with pytest.raises(TrainingInterrupted):
        train(config, IMAGES, log=lambda _: None, hooks=[first])
    saved = tf.train.latest_checkpoint(str(tmp_path / "ck"))
    # The checkpoint holds the rates of step 3; a restored state gets its base rates back.
    state = schedule_state()
    restore(state, saved)
    assert int(state.discriminator_optimizer.iterations) == 3
    assert rates(state) == pytest.approx((G_RATE, D_RATE), rel=1e-7)
    second = RateWatch()
    train(config, IMAGES, log=lambda _: None, hooks=[second])
    assert sorted(first.seen) == [1, 2, 3] and sorted(second.seen) == [4, 5, 6]
    seen = {**first.seen, **second.seen}
    for step, (g, d) in seen.items():
        f = factor(step - 1, warmup=3, decay="cosine", total=6)
        assert (g, d) == pytest.approx((G_RATE * f, D_RATE * f), rel=1e-6), step
