"""One factory for every train step a config asks for, built around the tutorial's update.

    Stepper(state, config)   the loop's only way to train: call it with a group of batches,
                             get one dict of float losses per step back

The default (one step per call, float32, no XLA) is the tutorial's `train_step` exactly: the
noise is drawn by the loop and passed in. The options change speed, not the math:
- `--jit-compile`: the step is compiled with XLA;
- `--steps-per-call K`: up to K steps of equally sized batches run in one call (a `tf.range` loop
  inside the graph, drawing each step's noise from the same generator in the same order), so
  the results equal K single calls; fewer Python round trips and one host read per K steps
  (with XLA too: the loop calls the XLA-compiled step);
- `--precision mixed_float16`: dynamic loss scaling beside each optimizer (`precision.py`; the
  models' dtype policy is set where they are built, in `checkpoints.build_state`).

`--update alternating` swaps the update body for the course models' own order
(`alternating_step.py`): it takes its noise batches stacked, (draws, B, noise_dim), drawn from the
same generator as one (draws * B, noise_dim) batch, so a checkpoint still resumes exactly.

The recipe options do change the math (see `train_step.make_update` and RECIPES.md):
`--label-smoothing`, `--disc-steps` and `--ema-decay` (the EMA update of `ema.py` runs inside
the step's graph, right after each generator update).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import tensorflow as tf

from dcgan_tf.alternating_step import make_alternating_update, noise_draws
from dcgan_tf.checkpoints import GanState
from dcgan_tf.config import TrainConfig
from dcgan_tf.ema import make_ema_update
from dcgan_tf.errors import UserError
from dcgan_tf.precision import DynamicLossScale
from dcgan_tf.train_step import make_update

Batch = tuple[tf.Tensor, ...]  # (images,) or (images, labels)


class Stepper:
    """The train step(s) of `config` for `state`; `stepper(group)` trains on each batch of the
    group in order and returns one `{"gen_loss": float, "disc_loss": float}` per batch."""

    def __init__(self, state: GanState, config: TrainConfig) -> None:
        self.state, self.noise_dim = state, config.noise_dim
        self.loss_scales = None
        if config.precision == "mixed_float16":
            self.loss_scales = (DynamicLossScale(), DynamicLossScale())
        self.draws = None  # simultaneous: one (B, noise_dim) batch; alternating: stacked draws
        if config.update == "alternating":
            self.draws = noise_draws(config.gen_steps, config.gen_noise)
            update = make_alternating_update(
                *nets_of(state),
                config.gen_loss,
                state.spec.loss,
                config.gen_steps,
                config.gen_noise,
                self.loss_scales,
            )
        else:
            update = simultaneous_update(state, config, self.loss_scales)
        image_shape = tuple(state.generator.outputs[0].shape[1:])
        images = tf.TensorSpec((None, *image_shape), tf.float32)
        noise_shape = () if self.draws is None else (self.draws,)
        noise = tf.TensorSpec((*noise_shape, None, config.noise_dim), tf.float32)
        labels = [tf.TensorSpec((None,), tf.int32)] if state.spec.conditional else []
        self.single = tf.function(
            update, input_signature=[images, noise, *labels], jit_compile=config.jit_compile
        )
        self.multi = None
        if config.steps_per_call > 1:
            stacked = [tf.TensorSpec((None, *s.shape), s.dtype) for s in [images, *labels]]
            # With XLA the loop calls the compiled single step: XLA compiling the whole loop of
            # steps did not finish within 5 minutes on a 2-core CPU (seen twice).
            body = self.single if config.jit_compile else update
            self.multi = tf.function(self.make_multi(body), input_signature=stacked)

    def draw_noise(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """One step's noise: (B, noise_dim), or (draws, B, noise_dim) for the alternating update,
        drawn as one batch of draws * B vectors (the generator advances the same either way)."""
        spec, rng = self.state.spec, self.state.noise_rng
        if self.draws is None:
            return spec.sample_noise(rng, batch_size, self.noise_dim)
        noise = spec.sample_noise(rng, self.draws * batch_size, self.noise_dim)
        return tf.reshape(noise, [self.draws, batch_size, self.noise_dim])

    def make_multi(self, update: Callable[..., dict]) -> Callable[..., dict]:
        """K updates in one graph: (K, B, ...) batches in, (K,) losses out."""

        def train_steps(images: tf.Tensor, *labels: tf.Tensor) -> dict:
            count = tf.shape(images)[0]
            gen_losses = tf.TensorArray(tf.float32, size=count)
            disc_losses = tf.TensorArray(tf.float32, size=count)
            for i in tf.range(count):
                noise = self.draw_noise(tf.shape(images)[1])
                losses = update(images[i], noise, *[label[i] for label in labels])
                gen_losses = gen_losses.write(i, losses["gen_loss"])
                disc_losses = disc_losses.write(i, losses["disc_loss"])
            return {"gen_loss": gen_losses.stack(), "disc_loss": disc_losses.stack()}

        return train_steps

    def __call__(self, group: list[Batch]) -> list[dict[str, float]]:
        results = []
        for run in same_shape_runs(group):
            if self.multi is None or len(run) == 1:
                for images, *labels in run:
                    noise = self.draw_noise(len(images))
                    losses = self.single(images, noise, *labels)
                    results.append({name: float(value) for name, value in losses.items()})
            else:
                stacked = [tf.stack(parts) for parts in zip(*run, strict=True)]
                losses = {name: value.numpy() for name, value in self.multi(*stacked).items()}
                for i in range(len(run)):
                    results.append({name: float(values[i]) for name, values in losses.items()})
        return results


def nets_of(state: GanState) -> tuple:
    """(generator, discriminator, generator optimizer, discriminator optimizer)."""
    return (
        state.generator,
        state.discriminator,
        state.generator_optimizer,
        state.discriminator_optimizer,
    )


def simultaneous_update(
    state: GanState, config: TrainConfig, loss_scales: tuple | None
) -> Callable[..., dict]:
    """The tutorial's update of both nets from one batch, with the recipe options of `config`."""
    return make_update(
        *nets_of(state),
        config.gen_loss,
        loss_scales,
        state.spec.loss,
        config.label_smoothing,
        config.disc_steps,
        ema_update(state, config.ema_decay),
    )


def ema_update(state: GanState, decay: float) -> Callable[[], None] | None:
    """--ema-decay: the EMA step run after each generator update; None when off."""
    if not decay:
        return None
    if state.generator_ema is None:
        raise UserError("--ema-decay needs a state built with its EMA generator (build_state ema)")
    return make_ema_update(state.generator, state.generator_ema, decay)


def same_shape_runs(group: list[Batch]) -> Iterator[list[Batch]]:
    """Split a group where the batch size changes (the last, partial batch of an epoch)."""
    run: list[Batch] = []
    for batch in group:
        if run and batch[0].shape != run[0][0].shape:
            yield run
            run = []
        run.append(batch)
    if run:
        yield run


def batch_groups(
    batches: Iterable[Batch], size: int, room: Callable[[], int] | None = None
) -> Iterator[list[Batch]]:
    """Groups of up to `size` consecutive batches. `room()` caps a group at the steps left
    before the loop must look (a snapshot grid, the --steps end); it is asked anew per group."""
    iterator = iter(batches)
    while True:
        limit = max(1, min(size, room() if room else size))
        group = [batch for _, batch in zip(range(limit), iterator, strict=False)]
        if not group:
            return
        yield group
