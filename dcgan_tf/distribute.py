"""--strategy: the same training on several devices or hosts with tf.distribute.

    auto         MirroredStrategy over all visible GPUs when there are several, else `default`
    default      no strategy: the single-device code path, exactly as without this module
    mirrored     MirroredStrategy over this host's GPUs (or, without GPUs, its logical CPUs)
    multiworker  MultiWorkerMirroredStrategy, configured by the TF_CONFIG environment variable

`--batch-size` is always the GLOBAL batch: each step trains on `batch_size` images split over
all replicas (replica r of R gets a contiguous part, as `np.array_split` cuts it), so the
tutorial's 256 means 256 per step on one device or on eight. The loop (`training.train`) asks
this module at four edges and is otherwise unchanged:

    Distribution.for_config(config)   the strategy (created once per process) and this worker's role
    .worker_config(config)            non-chief workers write into a temporary folder instead
    .scope()                          models, optimizers and counters are built under it
    .distribute(batches, ...)         an epoch's batches as parts of a distributed dataset
    .stepper(state, config)           steps.Stepper (default), or ReplicatedStepper (strategy.run)

Inside `strategy.run` the losses are averaged over the global batch (`losses.py`), and Keras'
optimizer sums the replicas' gradients: one step over R replicas is one step over the whole batch.
The noise is drawn once per step for the global batch (as on one device) and each replica takes
the rows of its own images, so a conditional model pairs every noise row with the same label.

Batch norm (the generator's) normalises with the batch statistics of each replica's part unless
`--sync-batch-norm` makes the layers all-reduce them (Keras' `synchronized=True`).
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import keras
import tensorflow as tf

from dcgan_tf.checkpoints import GanState
from dcgan_tf.config import TrainConfig
from dcgan_tf.errors import UserError
from dcgan_tf.precision import DynamicLossScale
from dcgan_tf.steps import Stepper, simultaneous_update

# What a collective raises when a peer worker died (TF's health check aborts the collectives).
PEER_LOST = (
    tf.errors.UnavailableError,
    tf.errors.CancelledError,
    tf.errors.AbortedError,
    tf.errors.DeadlineExceededError,
)


class WorkerLost(UserError):
    """Another worker stopped answering; every worker must be restarted to resume."""

    exit_code = 4


@contextlib.contextmanager
def peer_lost_is_an_error() -> Iterator[None]:
    """A collective aborted because a peer died -> one line (WorkerLost), not a traceback."""
    try:
        yield
    except PEER_LOST as err:
        detail = re.sub(r"\{\{.*?\}\}\s*", "", str(err).strip()).splitlines()
        first_line = (detail[0] if detail else type(err).__name__)[:160]
        raise WorkerLost(
            f"lost contact with another worker ({first_line}); restart every worker with the "
            "same command to resume from the last checkpoint"
        ) from None


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


class Distribution:
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

    def scope(self) -> contextlib.AbstractContextManager:
        """Variables made inside are mirrored on every replica (nothing changes without one)."""
        return self.strategy.scope() if self.strategy else contextlib.nullcontext()

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

    def prepare(self, state: GanState, config: TrainConfig) -> None:
        """After `build_state` under `scope()`: host-side counters, and --sync-batch-norm."""
        if self.strategy is None:
            return
        # The loop reads its counters on the host (`int(state.step)`), which a mirrored variable
        # refuses: they are plain variables, equal on every worker, saved in the checkpoint alike.
        for name in ("epoch", "step", "epoch_step"):
            setattr(state, name, tf.Variable(0, dtype=tf.int64, trainable=False))
        if not config.sync_batch_norm:
            return
        for model in (state.generator, state.discriminator):
            for layer in model._flatten_layers(include_self=False, recursive=True):
                if isinstance(layer, keras.layers.BatchNormalization):
                    layer.synchronized = True

    def distribute(
        self, batches: tf.data.Dataset, count: int, batch_size: int, skip: int = 0
    ) -> tf.data.Dataset | Iterator[tuple[ReplicaParts]]:
        """An epoch's global batches (`data.make_dataset`, `skip` batches already skipped) as a
        distributed dataset: each step, one `ReplicaParts` for the replicas to train on. Without
        a strategy: `batches` as they are."""
        if self.strategy is None:
            return batches
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

    def stepper(self, state: GanState, config: TrainConfig) -> Stepper | ReplicatedStepper:
        """The single-device Stepper, or its replicated form under a strategy."""
        if self.strategy is None:
            return Stepper(state, config)
        return ReplicatedStepper(state, config, self.strategy)


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


def replica_slice(
    size: tf.Tensor, replicas: int, replica: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """(start, length) of replica `replica`'s part of a batch of `size`: the first `size % R`
    replicas get one image more, as `np.array_split` cuts."""
    base, extra = size // replicas, size % replicas
    start = replica * base + tf.minimum(replica, extra)
    return start, base + tf.cast(replica < extra, size.dtype)


def replica_parts(context: tf.distribute.InputContext):
    """For `flat_map`: a global batch -> this input pipeline's replicas' parts, in replica order,
    each `(start, images[, labels])` with `start` its first row in the global batch."""
    replicas = context.num_replicas_in_sync
    local = replicas // context.num_input_pipelines
    first = context.input_pipeline_id * local

    def split(*batch: tf.Tensor) -> tf.data.Dataset:
        size = tf.shape(batch[0])[0]

        def part(j: tf.Tensor) -> tuple[tf.Tensor, ...]:
            start, length = replica_slice(size, replicas, first + tf.cast(j, tf.int32))
            return (start, *(x[start : start + length] for x in batch))

        return tf.data.Dataset.range(local).map(part)

    return split


class ReplicaParts:
    """One step's batch as the replicas hold it (per-replica `(start, images[, labels])`), with
    the global batch size the loop counts (`len`) and splits groups by (`shape`)."""

    def __init__(self, parts: tuple, size: int) -> None:
        self.parts, self.size = parts, size

    def __len__(self) -> int:
        return self.size

    @property
    def shape(self) -> tf.TensorShape:
        return tf.TensorShape([self.size])


class ReplicatedStepper:
    """`Stepper` under a strategy: each step runs the tutorial's update through `strategy.run`
    on every replica's part; `stepper(group)` returns the global losses, one dict per batch.

    --steps-per-call K runs the K steps of a group in one tf.function; --jit-compile compiles
    each replica's step with XLA (TF supports collectives inside XLA on GPUs only);
    --precision as on one device.
    """

    def __init__(self, state: GanState, config: TrainConfig, strategy: tf.distribute.Strategy):
        self.state, self.strategy = state, strategy
        self.loss_scales = None
        if config.precision == "mixed_float16":
            with strategy.scope():
                self.loss_scales = (ReplicaLossScale(), ReplicaLossScale())
        if config.update != "simultaneous":
            raise UserError("--strategy trains with --update simultaneous only (the tutorial's)")
        update = simultaneous_update(state, config, self.loss_scales)

        def replica_step(noise: tf.Tensor, start: tf.Tensor, images: tf.Tensor, *labels):
            own_noise = noise[start : start + tf.shape(images)[0]]  # the rows of its images
            return update(images, own_noise, *labels)

        if config.jit_compile:
            if not all("GPU" in device.upper() for device in strategy.extended.worker_devices):
                raise UserError(
                    "--jit-compile with --strategy needs GPU replicas: TensorFlow compiles a "
                    "replica's step, all-reduce included, with XLA on GPUs only"
                )
            replica_step = tf.function(replica_step, jit_compile=True)
        spec, rng, noise_dim = state.spec, state.noise_rng, config.noise_dim

        def train_steps(batches: list[tuple], sizes: tuple[int, ...]) -> list[dict]:
            results = []
            for parts, size in zip(batches, sizes, strict=True):
                noise = spec.sample_noise(rng, size, noise_dim)  # the global batch's noise
                losses = strategy.run(replica_step, args=(noise, *parts))
                # Each replica's loss is its share of the global mean: their sum is the mean.
                results.append({k: strategy.reduce("sum", v, axis=None) for k, v in losses.items()})
            return results

        self.run = tf.function(train_steps)

    def __call__(self, group: list[tuple[ReplicaParts]]) -> list[dict[str, float]]:
        batches = [parts.parts for parts, *_ in group]
        sizes = tuple(parts.size for parts, *_ in group)
        with peer_lost_is_an_error():
            results = self.run(batches, sizes)
        return [{name: float(value) for name, value in losses.items()} for losses in results]


class ReplicaLossScale(DynamicLossScale):
    """float16 loss scaling for replicas: they skip or apply an update together.

    TF cannot branch around `apply_gradients` (a sync point) inside a replica, so, as Keras'
    LossScaleOptimizer does, the decision is made once in the cross-replica context: finite only
    when every replica's gradients are; then each replica applies (and the optimizer all-reduces).
    """

    def apply(
        self,
        optimizer: keras.optimizers.Optimizer,
        scaled_grads: list[tf.Tensor],
        variables: list[tf.Variable],
    ) -> None:
        grads, finite = self.unscale(scaled_grads)
        not_finite = 1.0 - tf.cast(finite, tf.float32)

        def apply_one(grads: list[tf.Tensor]) -> None:
            optimizer.apply_gradients(zip(grads, variables, strict=True))

        def decide(strategy: tf.distribute.Strategy, grads: list, not_finite: object) -> None:
            def apply_all() -> None:
                strategy.extended.call_for_each_replica(apply_one, args=(grads,))
                self.good_steps.assign_add(1)
                grow = self.good_steps >= self.growth_interval
                self.scale.assign(tf.where(grow, self.scale * 2.0, self.scale))
                self.good_steps.assign(tf.where(grow, tf.constant(0, tf.int64), self.good_steps))

            def skip() -> None:
                self.scale.assign(tf.maximum(self.scale / 2.0, 1.0))
                self.good_steps.assign(0)

            all_finite = strategy.reduce("sum", not_finite, axis=None) == 0.0
            tf.cond(all_finite, apply_all, skip)

        tf.distribute.get_replica_context().merge_call(decide, args=(grads, not_finite))
