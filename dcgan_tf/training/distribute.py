"""--strategy: which tf.distribute strategy a run asks for, made once per process.

    auto         MirroredStrategy over all visible GPUs when there are several, else `default`
    default      no strategy: the single-device code path, exactly as without this module
    mirrored     MirroredStrategy over this host's GPUs (or, without GPUs, its logical CPUs)
    multiworker  MultiWorkerMirroredStrategy, configured by the TF_CONFIG environment variable

How a run then trains under it (one device or the strategy's replicas) is `placement.py`; what
runs on each replica is `replicas.py`.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import tensorflow as tf

from dcgan_tf.common.errors import UserError


def make_strategy(name: str) -> tf.distribute.Strategy | None:
    """The strategy `name` asks for on this machine; None for the default (no strategy)."""
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise UserError(
                "--strategy multiworker needs TF_CONFIG (the cluster and this worker's task); "
                "see README, Scaling out"
            )
        try:
            json.loads(os.environ["TF_CONFIG"])
        except ValueError as err:
            raise UserError(f"TF_CONFIG is not JSON: {err}") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(gpus) > 1 else None
    if name == "mirrored":
        devices = gpus or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    return None


_STRATEGIES: dict[str, tf.distribute.Strategy | None] = {}


def strategy_for(name: str) -> tf.distribute.Strategy | None:
    """`make_strategy(name)`, once per process: a MultiWorkerMirroredStrategy cannot be made twice,
    and the CLI creates it early, before TensorFlow runs any op (TF's requirement)."""
    if name not in _STRATEGIES:
        _STRATEGIES[name] = make_strategy(name)
    return _STRATEGIES[name]


def is_chief(task_type: str | None, task_id: int | None) -> bool:
    """The worker that writes: the `chief` task, or `worker` 0 when the cluster names no chief
    (TF's multi-worker guide); a single process always."""
    return task_type in (None, "chief") or (task_type == "worker" and task_id == 0)


def copy_latest_checkpoint(source: Path, target: Path) -> None:
    """Copy the newest checkpoint of `source` (its files, the `checkpoint` index, config.json)."""
    target.mkdir(parents=True, exist_ok=True)
    latest = tf.train.latest_checkpoint(str(source))
    if latest is None:
        return
    name = Path(latest).name
    files = [*source.glob(f"{name}.*"), source / "config.json"]
    for path in files:
        if path.exists():
            shutil.copy2(path, target / path.name)
    # The `checkpoint` index, as CheckpointManager writes it (names relative to the folder).
    index = f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n'
    (target / "checkpoint").write_text(index)
