"""--fast: the measured CPU set on a CPU, TensorFlow's guidance on a GPU; given flags win."""

import pytest
import tensorflow as tf

from dcgan_tf.options import fast
from dcgan_tf.options.fast import CPU_FAST, fast_settings, resolve_fast


def test_fast_on_a_cpu_is_the_set_the_benchmark_measured():
    config = resolve_fast({"fast": True}, "/CPU:0")
    assert {name: getattr(config, name) for name in CPU_FAST} == CPU_FAST


def test_a_speed_flag_given_on_the_command_line_wins_over_fast():
    config = resolve_fast({"fast": True, "precision": "float32"}, "/CPU:0")
    assert config.precision == "float32"
    assert config.fast


def test_without_fast_the_tutorials_float32_step_stays():
    config = resolve_fast({}, "/CPU:0")
    assert (config.precision, config.jit_compile, config.steps_per_call) == ("float32", False, 1)


@pytest.mark.parametrize(
    ("capability", "precision"),
    [
        ((9, 0), "mixed_bfloat16"),
        ((8, 0), "mixed_bfloat16"),
        ((7, 5), "mixed_float16"),
        ((6, 1), "float32"),
    ],
)
def test_fast_on_a_gpu_picks_16_bit_math_by_compute_capability(monkeypatch, capability, precision):
    # No GPU here: TensorFlow's answers about one are stood in for.
    gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    monkeypatch.setattr(fast.tf.config, "list_physical_devices", lambda kind=None: [gpu])
    monkeypatch.setattr(
        fast.tf.config.experimental,
        "get_device_details",
        lambda device: {"compute_capability": capability},
    )
    settings = fast_settings("/GPU:0")
    assert settings == {"precision": precision, "jit_compile": True, "steps_per_call": 8}
