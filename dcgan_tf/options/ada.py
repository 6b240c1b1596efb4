"""Adaptive augmentation: `--ada-target T` (Karras et al. 2020, "Training generative adversarial
networks with limited data", ADA).

On little data the discriminator memorises its real images: its outputs on them grow ever more
positive and the generator's gradient turns to noise (the fall of long runs on MNIST's 10,000
test digits, RECIPES.md). ADA augments every image the discriminator sees, real and generated
alike, as `--diff-augment` does, but each image only with probability p, and steers p by the
overfitting heuristic r = E[sign(D(real))]: after each step p rises when r is above the target
T (the paper: 0.6) and falls when below, by batch / ADA_IMAGES. So p stays 0 while the
discriminator does not overfit and grows only as far as needed; the generator's gradient passes
through the differentiable transformations, and at p well below 1 it cannot learn to draw them.
`--ada-max-p M` caps p at M (RECIPES.md: with the decaying rates of digits-for-long-runs' first
version, no dropout, a cap of 0.5 ended worse than none).

p is a variable of the run's state (`GanState.augment_probability`, saved in each checkpoint as
`ada_p`), so a resumed run continues with the p it had. Under a tf.distribute strategy the first
replica's share of the batch steers p, by the global batch (`run/state.py`'s `ada_probability`).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from dcgan_tf.options.diff_augment import AUGMENT_STEPS, parse_policy

# How fast p moves: by at most 1 over this many images. The paper's 500,000 suits its runs of
# 25 million images; the runs here see 0.1 to 1.5 million, so p must react five times faster.
ADA_IMAGES = 100_000


def make_adaptive_augment(
    policy: str, rng: tf.random.Generator, probability: tf.Variable
) -> Callable[[tf.Tensor], tf.Tensor]:
    """Each transformation of `policy`, applied to each image of a (B, H, W, C) batch with
    probability `probability`, drawn per image and per transformation from `rng`."""
    names = parse_policy(policy)

    def augment(images: tf.Tensor) -> tf.Tensor:
        for name in names:
            chosen = rng.uniform([tf.shape(images)[0], 1, 1, 1]) < probability  # (B, 1, 1, 1)
            images = tf.where(chosen, AUGMENT_STEPS[name](images, rng), images)
        return images

    return augment


def make_probability_update(
    probability: tf.Variable, target: float, max_p: float = 1.0
) -> Callable[[tf.Tensor], None]:
    """`observe(real_logits)`: the step's heuristic r = mean(sign(logits)) moves p toward
    keeping r at `target`, clipped to [0, max_p] (`--ada-max-p`: at 1, no cap)."""

    def observe(real_logits: tf.Tensor) -> None:
        overfit = tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32)))  # r in [-1, 1]
        # The global batch: under a strategy a replica sees its share, and the first one steers.
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        images = tf.cast(tf.shape(real_logits)[0] * replicas, tf.float32)
        change = tf.sign(overfit - target) * images / ADA_IMAGES
        probability.assign(tf.clip_by_value(probability + change, 0.0, max_p))

    return observe
