"""Quality of pictures that are not digits: FID and KID in Inception-v3's pool features.

The digit classifier measures MNIST and Fashion-MNIST (at any --image-size, resized to its
28x28); a `--dataset folder` run is measured here, against real pictures of its folder: the
standard FID (Heusel et al. 2017) and KID (Binkowski et al. 2018, mean and spread over subsets),
in `inception.py`'s features. Nothing here is comparable with the digit tables' FID.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property

import numpy as np

from dcgan_tf.evaluation.inception import InceptionFeatures, load_inception
from dcgan_tf.evaluation.measure import GeneratorSampler, Samples
from dcgan_tf.evaluation.metrics import fid, kid
from dcgan_tf.run.state import GanState

PICTURE_COLUMNS = ("fid", "kid", "kid_std")  # quality.csv's measures for pictures


def picture_metrics(features: np.ndarray, real_features: np.ndarray, seed: int = 0) -> dict:
    """FID and KID (mean, std over subsets) of two sets of Inception features."""
    kid_mean, kid_std = kid(features, real_features, seed=seed)
    return {
        "num_samples": len(features),
        "num_real": len(real_features),
        "fid": fid(features, real_features),
        "kid": kid_mean,
        "kid_std": kid_std,
    }


def real_subset(images: np.ndarray, num: int, seed: int) -> np.ndarray:
    """At most `num` of the real pictures, chosen by `seed`, read in file order (a memory map
    is read once, forward)."""
    if len(images) <= num:
        return np.asarray(images)
    chosen = np.sort(np.random.default_rng(seed).choice(len(images), num, replace=False))
    return np.asarray(images[chosen])


class PictureYardstick:
    """FID and KID of samples against `real` pictures (uint8 (N, S, S[, C])), in Inception
    features; the real pictures' features are computed once, at the first measurement."""

    columns = PICTURE_COLUMNS

    def __init__(
        self,
        inception: InceptionFeatures,
        real: np.ndarray,
        channels: int = 1,
        seed: int = 0,
        log: Callable[[str], None] = print,
    ) -> None:
        self.inception, self.real, self.channels = inception, real, channels
        self.seed, self.log = seed, log

    @cached_property
    def real_features(self) -> np.ndarray:
        start = time.time()
        features = self.inception(self.real)
        seconds = time.time() - start
        self.log(f"Inception features of {len(self.real)} real pictures: {seconds:.1f} s")
        return features

    def evaluate(self, samples: Samples) -> dict:
        """FID and KID of `samples` against the real pictures."""
        return picture_metrics(self.inception(samples.images), self.real_features, self.seed)

    def real_data_metrics(self) -> dict:
        """The same numbers for real data: one half of the real pictures against the other,
        the floor a perfect generator would reach with this many pictures."""
        order = np.random.default_rng(self.seed).permutation(len(self.real_features))
        half = len(order) // 2
        features = self.real_features
        return picture_metrics(features[order[:half]], features[order[half:]], self.seed)

    def measure(self, state: GanState, num: int, seed: int) -> dict:
        """FID and KID of `num` samples (noise drawn from `seed`) of the state's generator."""
        return self.evaluate(GeneratorSampler(state, self.channels).sample(num, seed))

    def describe(self, metrics: dict) -> str:
        kid_mean, kid_std = metrics["kid"], metrics["kid_std"]
        return f"Inception FID {metrics['fid']:.3f}, KID {kid_mean:.5f} ± {kid_std:.5f}"


def picture_yardstick(
    weights: str | None,
    real: np.ndarray,
    num: int,
    channels: int,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> PictureYardstick:
    """The yardstick of a folder run: Inception with `weights` (None: Keras' cache; raises
    `InceptionUnavailable`, one line, when they are missing) and `num` of the `real` pictures."""
    inception = InceptionFeatures(load_inception(weights))
    return PictureYardstick(inception, real_subset(real, num, seed), channels, seed, log)
