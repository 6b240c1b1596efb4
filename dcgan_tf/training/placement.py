"""Where a run trains: on one device (the tutorial's setting), or on the replicas of a
tf.distribute strategy (`--strategy`). Decided once, by `devices_for(config)`, and built here:

    .build_state(config[, spec])   the models, optimizers and counters (under the strategy's scope)
    .epoch_batches(...)            an epoch's batches (as the replicas' parts of each batch)
    .stepper(state, config)        the train step: `steps.Stepper`, or `replicas.ReplicatedStepper`
    .worker_config(config)         where this process writes (a multi-worker run's other workers:
                                   a temporary folder), `.is_chief`, `.describe()`

`--batch-size` is always the GLOBAL batch: each step trains on `batch_size` images split over
all replicas (replica r of R gets a contiguous part, as `np.array_split` cuts it), so the
tutorial's 256 means 256 per step on one device or on eight. Inside `strategy.run` each replica's
loss is its share of the global batch mean (`replicas.py`), and Keras' optimizer sums the
replicas' gradients: one step over R replicas is one step over the whole batch. The noise is
drawn once per step for the global batch (as on one device) and each replica takes the rows of
its own images, so a conditional model pairs every noise row with the same label. Batch norm
(the generator's) normalises with each replica's part unless `--sync-batch-norm` makes the
layers all-reduce their statistics (Keras' `synchronized=True`).
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import keras
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.models.specs import ModelSpec
from dcgan_tf.run.state import GanState, build_state_for
from dcgan_tf.training.distribute import copy_latest_checkpoint, is_chief, strategy_for
from dcgan_tf.training.replicas import (
    ReplicaParts,
    ReplicatedStepper,
    peer_lost_is_an_error,
    replica_parts,
)
from dcgan_tf.training.steps import Batch, Stepper
from dcgan_tf.tutorial.dataset import make_dataset


def devices_for(config: TrainConfig) -> OneDevice:
    """`OneDevice()` without a strategy (the default on one GPU or a CPU), else a Distribution."""
    strategy = strategy_for(config.strategy)
    return OneDevice() if strategy is None else Distribution(strategy)


class OneDevice:
    """The tutorial's setting: one process on one device writes the run."""

    strategy: tf.distribute.Strategy | None = None
    replicas = 1
    is_chief = True

    def describe(self) -> str:
        return "one device (no tf.distribute strategy)"

    def worker_config(self, config: TrainConfig) -> TrainConfig:
        """Where this process writes: where the config says."""
        return config

    def build_state(self, config: TrainConfig, spec: ModelSpec | None = None) -> GanState:
        """The models, the optimizers and the counters of `config`'s run (of `spec`'s models
        when given), freshly initialised."""
        return build_state_for(config, spec)

    def epoch_batches(
        self, data: tf.Tensor, labels: tf.Tensor | None, config: TrainConfig, epoch: int, skip: int
    ) -> Iterable[Batch]:
        """One epoch's shuffled batches, `skip` of them already trained on."""
        return make_dataset(data, config.batch_size, config.seed, epoch, skip, labels)

    def stepper(self, state: GanState, config: TrainConfig, total_steps: int = 0) -> Stepper:
        return Stepper(state, config, total_steps)


class Distribution(OneDevice):
    """The strategy of a run and this process's role in it."""

    def __init__(self, strategy: tf.distribute.Strategy | None) -> None:
        self.strategy = strategy
        resolver = getattr(strategy, "cluster_resolver", None)
        self.task_type = getattr(resolver, "task_type", None)
        self.task_id = getattr(resolver, "task_id", None)
        self.is_chief = is_chief(self.task_type, self.task_id)
        self.replicas = strategy.num_replicas_in_sync

    def describe(self) -> str:
        role = "" if self.task_type is None else f", this is {self.task_type} {self.task_id}"
        name = type(self.strategy).__name__.replace(
            "CollectiveAllReduceStrategy",
            "MultiWorkerMirroredStrategy",  # TF's internal name
        )
        return f"{name} over {self.replicas} replica(s){role}"

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

    def build_state(self, config: TrainConfig, spec: ModelSpec | None = None) -> GanState:
        """The run's state built under the strategy's scope (mirrored variables), with host-side
        counters and --sync-batch-norm."""
        with self.strategy.scope():  # variables made inside are mirrored on every replica
            state = super().build_state(config, spec)
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
