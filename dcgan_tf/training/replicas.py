"""What runs on each replica under --strategy: its part of a batch, its step through
`strategy.run`, its share of the losses, float16's loss scale decided across replicas, and the
error when a peer is lost.

`placement.Distribution` builds these; the loop sees only `ReplicaParts` and `ReplicatedStepper`.
On one device each loss is the notebook's batch mean. A replica sees only its part of the batch,
so there the same loss is computed per example and summed over that part, divided by the GLOBAL
batch size (`tf.nn.compute_average_loss`): the replicas' losses, and the gradients the optimizer
sums over replicas, add up to the batch mean.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import keras
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.options.precision import DynamicLossScale
from dcgan_tf.run.state import GanState
from dcgan_tf.training.steps import make_step, step_options

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


def replica_share(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """The notebook's cross-entropy as this replica's share of the mean over the global batch:
    sum(its per-example losses) / global batch size. The global size is the sum of the
    replicas' sizes (an all-reduce), so uneven parts of a last, partial batch (even an empty
    part) are weighted right."""
    per_example = keras.losses.BinaryCrossentropy(from_logits=True, reduction=None)(labels, logits)
    local_size = tf.shape(per_example)[0]
    global_size = tf.distribute.get_replica_context().all_reduce("sum", local_size)
    return tf.nn.compute_average_loss(per_example, global_batch_size=global_size)


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

    def __init__(
        self,
        state: GanState,
        config: TrainConfig,
        strategy: tf.distribute.Strategy,
        total_steps: int = 0,
    ) -> None:
        self.state, self.strategy = state, strategy
        self.loss_scales = None
        if config.precision == "mixed_float16":
            with strategy.scope():
                self.loss_scales = (ReplicaLossScale(), ReplicaLossScale())
        if config.update != "simultaneous":
            raise UserError("--strategy trains with --update simultaneous only (the tutorial's)")
        # The tutorial's step, untraced (it is traced inside strategy.run below), on this
        # replica's share of each loss.
        options = step_options(state, config, self.loss_scales, total_steps, replica_share)
        update = make_step(state, config, options).python_function

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
                self.after_finite_step()

            all_finite = strategy.reduce("sum", not_finite, axis=None) == 0.0
            tf.cond(all_finite, apply_all, self.after_overflow)

        tf.distribute.get_replica_context().merge_call(decide, args=(grads, not_finite))
