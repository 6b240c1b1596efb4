"""The step factory: the train step a config asks for, built around the notebook's train step.

    make_step(state, config)       the traced step: the notebook's `train_step` with the options
                                   of `dcgan_tf/options/` as one `StepOptions`, or the course
                                   models' alternating update (`options/alternating.py`)
    Stepper(state, config)         the loop's way to train: call it with a group of batches, get
                                   one dict of float losses per step back

The default (one step per call, float32, no XLA) runs `tutorial.train_step.make_train_step`'s
step exactly: the noise is drawn here and passed in. The speed options change speed, not the math:
- `--jit-compile`: the step is compiled with XLA;
- `--steps-per-call K`: up to K steps of equally sized batches run in one call (a `tf.range` loop
  inside the graph, drawing each step's noise from the same generator in the same order), so
  the results equal K single calls; fewer Python round trips and one host read per K steps;
- `--precision mixed_float16`: dynamic loss scaling beside each optimizer (`options/precision.py`;
  the models' dtype policy is set where they are built, in `run.state.build_state`).

`--update alternating` takes its noise batches stacked, (draws, B, noise_dim), drawn from the same
generator as one (draws * B, noise_dim) batch, so a checkpoint still resumes exactly. The recipe
options change the math (docs/recipes.md); each is built here from its module in `options/`.
Under `--strategy`, `replicas.ReplicatedStepper` takes `Stepper`'s place (`placement.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig
from dcgan_tf.options.ada import make_adaptive_augment, make_probability_update
from dcgan_tf.options.alternating import make_alternating_step, noise_draws
from dcgan_tf.options.consistency import make_consistency_term
from dcgan_tf.options.diff_augment import make_diff_augment
from dcgan_tf.options.ema import make_ema_update
from dcgan_tf.options.losses import DISCRIMINATOR_LOGIT, CrossEntropy, make_losses
from dcgan_tf.options.precision import DynamicLossScale
from dcgan_tf.options.r1 import make_r1_penalty
from dcgan_tf.options.schedule import make_rate_update
from dcgan_tf.run.state import GanState
from dcgan_tf.tutorial.train_step import StepOptions, TrainStep, make_train_step

Batch = tuple[tf.Tensor, ...]  # (images,) or (images, labels)


def step_options(
    state: GanState,
    config: TrainConfig,
    loss_scales: tuple | None = None,
    total_steps: int = 0,
    cross_entropy: CrossEntropy | None = None,
) -> StepOptions:
    """The options of `config` as the train step takes them. `total_steps`: the run's length,
    where `--lr-decay` ends; `cross_entropy`: the losses' own (a replica's share, `replicas.py`)."""
    generator_loss, discriminator_loss = make_losses(
        config.gen_loss, config.label_smoothing, cross_entropy
    )
    return StepOptions(
        generator_loss=generator_loss,
        discriminator_loss=discriminator_loss,
        logit=DISCRIMINATOR_LOGIT[state.spec.loss],
        conditional=state.spec.conditional,
        jit_compile=config.jit_compile,
        disc_steps=config.disc_steps,
        set_learning_rates=make_rate_update(
            state.generator_optimizer,
            config.learning_rate,
            state.discriminator_optimizer,
            config.disc_learning_rate or config.learning_rate,
            config.lr_warmup_steps,
            config.lr_decay,
            total_steps or config.steps,
        ),
        augment=image_augment(state, config.diff_augment),
        observe_real=augment_steering(state, config.ada_target, config.ada_max_p),
        real_penalty=make_r1_penalty(
            config.r1_gamma, config.r1_every, state.discriminator_optimizer.iterations
        ),
        consistency=make_consistency_term(
            config.consistency_weight, config.diff_augment, state.noise_rng
        ),
        after_generator_update=ema_update(state, config.ema_decay, config.ema_warmup),
        loss_scales=loss_scales,
    )


def make_step(
    state: GanState, config: TrainConfig, options: StepOptions | None = None
) -> TrainStep:
    """The traced train step of `config`: the notebook's, or the course models' alternating one.
    `options`: `step_options(state, config)` unless given."""
    options = options or step_options(state, config)
    nets = nets_of(state)
    if config.update == "alternating":
        return make_alternating_step(*nets, options, config.gen_steps, config.gen_noise)
    return make_train_step(*nets, options)


class Stepper:
    """The train step(s) of `config` for `state`; `stepper(group)` trains on each batch of the
    group in order and returns one `{"gen_loss": float, "disc_loss": float}` per batch."""

    def __init__(self, state: GanState, config: TrainConfig, total_steps: int = 0) -> None:
        self.state, self.noise_dim = state, config.noise_dim
        self.loss_scales = None
        if config.precision == "mixed_float16":
            self.loss_scales = (DynamicLossScale(), DynamicLossScale())
        self.draws = None  # simultaneous: one (B, noise_dim) batch; alternating: stacked draws
        if config.update == "alternating":
            self.draws = noise_draws(config.gen_steps, config.gen_noise)
        options = step_options(state, config, self.loss_scales, total_steps)
        self.train_step = make_step(state, config, options)
        self.multi = None
        if config.steps_per_call > 1:
            image_shape = tuple(state.generator.outputs[0].shape[1:])
            stacked = [tf.TensorSpec((None, None, *image_shape), tf.float32)]
            if state.spec.conditional:
                stacked.append(tf.TensorSpec((None, None), tf.int32))
            # With XLA the loop calls the compiled single step: XLA compiling the whole loop of
            # steps did not finish within 5 minutes on a 2-core CPU (seen twice).
            body = self.train_step if config.jit_compile else self.train_step.python_function
            self.multi = tf.function(self.make_multi(body), input_signature=stacked)

    def draw_noise(self, batch_size: int | tf.Tensor) -> tf.Tensor:
        """One step's noise: (B, noise_dim), or (draws, B, noise_dim) for the alternating update,
        drawn as one batch of draws * B vectors (the generator advances the same either way)."""
        spec, rng = self.state.spec, self.state.noise_rng
        if self.draws is None:
            return spec.sample_noise(rng, batch_size, self.noise_dim)
        noise = spec.sample_noise(rng, self.draws * batch_size, self.noise_dim)
        return tf.reshape(noise, [self.draws, batch_size, self.noise_dim])

    def make_multi(self, step: TrainStep) -> Callable[..., dict]:
        """K steps in one graph: (K, B, ...) batches in, (K,) losses out."""

        def train_steps(images: tf.Tensor, *labels: tf.Tensor) -> dict:
            count = tf.shape(images)[0]
            gen_losses = tf.TensorArray(tf.float32, size=count)
            disc_losses = tf.TensorArray(tf.float32, size=count)
            for i in tf.range(count):
                noise = self.draw_noise(tf.shape(images)[1])
                losses = step(images[i], noise, *[label[i] for label in labels])
                gen_losses = gen_losses.write(i, losses["gen_loss"])
                disc_losses = disc_losses.write(i, losses["disc_loss"])
            return {"gen_loss": gen_losses.stack(), "disc_loss": disc_losses.stack()}

        return train_steps

    def __call__(self, group: list[Batch]) -> list[dict[str, float]]:
        results = []
        for run in same_shape_runs(group):
            if self.multi is None or len(run) == 1:
                for images, *labels in run:  # the tutorial's loop: one step per batch
                    losses = self.train_step(images, self.draw_noise(len(images)), *labels)
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


def ema_update(state: GanState, decay: float, warmup: bool) -> Callable[[], None] | None:
    """--ema-decay: the EMA step run after each generator update; None when off. --ema-warmup
    counts the generator's updates by its optimizer's (saved) update count."""
    if not decay:
        return None
    if state.generator_ema is None:
        raise UserError("--ema-decay needs a state built with its EMA generator (build_state ema)")
    updates = state.generator_optimizer.iterations if warmup else None
    return make_ema_update(state.generator, state.generator_ema, decay, updates)


def image_augment(state: GanState, policy: str) -> Callable[[tf.Tensor], tf.Tensor] | None:
    """--diff-augment for a model of (B, H, W, C) images; the one-hidden-layer GAN's are flat."""
    if policy and len(state.generator.outputs[0].shape) != 4:
        raise UserError(
            f"--diff-augment shifts and cuts 2-D images; the {state.spec.name} model's "
            "images are flat vectors"
        )
    if state.augment_probability is not None:  # --ada-target: each image with probability p
        return make_adaptive_augment(policy, state.noise_rng, state.augment_probability)
    return make_diff_augment(policy, state.noise_rng)


def augment_steering(
    state: GanState, target: float, max_p: float
) -> Callable[[tf.Tensor], None] | None:
    """--ada-target: the update of p from D's logits on the real batch, p kept within
    [0, --ada-max-p]; None when off."""
    if not target:
        return None
    if state.augment_probability is None:
        raise UserError(
            "--ada-target needs a state built with its p (build_state adaptive_augment)"
        )
    return make_probability_update(state.augment_probability, target, max_p)


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
