"""--fast: the speed options worth turning on for the device in use.

On a CPU they are the best set measured by `make bench` (BENCHMARKS.md). On a GPU they follow
TensorFlow's performance guides (XLA, 16-bit math where the GPU has it, several steps per call to
hide Python's dispatch cost); they were NOT measured here, where there is no GPU.
"""

from __future__ import annotations

import tensorflow as tf

from dcgan_tf.config import TrainConfig

# Measured on a 2-core Xeon (AVX-512 without BF16 or AMX; BENCHMARKS.md): bfloat16 ran about
# 5x slower, XLA about 1.4x slower, and 4 steps per call as fast as 1. So on a CPU --fast keeps
# the tutorial's step; a CPU with AVX512_BF16 or AMX may gain from --precision mixed_bfloat16.
CPU_FAST = {"precision": "float32", "jit_compile": False, "steps_per_call": 1}


def fast_settings(device: str) -> dict[str, object]:
    """The --precision, --jit-compile and --steps-per-call that --fast stands for on `device`."""
    if not device.startswith("/GPU"):
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
