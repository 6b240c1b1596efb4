"""Using a trained generator, below the Python API's `TrainedRun` (trained_run.py), which every
command draws through: load a run's state from its checkpoint (`load_run`; a run of your own
Keras models with them), draw noise, make images, and the noise of the latent walks (linearly or
along the sphere, one dimension swept)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic_with
from dcgan_tf.common.limits import require_memory
from dcgan_tf.config import TrainConfig, load_saved_config
from dcgan_tf.models.specs import MODEL_SPECS, ModelSpec, spec_of_models
from dcgan_tf.run.best import best_checkpoint
from dcgan_tf.run.checkpoints import checkpoint_model, restore
from dcgan_tf.run.recovery import damage, newest_intact
from dcgan_tf.run.state import GanState, build_state, build_state_for
from dcgan_tf.tutorial.images import grid_scale, image_grid, save_image_grid


def load_run(
    checkpoint_dir: str | Path,
    checkpoint: str | None = None,
    expected_model: str | None = None,
    best: bool = False,
    models: tuple[keras.Model | None, keras.Model | None] = (None, None),
) -> tuple[GanState, TrainConfig, str]:
    """The state of a run's newest checkpoint (or of `checkpoint`, or with `best` of its
    best-FID checkpoint), its config and its path.

    A damaged newest checkpoint is skipped with a warning; a damaged `checkpoint` is an error.
    The config saved beside the checkpoint says the model's shape; a checkpoint without one (the
    tutorial's) is the tutorial's DCGAN. With `expected_model`, another model type is an error.
    A run of your own Keras models (saved as `custom`) restores into `models`, the (generator,
    discriminator) built as they were trained; without them it is an error saying so.
    A run trained with --ema-decay comes back with its EMA generator as `state.generator`.
    """
    if best and checkpoint:
        raise UserError("--best and --checkpoint each name a checkpoint; give one of them")
    if best:
        checkpoint = best_checkpoint(checkpoint_dir)
    if checkpoint:
        if not Path(f"{checkpoint}.index").exists():
            raise UserError(f"--checkpoint {checkpoint}: no such checkpoint ({checkpoint}.index)")
        reason = damage(checkpoint)
        if reason is not None:
            raise UserError(f"--checkpoint {checkpoint}: cannot restore it: {reason}")
        path = checkpoint
    else:  # the newest that restores: a damaged newer one is named and skipped, not touched
        path = newest_intact(checkpoint_dir, warn)
    if path is None:
        raise UserError(
            f"no checkpoint in {checkpoint_dir}; train first (python -m dcgan_tf.generate) "
            "or pass --checkpoint PATH"
        )
    config = load_saved_config(Path(path).parent) or TrainConfig()
    model = checkpoint_model(path)
    if expected_model and model != expected_model:
        raise UserError(f"{path} holds a {model!r} model, not {expected_model!r} (--model)")
    if models != (None, None):
        state = build_state_for(config, own_spec(*models, config))
    elif model not in MODEL_SPECS:
        raise UserError(
            f"{path} holds a run of models of your own ({model!r}); open it from Python with "
            "the same models: dcgan_tf.open_run(CHECKPOINT_DIR, generator=..., discriminator=...)"
        )
    else:
        state = build_state(
            config.noise_dim,
            config.learning_rate,
            config.seed,
            model,
            config.channels,
            ema=config.ema_decay > 0,
            spectral_norm=config.spectral_norm,  # the discriminator restores with its own layers
            image_size=config.image_size,
        )
    restore(state, path)
    if state.generator_ema is not None:  # every use of a trained run samples the average
        state.generator = state.generator_ema
    return state, config, path


def own_spec(
    generator: keras.Model | None, discriminator: keras.Model | None, config: TrainConfig
) -> ModelSpec:
    """The `ModelSpec` of a Keras pair of your own, checked against `config`'s noise size."""
    if generator is None or discriminator is None:
        raise UserError("give both models of your own: generator= and discriminator=")
    noise_dim = generator.inputs[0].shape[-1] if generator.inputs else None
    if noise_dim != config.noise_dim:
        raise UserError(
            f"the generator takes noise of size {noise_dim}, the config's noise_dim is "
            f"{config.noise_dim}; build it with keras.Input(({config.noise_dim},))"
        )
    return spec_of_models(generator, discriminator, like=config.model)


def warn(line: str) -> None:
    """A warning on stderr, so that it never mixes with a command's output."""
    print(line, file=sys.stderr, flush=True)


def draw_noise(spec: ModelSpec, count: int, noise_dim: int, seed: int) -> tf.Tensor:
    """`count` noise vectors of the model's kind, the same for the same seed."""
    return spec.sample_noise(tf.random.Generator.from_seed(seed), count, noise_dim)


# Noise vectors drawn at a time: a request of any size holds one part in memory; up to this many,
# the images of a seed are those of one draw (draw_noise), as before parts were drawn.
NOISE_PART = 10_000


def noise_parts(spec: ModelSpec, count: int, noise_dim: int, seed: int) -> Iterator[tf.Tensor]:
    """`count` noise vectors of the model's kind in parts of NOISE_PART, the same for the same
    seed."""
    rng, part = tf.random.Generator.from_seed(seed), NOISE_PART
    for start in range(0, count, part):
        yield spec.sample_noise(rng, min(part, count - start), noise_dim)


def digit_rows(count: int, label: int | None = None, start: int = 0) -> np.ndarray:
    """Labels for `count` images of a conditional model: the digits 0-9 in turn (row r shows
    digit r, from 0 again after 9), or `label` for every one; from image `start` on."""
    return np.arange(start, start + count) % 10 if label is None else np.full(count, label)


def generate_pixels(
    state: GanState,
    noise: tf.Tensor,
    labels: np.ndarray | None = None,
    channels: int = 1,
    batch_size: int = 500,
) -> np.ndarray:
    """uint8 images (N, S, S, channels) from the generator, in batches; labels for cdcgan."""
    if state.spec.conditional and labels is None:
        raise UserError("this conditional model needs a label per image")
    if labels is not None and not state.spec.conditional:
        raise UserError(
            f"a {state.spec.name!r} model takes no labels; only cdcgan and carpedm20 do"
        )
    images = []
    for start in range(0, len(noise), batch_size):
        batch = tf.convert_to_tensor(noise[start : start + batch_size], tf.float32)
        if labels is not None:
            batch = [batch, tf.constant(labels[start : start + batch_size], tf.int32)]
        generated = state.image_generator(batch, training=False)  # the EMA one when on
        images.append(state.spec.to_pixels(generated, channels))
    return np.concatenate(images)


def walk_image_bytes(noise_dim: int, channels: int, size: int) -> int:
    """Memory an S x S image of `interpolate` or its sweep takes: its noise (float64, then
    float32), its pixels, and its part of the grid and of the GIF's frames, enlarged
    `grid_scale` times each way (about 27 kB a gray 28x28 digit)."""
    scale = grid_scale(size)
    return 12 * noise_dim + (size * size + (size + 2) ** 2 * (2 + 3 * scale**2)) * channels


def check_walk_memory(config: TrainConfig, rows: int, steps: int, images: int) -> None:
    """Refuse up front a walk of `images` (--rows x --steps, and more) that cannot fit."""
    need = images * walk_image_bytes(config.noise_dim, config.channels, config.image_size)
    require_memory(need, f"--rows {rows} x --steps {steps}: {images} images")


def save_walk(
    pixels: np.ndarray, stem: Path, duration: int, transpose: bool = False
) -> tuple[Path, Path]:
    """A walk's images, (rows, steps, S, S) gray or (rows, steps, S, S, C), as `stem`.png, a
    grid with a row per walk (`transpose`: a column per walk), and `stem`.gif, whose frame t
    shows every walk's t-th image, there and back again (a seamless loop), `duration` ms a
    frame."""
    import imageio.v3 as iio

    pixels = pixels[..., None] if pixels.ndim == 4 else pixels  # gray: one channel
    rows, steps = pixels.shape[:2]
    by_step = pixels.swapaxes(0, 1)  # (steps, rows, ...)
    shown, columns = (by_step, rows) if transpose else (pixels, steps)
    grid = save_image_grid(shown.reshape(-1, *pixels.shape[2:]), Path(f"{stem}.png"), columns)
    frames = np.stack([image_grid(column, columns=rows) for column in by_step])
    frames = np.concatenate([frames, frames[-2:0:-1]])
    gif = write_atomic_with(
        Path(f"{stem}.gif"),
        lambda tmp: iio.imwrite(tmp, frames, extension=".gif", duration=duration, loop=0),
    )
    return grid, gif


NORMAL_RANGE = 3.0  # a N(0, 1) dimension swept over +-3 standard deviations


def walk_noise(ends: np.ndarray, steps: int, method: str) -> np.ndarray:
    """(2 * rows, D) endpoints -> (rows * steps, D) float32: row r walks from `ends[r]` to
    `ends[rows + r]`, `linear`ly or along the sphere (`slerp`)."""
    rows, walk = len(ends) // 2, slerp if method == "slerp" else lerp
    noise = np.concatenate([walk(ends[r], ends[rows + r], steps) for r in range(rows)])
    return noise.astype(np.float32)


def sweep_range(spec: ModelSpec) -> tuple[float, float]:
    """The low and high values a noise dimension is swept over: uniform noise from -1 to 1,
    normal noise over +-NORMAL_RANGE standard deviations."""
    return (-1.0, 1.0) if spec.uniform_noise else (-NORMAL_RANGE, NORMAL_RANGE)


def sweep_noise(base: np.ndarray, dim: int, values: np.ndarray) -> np.ndarray:
    """(rows, D) base vectors -> (rows, steps, D): row r's vector with `dim` set to each value."""
    noise = np.repeat(base[:, None, :], len(values), axis=1)
    noise[:, :, dim] = values
    return noise.astype(np.float32)


def lerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """`steps` points on the straight line from z0 to z1, both included: (steps, D)."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * z0 + t * z1


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """`steps` points from z0 to z1 along the great circle of their directions, the norm moving
    linearly from |z0| to |z1|: the path stays where Gaussian noise has its mass, instead of
    cutting through the low-norm middle as the straight line does."""
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    u0, u1 = z0 / n0, z1 / n1
    omega = np.arccos(np.clip(u0 @ u1, -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if omega < 1e-6:  # (nearly) the same direction: the straight line is the arc
        directions = (1 - t) * u0 + t * u1
    else:
        directions = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)
    return ((1 - t) * n0 + t * n1) * directions
