"""Device choice and placement, proven on the CPU (this machine has no GPU)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf

from dcgan_tf.options.devices import describe_device, select_device
from dcgan_tf.run.state import build_state


def test_cpu_is_chosen_when_asked_for():
    assert select_device("cpu") == "/CPU:0"
    assert describe_device("/CPU:0") == "/CPU:0 (no GPU in use)"


def test_auto_picks_the_gpu_only_when_tensorflow_sees_one():
    expected = "/GPU:0" if tf.config.list_physical_devices("GPU") else "/CPU:0"
    assert select_device("auto") == expected


def test_models_are_placed_on_the_chosen_device():
    with tf.device(select_device("cpu")):
        state = build_state(noise_dim=100, learning_rate=1e-4, seed=0)
    assert state.generator.weights[0].value.device.endswith("CPU:0")
    assert state.discriminator_optimizer.variables[1].value.device.endswith("CPU:0")


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_training_state_lands_on_the_device_it_is_built_under():
    """Two logical CPUs stand in for two devices: the models follow `tf.device`, as they would
    onto a GPU. Logical devices must be made before TensorFlow starts, hence a fresh process."""
    code = """
import pytest
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from dcgan_tf.run.state import build_state
with tf.device("/CPU:1"):
    state = build_state(noise_dim=100, learning_rate=1e-4, seed=0)
    out = state.generator(state.seed_noise, training=False)
print(state.generator.weights[0].value.device, out.device)
"""
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-c", code]
    result = subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    weight_device, output_device = result.stdout.split()
    assert weight_device.endswith("CPU:1") and output_device.endswith("CPU:1")
