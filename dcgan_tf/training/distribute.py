"""--strategy: the same training on several devices or hosts with tf.distribute.

    auto         MirroredStrategy over all visible GPUs when there are several, else `default`
    default      no strategy: the single-device code path, exactly as without this module
    mirrored     MirroredStrategy over this host's GPUs (or, without GPUs, its logical CPUs)
    multiworker  MultiWorkerMirroredStrategy, configured by the TF_CONFIG environment variable

`--batch-size` is always the GLOBAL batch: each step trains on `batch_size` images split over
all replicas (replica r of R gets a contiguous part, as `np.array_split` cuts it), so the
tutorial's 256 means 256 per step on one device or on eight. Everything --strategy needs is here:
the loop asks `devices_for(config)` once, and gets `steps.OneDevice` (no strategy: the tutorial's
path, untouched by this module) or a `Distribution`, which does the same three things its way:

    .build_state(config)           models, optimizers and counters built under the strategy's scope
    .epoch_batches(...)            an epoch's batches as parts of a distributed dataset
    .stepper(state, config)        ReplicatedStepper: the tutorial's step through strategy.run

`generate` also gives the workers other than the chief a temporary folder (`.worker_config`).

Inside `strategy.run` the losses are averaged over the global batch (`losses.py`), and Keras'
optimizer sums the replicas' gradients: one step over R replicas is one step over the whole batch.
The noise is drawn once per step for the global batch (as on one device) and each replica takes
the rows of its own images, so a conditional model pairs every noise row with the same label.

Batch norm (the generator's) normalises with the batch statistics of each replica's part unless
`--sync-batch-norm` makes the layers all-reduce them (Keras' `synchronized=True`).
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import keras
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.run.checkpoints import GanState
from dcgan_tf.training.replicas import (
    ReplicaParts,
    ReplicatedStepper,
    peer_lost_is_an_error,
    replica_parts,
)
from dcgan_tf.training.steps import OneDevice


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


def devices_for(config: TrainConfig) -> OneDevice:
    """`OneDevice()` without a strategy (the default on one GPU or a CPU), else a Distribution."""
    distribution = Distribution.for_config(config)
    return OneDevice() if distribution.strategy is None else distribution


class Distribution(OneDevice):
    """The strategy of a run and this process's role in it."""

    def __init__(self, strategy: tf.distribute.Strategy | None) -> None:
        self.strategy = strategy
        resolver = getattr(strategy, "cluster_resolver", None)
        self.task_type = getattr(resolver, "task_type", None)
        self.task_id = getattr(resolver, "task_id", None)
        self.is_chief = is_chief(self.task_type, self.task_id)
        self.replicas = strategy.num_replicas_in_sync if strategy else 1

    @classmethod
    def for_config(cls, config: TrainConfig) -> Distribution:
        return cls(strategy_for(config.strategy))

    def describe(self) -> str:
        if self.strategy is None:
            return "one device (no tf.distribute strategy)"
        role = "" if self.task_type is None else f", this is {self.task_type} {self.task_id}"
        name = type(self.strategy).__name__.replace(
            "CollectiveAllReduceStrategy",
            "MultiWorkerMirroredStrategy",  # TF's internal name
        )
        return f"{name} over {self.replicas} replica(s){role}"

    @staticmethod
    def quiet(_: str) -> None:
        """The log of a non-chief worker: the chief's log speaks for the run."""

    def worker_config(self, config: TrainConfig) -> TrainConfig:
        """The chief writes where the config says; another worker writes into a temporary folder
        (removed when it exits), starting from a copy of the chief's newest checkpoint so that
        every worker resumes from the same step. (On several hosts, CHECKPOINT_DIR must be on a
        filesystem all of them see.)"""
        if self.is_chief:
            return config
        scratch = Path(tempfile.mkdtemp(prefix=f"dcgan_tf-{self.task_type}{self.task_id}-"))
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        checkpoint_dir = scratch / "checkpoints"
        if not config.fresh:
            copy_latest_checkpoint(Path(config.checkpoint_dir), checkpoint_dir)
        return dataclasses.replace(
            config, out=str(scratch / "out"), checkpoint_dir=str(checkpoint_dir)
        )

    def build_state(self, config: TrainConfig) -> GanState:
        """The run's state built under the strategy's scope (mirrored variables), with host-side
        counters and --sync-batch-norm."""
        with self.strategy.scope():  # variables made inside are mirrored on every replica
            state = super().build_state(config)
        # The loop reads its counters on the host (`int(state.step)`), which a mirrored variable
        # refuses: they are plain variables, equal on every worker, saved in the checkpoint alike.
        for name in ("epoch", "step", "epoch_step"):
            setattr(state, name, tf.Variable(0, dtype=tf.int64, trainable=False))
        for model in (state.generator, state.discriminator):
            for layer in model._flatten_layers(include_self=False, recursive=True):
                if config.sync_batch_norm and isinstance(layer, keras.layers.BatchNormalization):
                    layer.synchronized = True
        return state

    def epoch_batches(
        self, data: tf.Tensor, labels: tf.Tensor | None, config: TrainConfig, epoch: int, skip: int
    ) -> Iterator[tuple[ReplicaParts]]:
        batches = super().epoch_batches(data, labels, config, epoch, skip)
        return self.distribute(batches, int(data.shape[0]), config.batch_size, skip)

    def distribute(
        self, batches: tf.data.Dataset, count: int, batch_size: int, skip: int = 0
    ) -> Iterator[tuple[ReplicaParts]]:
        """An epoch's global batches (`make_dataset`, `skip` batches already skipped) as a
        distributed dataset: each step, one `ReplicaParts` for the replicas to train on."""
        steps = -(-count // batch_size)  # ceil
        sizes = [min(batch_size, count - k * batch_size) for k in range(skip, steps)]
        small = [size for size in sizes if size < self.replicas]
        if small:
            raise UserError(
                f"a batch of {small[0]} image(s) (the last of an epoch: {count} images, "
                f"--batch-size {batch_size}) leaves some of the {self.replicas} replicas without "
                "images; choose a --batch-size whose last batch has at least one image a replica"
            )
        distributed = self.strategy.distribute_datasets_from_function(
            lambda context: batches.flat_map(replica_parts(context))
        )

        def parts() -> Iterator[tuple[ReplicaParts]]:
            with peer_lost_is_an_error():  # the iterator's start is a collective too
                for per_replica, size in zip(distributed, sizes, strict=True):
                    yield (ReplicaParts(per_replica, size),)

        return parts()

    def stepper(
        self, state: GanState, config: TrainConfig, total_steps: int = 0
    ) -> ReplicatedStepper:
        return ReplicatedStepper(state, config, self.strategy, total_steps)


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
