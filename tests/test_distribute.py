"""--strategy: one step over 2 replicas equals one step on one device (same global batch and
noise, dropout off), checked in a process whose CPU is split into 2 logical devices
(tests/replicas.py); and the single-device path stays the one it was."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import assert_trained_alike, synthetic_digits, trained_alike

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.training.distribute import (
    _STRATEGIES,
    copy_latest_checkpoint,
    is_chief,
    make_strategy,
)
from dcgan_tf.training.placement import Distribution, OneDevice, devices_for
from dcgan_tf.training.replicas import (
    ReplicaLossScale,
    ReplicatedStepper,
    replica_share,
    replica_slice,
)
from dcgan_tf.training.steps import Stepper
from dcgan_tf.tutorial import losses, train_step

REPO = Path(__file__).resolve().parents[1]


def alike(result: dict) -> bool:
    """The replicas' run ended within float noise of the one-device run (conftest's share of how
    far training moved the weights)."""
    return trained_alike(result["apart"], result["moved"])


def on_two_replicas(*cases: dict) -> list[dict]:
    """Each case trained on one device and on 2 logical CPUs; see tests/replicas.py."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(REPO / "tests" / "replicas.py"), json.dumps(cases)],
        env=env, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


ONE_STEP = {"steps": 1, "batch_size": 16, "images": 32}
K2 = {"steps": 3, "batch_size": 8, "images": 24, "steps_per_call": 2, "sync_batch_norm": True}


@pytest.fixture(scope="module")
def one_step():
    """dcgan, its batch norm synchronized (a process of its own: 15-150 s here, hence slow)."""
    (result,) = on_two_replicas({**ONE_STEP, "sync_batch_norm": True})
    return result


@pytest.mark.slow
def test_one_step_over_two_replicas_leaves_the_weights_of_one_step_on_one_device(one_step):
    assert one_step["replicas"] == 2 and one_step["steps"] == 1
    assert alike(one_step), one_step
    assert one_step["restored_difference"] == 0.0  # the checkpoint restores on one device
    np.testing.assert_allclose(
        one_step["losses_replicas"], one_step["losses_one_device"], rtol=1e-5
    )


@pytest.fixture(scope="module")
def matrix():
    names = ["dcgan_per_replica_bn", "cdcgan", "gan", "k2", "bfloat16", "float16", "tiny_last"]
    names.append("partial")
    cases = [
        ONE_STEP,
        {**ONE_STEP, "model": "cdcgan", "sync_batch_norm": True},
        {**ONE_STEP, "model": "gan", "batch_size": 16},
        {**K2, "control": True},  # and one step more on one device: the negative control
        {**ONE_STEP, "precision": "mixed_bfloat16", "sync_batch_norm": True},
        {**ONE_STEP, "precision": "mixed_float16", "sync_batch_norm": True},
        {"epochs": 1, "batch_size": 16, "images": 17},  # a last batch of 1 for 2 replicas
        {"epochs": 1, "batch_size": 16, "images": 21, "sync_batch_norm": True},  # 16, then 5
    ]
    return dict(zip(names, on_two_replicas(*cases), strict=True))


@pytest.mark.slow
def test_a_last_batch_not_divisible_by_the_replicas_trains_like_on_one_device(matrix):
    result = matrix["partial"]  # 21 images: a batch of 16, then 5 split 3 + 2
    assert result["steps"] == 2
    assert alike(result), result


@pytest.mark.slow
def test_without_sync_batch_norm_each_replica_normalises_with_its_own_statistics(matrix):
    # The generator's batch norm sees 8 images a replica instead of 16: other weights.
    assert not alike(matrix["dcgan_per_replica_bn"])


@pytest.mark.slow
@pytest.mark.parametrize("case", ["cdcgan", "gan", "k2"])
def test_the_equivalence_holds_for_each_model_and_steps_per_call(matrix, case):
    assert alike(matrix[case]), matrix[case]


@pytest.mark.slow
def test_the_equivalence_tolerance_sees_one_step_more(matrix):
    """The negative control: 4 steps on one device against 3 are far outside the tolerance."""
    k2 = matrix["k2"]
    assert not trained_alike(k2["control_apart"], k2["moved"]), k2


@pytest.mark.slow
@pytest.mark.parametrize("case", ["bfloat16", "float16"])
def test_16_bit_steps_over_replicas_agree_with_one_device(matrix, case):
    result = matrix[case]
    np.testing.assert_allclose(result["losses_replicas"], result["losses_one_device"], rtol=1e-2)


@pytest.mark.slow
def test_a_last_batch_smaller_than_the_replica_count_is_refused_clearly(matrix):
    assert "leaves some of the 2 replicas without images" in matrix["tiny_last"]["error"]


# The single-device path: no strategy, no wrapper.


def test_default_strategy_is_the_single_device_path_untouched(tmp_path):
    devices = devices_for(TrainConfig(strategy="default"))
    assert type(devices) is OneDevice  # no distribute.py code in the loop
    config = TrainConfig(out=str(tmp_path), batch_size=2)
    batches = devices.epoch_batches(tf.zeros((3, 28, 28, 1)), None, config, epoch=1, skip=0)
    assert isinstance(batches, tf.data.Dataset)
    assert [int(images.shape[0]) for (images,) in batches] == [2, 1]
    assert type(devices.stepper(devices.build_state(config), config)) is Stepper
    assert devices.worker_config(config) is config


def test_auto_without_several_gpus_is_the_default_path():
    assert len(tf.config.list_logical_devices("GPU")) < 2  # this machine
    assert make_strategy("auto") is None


def test_multiworker_without_tf_config_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UserError, match="needs TF_CONFIG"):
        make_strategy("multiworker")


def test_an_unknown_strategy_is_refused():
    with pytest.raises(UserError, match="unknown --strategy"):
        TrainConfig(strategy="tpu")


@pytest.mark.parametrize("size", [16, 5, 1])
def test_replica_parts_cut_a_batch_as_array_split_does(size):
    starts_lengths = [replica_slice(tf.constant(size), 2, tf.constant(r)) for r in range(2)]
    parts = [np.arange(size)[int(s) : int(s) + int(n)] for s, n in starts_lengths]
    expected = np.array_split(np.arange(size), 2)
    assert [p.tolist() for p in parts] == [e.tolist() for e in expected]


def test_the_chief_is_the_chief_task_or_worker_zero():
    assert is_chief(None, None)
    assert is_chief("chief", 0) and is_chief("worker", 0)
    assert not is_chief("worker", 1)


def test_a_replicas_share_of_the_loss_is_the_tutorials_batch_mean_over_one_replica():
    logits = tf.constant([[0.3], [-1.2], [2.0]])
    labels = tf.constant([[1.0], [0.0], [1.0]])
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    share = strategy.run(replica_share, args=(labels, logits))
    np.testing.assert_allclose(share, losses.cross_entropy(labels, logits), rtol=1e-6)


# The strategy.run path in this process: MirroredStrategy over the one CPU (one replica).


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_strategy_run_path_on_one_replica_trains_like_the_default_path(tmp_path, monkeypatch):
    from dcgan_tf.training.loop import train

    images = synthetic_digits(24, seed=2)[0]

    def run(name: str, distribution: Distribution | None):
        config = TrainConfig(epochs=1, batch_size=16, strategy=name, out=str(tmp_path / name))
        config = dataclasses.replace(config, checkpoint_dir=str(tmp_path / name / "ck"))
        if distribution is not None:
            monkeypatch.setitem(_STRATEGIES, name, distribution.strategy)
        return train(config, images, log=lambda _: None)

    one = run("default", None)
    mirrored = run("mirrored", Distribution(tf.distribute.MirroredStrategy(["/cpu:0"])))
    assert int(mirrored.step) == 2
    initial = OneDevice().build_state(TrainConfig()).generator  # the same seed: where both start
    weights = [[w.numpy() for w in model.weights] for model in (one.generator, mirrored.generator)]
    assert_trained_alike(*weights, [w.numpy() for w in initial.weights])


def test_jit_compile_with_cpu_replicas_is_a_one_line_error():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    from dcgan_tf.run.state import build_state

    with strategy.scope():
        state = build_state(100, 1e-4, 0)
    with pytest.raises(UserError, match="--jit-compile with --strategy needs GPU replicas"):
        ReplicatedStepper(state, TrainConfig(jit_compile=True), strategy)


def test_a_worker_starts_from_a_copy_of_the_chiefs_newest_checkpoint(tmp_path):
    from dcgan_tf.run.checkpoints import make_manager, restore_latest
    from dcgan_tf.run.state import build_state

    state = build_state(100, 1e-4, 0)
    manager = make_manager(state, tmp_path / "chief")
    manager.save()
    state.step.assign(7)
    manager.save()
    copy_latest_checkpoint(tmp_path / "chief", tmp_path / "worker")
    other = build_state(100, 1e-4, 1)
    restored = restore_latest(other, make_manager(other, tmp_path / "worker"))
    assert restored == str(tmp_path / "worker" / "ckpt-2")
    assert int(other.step) == 7


def test_the_replicas_float16_loss_scale_hands_the_optimizer_the_true_gradients():
    """Under a strategy too (one CPU replica): plain SGD, where unlike Adam a gradient's scale
    shows, moves a weight by exactly the true gradient, not the scaled one."""
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        weight = tf.Variable([1.0])
        scale, optimizer = ReplicaLossScale(initial=1024.0), keras.optimizers.SGD(learning_rate=1.0)
        optimizer.build([weight])
    model = type("Model", (), {"trainable_variables": [weight]})()  # minimize reads only these

    def replica_step() -> None:
        with tf.GradientTape() as tape:
            target = scale.scaled(3.0 * tf.reduce_sum(weight))  # d/dw = 3
        train_step.minimize(tape, target, model, optimizer, scale)

    tf.function(lambda: strategy.run(replica_step))()
    np.testing.assert_allclose(weight.numpy(), [1.0 - 3.0])
