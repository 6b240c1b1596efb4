"""Where training runs: the GPU when TensorFlow sees one (memory growth on), else the CPU."""

from __future__ import annotations

import tensorflow as tf

from dcgan_tf.common.errors import UserError


def select_device(requested: str = "auto") -> str:
    """Configure TensorFlow for `requested` (auto | cpu | gpu) and return the device name to use.

    Must run before TensorFlow touches a GPU: memory growth and visibility cannot change later.
    """
    gpus = tf.config.list_physical_devices("GPU")
    if requested == "gpu" and not gpus:
        raise UserError(
            "--device gpu: TensorFlow sees no GPU (check the driver, CUDA and `nvidia-smi`); "
            "use --device cpu or auto"
        )
    if requested == "cpu" or not gpus:
        if gpus:
            tf.config.set_visible_devices([], "GPU")
        return "/CPU:0"
    for gpu in gpus:
        # Take GPU memory as needed instead of all of it up front.
        tf.config.experimental.set_memory_growth(gpu, True)
    return "/GPU:0"


def describe_device(device: str) -> str:
    """A one-line description for the log: the device name and what it is."""
    if device.startswith("/GPU"):
        gpu = tf.config.list_physical_devices("GPU")[0]
        details = tf.config.experimental.get_device_details(gpu)
        return f"{device} ({details.get('device_name', gpu.name)})"
    return f"{device} (no GPU in use)"
