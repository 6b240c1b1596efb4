"""What a trained generator draws, as uint8 arrays: new images (in parts for a large number, or by
style), walks between two points of its latent space, and the latent sweeps. The Python API's
`TrainedRun` (trained_run.py) is one, and every command draws through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig

if TYPE_CHECKING:  # TensorFlow loads with the first run, not with this module
    import keras
    import tensorflow as tf

    from dcgan_tf.models.specs import ModelSpec
    from dcgan_tf.run.state import GanState

WALKS = ("linear", "slerp")  # the paths of `interpolate`: the straight line, along the sphere


@dataclass
class TrainedGenerator:
    """A run's state (models, counters) at `checkpoint` (loaded or saved there), and its config:
    the model's shape (noise size, channels, image size S)."""

    state: GanState
    config: TrainConfig
    checkpoint: str | None

    @property
    def spec(self) -> ModelSpec:
        return self.state.spec

    @property
    def generator(self) -> keras.Model:
        """The generator that draws every image: the moving average's when the run kept one."""
        return self.state.image_generator

    @property
    def step(self) -> int:
        return int(self.state.step)

    def require_conditional(self, asked: bool, flags: str = "label") -> None:
        """`flags` (given when `asked`) draw chosen digits: only a conditional model takes them."""
        if asked and not self.spec.conditional:
            verb = "need" if " and " in flags else "needs"
            raise UserError(
                f"{self.checkpoint} holds a {self.spec.name!r} model; {flags} {verb} cdcgan or "
                "carpedm20"
            )

    def noise(self, count: int, seed: int) -> tf.Tensor:
        """`count` noise vectors of this model, the same for the same seed (`draw_noise`)."""
        from dcgan_tf.generator.sampling import draw_noise

        return draw_noise(self.spec, count, self.config.noise_dim, seed)

    def pixels(self, noise: np.ndarray | tf.Tensor, labels: np.ndarray | None = None) -> np.ndarray:
        """uint8 images (N, S, S, C) of `noise` (and a conditional model's labels)."""
        from dcgan_tf.generator.sampling import generate_pixels

        return generate_pixels(self.state, noise, labels, self.config.channels)

    def image_parts(
        self, num: int, seed: int = 0, label: int | None = None
    ) -> Iterator[np.ndarray]:
        """`images(num, seed, label)` as uint8 parts (n, S, S, C), one part's noise and pixels in
        memory at a time (`sample` writes them as they come)."""
        from dcgan_tf.generator.sampling import digit_rows, noise_parts

        self.require_conditional(label is not None)
        done, conditional = 0, self.spec.conditional
        for noise in noise_parts(self.spec, num, self.config.noise_dim, seed):
            yield self.pixels(noise, digit_rows(len(noise), label, done) if conditional else None)
            done += len(noise)

    def images(self, num: int = 16, seed: int = 0, label: int | None = None) -> np.ndarray:
        """`num` new uint8 images, (num, S, S) gray or (num, S, S, 3) RGB; the same `seed`, the
        same images. A conditional model draws the digits 0-9 in turn, or only `label`."""
        return squeeze_gray(np.concatenate(list(self.image_parts(num, seed, label))))

    def by_style(self, styles: int = 8, seed: int = 0) -> np.ndarray:
        """A conditional model's digits in `styles` styles: uint8 (10, styles, S, S[, 3]), digit
        d in row d, the same noise down each column (`sample --by-style`)."""
        self.require_conditional(True, "by_style")
        noise, labels, _ = self.spec.grid_inputs(self.noise(styles, seed))
        return self.walk_images(np.reshape(noise, (10, styles, -1)), labels.numpy())

    def interpolate(
        self,
        rows: int = 4,
        steps: int = 10,
        method: str = "slerp",
        seed: int = 0,
        label: int | None = None,
    ) -> np.ndarray:
        """uint8 images (rows, steps, S, S[, 3]): each row walks from one seeded random point of
        the latent space to another, `linear`ly or along the sphere (`slerp`). A conditional
        model's row r shows digit r (from 0 again after 9), or every row `label`."""
        from dcgan_tf.generator.sampling import digit_rows, walk_noise

        if method not in WALKS or rows < 1 or steps < 2:
            raise UserError(f"method is one of {WALKS}, rows at least 1 and steps at least 2")
        self.require_conditional(label is not None)
        labels = np.repeat(digit_rows(rows, label), steps) if self.spec.conditional else None
        noise = walk_noise(self.noise(2 * rows, seed).numpy(), steps, method)
        return self.walk_images(noise.reshape(rows, steps, -1), labels)

    def sweep(
        self, dim: int = 0, rows: int = 4, steps: int = 10, seed: int = 0, label: int | None = None
    ) -> np.ndarray:
        """The latent sweep ("Z changes"), uint8 (rows, steps, S, S[, 3]): `rows` seeded noise
        vectors, each with noise dimension `dim` moved from `sweep_range` low to high across the
        `steps`; a conditional model's rows as `interpolate`'s."""
        from dcgan_tf.generator.sampling import digit_rows, sweep_noise, sweep_range

        noise_dim = self.config.noise_dim
        if not 0 <= dim < noise_dim:
            raise UserError(f"dim must be in 0..{noise_dim - 1} (the run's noise_dim {noise_dim})")
        self.require_conditional(label is not None)
        labels = np.repeat(digit_rows(rows, label), steps) if self.spec.conditional else None
        values = np.linspace(*sweep_range(self.spec), steps)
        return self.walk_images(sweep_noise(self.noise(rows, seed).numpy(), dim, values), labels)

    def label_sweep(self, rows: int = 4, seed: int = 0) -> np.ndarray:
        """A conditional model's "X changes", uint8 (rows, 10, S, S[, 3]): `sweep`'s noise
        vectors, each drawn as the digits 0 to 9."""
        self.require_conditional(True, "label_sweep")
        noise = np.repeat(self.noise(rows, seed).numpy()[:, None, :], 10, axis=1)
        return self.walk_images(noise, np.tile(np.arange(10), rows))

    def walk_images(self, noise: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """(rows, steps, D) noise (and rows * steps labels) -> uint8 (rows, steps, S, S[, 3])."""
        rows, steps = noise.shape[:2]
        pixels = self.pixels(np.reshape(noise, (rows * steps, -1)), labels)
        return squeeze_gray(pixels.reshape(rows, steps, *pixels.shape[1:]))


def squeeze_gray(pixels: np.ndarray) -> np.ndarray:
    """(..., S, S, 1) -> (..., S, S), as `sample --format npy` saves gray images; RGB as it is."""
    return pixels[..., 0] if pixels.shape[-1] == 1 else pixels
