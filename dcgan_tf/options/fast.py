"""--fast: the speed options worth turning on for the device in use.

On a CPU they are the best set measured by `make bench` (BENCHMARKS.md): the tutorial's float32
step, or 16-bit bfloat16 layers where the CPU multiplies bfloat16 in hardware. On a GPU they
follow TensorFlow's performance guides (XLA, 16-bit math where the GPU has it, several steps per
call to hide Python's dispatch cost); they were NOT measured here, where there is no GPU.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from dcgan_tf.config import TrainConfig

# Measured by `make bench` (BENCHMARKS.md) on 2-core CPUs: on a Xeon with AVX-512 but neither
# AVX512_BF16 nor AMX, bfloat16 ran at 0.30x the tutorial's step, XLA at 0.65x and 4 steps per
# call at 0.98x; on an AMD EPYC with AVX512_BF16 bfloat16 ran at 1.52x (1.61x on a Xeon with AMX).
CPU_FAST = {"precision": "float32", "jit_compile": False, "steps_per_call": 1}
CPU_BFLOAT16_FLAGS = {"avx512_bf16", "amx_bf16"}  # Linux's names for bfloat16 math in hardware


def cpu_has_bfloat16_math(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether the CPU lists AVX512_BF16 or AMX bfloat16 among its flags (Linux's /proc/cpuinfo;
    False where there is no such file, as on macOS or Windows)."""
    if not cpuinfo.exists():
        return False
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            return bool(CPU_BFLOAT16_FLAGS & set(line.split(":", 1)[1].split()))
    return False


def fast_settings(device: str) -> dict[str, object]:
    """The --precision, --jit-compile and --steps-per-call that --fast stands for on `device`."""
    if not device.startswith("/GPU"):
        if cpu_has_bfloat16_math():
            return CPU_FAST | {"precision": "mixed_bfloat16"}
        return dict(CPU_FAST)
    gpu = tf.config.list_physical_devices("GPU")[0]
    capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
    # Tensor cores: float16 from compute capability 7.0 (Volta), bfloat16 from 8.0 (Ampere).
    if capability >= (8, 0):
        precision = "mixed_bfloat16"
    elif capability >= (7, 0):
        precision = "mixed_float16"
    else:
        precision = "float32"
    return {"precision": precision, "jit_compile": True, "steps_per_call": 8}


def resolve_fast(given: dict[str, object], device: str) -> TrainConfig:
    """The config of the flags `given`; with --fast, `fast_settings` fill the speed flags that
    were not given (a flag on the command line still wins)."""
    config = TrainConfig.for_model(**given)
    if not config.fast:
        return config
    return TrainConfig.for_model(**{**fast_settings(device), **given})
