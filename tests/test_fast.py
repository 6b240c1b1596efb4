"""--fast: the measured CPU set on a CPU (bfloat16 where the CPU has it), TensorFlow's guidance on
a GPU; given flags win."""

import pytest
import tensorflow as tf

from dcgan_tf.options import fast
from dcgan_tf.options.fast import CPU_FAST, cpu_has_bfloat16_math, fast_settings, resolve_fast


def write_cpuinfo(path, flags: str):
    path.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n")
    return path


def test_fast_on_a_cpu_without_bfloat16_math_keeps_the_tutorials_step(monkeypatch):
    monkeypatch.setattr(fast, "cpu_has_bfloat16_math", lambda: False)
    config = resolve_fast({"fast": True}, "/CPU:0")
    assert {name: getattr(config, name) for name in CPU_FAST} == CPU_FAST


def test_fast_on_a_cpu_with_bfloat16_math_picks_bfloat16_layers(monkeypatch):
    monkeypatch.setattr(fast, "cpu_has_bfloat16_math", lambda: True)
    config = resolve_fast({"fast": True}, "/CPU:0")
    assert (config.precision, config.jit_compile, config.steps_per_call) == (
        "mixed_bfloat16",
        False,
        1,
    )


@pytest.mark.parametrize(
    ("flags", "has_it"),
    [
        ("fpu sse2 avx2 avx512f avx512bw avx512_bf16 avx512vl", True),  # AMD Zen 4, Cooper Lake
        ("fpu avx512f amx_bf16 amx_tile amx_int8", True),  # Sapphire Rapids
        ("fpu sse2 avx2 avx512f avx512bw avx512vl avx512_vnni", False),  # AVX-512 alone
    ],
)
def test_bfloat16_math_is_read_from_the_cpus_flags(tmp_path, flags, has_it):
    assert cpu_has_bfloat16_math(write_cpuinfo(tmp_path / "cpuinfo", flags)) is has_it


def test_without_a_cpuinfo_file_the_cpu_counts_as_having_no_bfloat16_math(tmp_path):
    assert cpu_has_bfloat16_math(tmp_path / "no-such-file") is False


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
