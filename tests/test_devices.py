"""Device choice: the GPU path is exercised on CPU through logical devices and placement."""

import tensorflow as tf

from dcgan_tf.checkpoints import build_state
from dcgan_tf.devices import describe_device, select_device


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
