"""The step's two losses when an option changes them; the notebook's own otherwise.

    make_losses(gen_loss, label_smoothing, cross_entropy)  ->  (generator_loss, discriminator_loss)

- `--gen-loss minimax`: the original GAN's generator loss, log(1 - D(G(z))), to be minimised. It
  saturates: while the discriminator rejects the fakes confidently (early in training), its
  gradient vanishes, which is why the tutorial (and the default here) uses -log D(G(z)).
- `--label-smoothing S`: the discriminator's target for real images is 1 - S (one-sided, Salimans
  et al. 2016): an overconfident discriminator is penalised, and the fakes' target stays 0 so that
  it never rewards fakes for being where there is no data.
- `cross_entropy`: the same binary cross-entropy computed another way, e.g. each replica's share
  of the global batch mean under --strategy (`training/replicas.py`).
- A two-class discriminator (TensorFlow-Examples' model) gives (B, 2) logits; `DISCRIMINATOR_LOGIT`
  turns a model's output into the one logit every loss above takes (`ModelSpec.loss`).
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from dcgan_tf.tutorial import losses as tutorial

Loss = Callable[..., tf.Tensor]
CrossEntropy = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]  # (labels, logits) -> loss


def make_losses(
    gen_loss: str = "non-saturating",
    label_smoothing: float = 0.0,
    cross_entropy: CrossEntropy | None = None,
) -> tuple[Loss, Loss]:
    """(generator_loss(fake), discriminator_loss(real, fake)): the notebook's own functions
    when nothing changes them."""
    if gen_loss == "non-saturating" and not label_smoothing and cross_entropy is None:
        return tutorial.generator_loss, tutorial.discriminator_loss
    ce = cross_entropy or tutorial.cross_entropy

    def discriminator_loss(real_output: tf.Tensor, fake_output: tf.Tensor) -> tf.Tensor:
        real_loss = ce(tf.ones_like(real_output) * (1.0 - label_smoothing), real_output)
        return real_loss + ce(tf.zeros_like(fake_output), fake_output)

    def non_saturating(fake_output: tf.Tensor) -> tf.Tensor:  # -log D(G(z))
        return ce(tf.ones_like(fake_output), fake_output)

    def minimax(fake_output: tf.Tensor) -> tf.Tensor:  # log(1 - D(G(z)))
        return -ce(tf.zeros_like(fake_output), fake_output)

    generator_loss = {"non-saturating": non_saturating, "minimax": minimax}[gen_loss]
    return generator_loss, discriminator_loss


def two_class_logit(logits: tf.Tensor) -> tf.Tensor:
    """Two-class logits (B, 2), class 1 "real" -> the one logit (B, 1) of "real" vs "fake".

    softmax([l0, l1])[1] = sigmoid(l1 - l0), so the softmax cross-entropy of class 1 (0) equals
    the binary cross-entropy of l1 - l0 against 1 (0): every loss above serves a two-class
    discriminator through this margin (tests/test_course_models.py checks it against
    tf.nn.sparse_softmax_cross_entropy_with_logits, as TensorFlow-Examples' dcgan.py computes).
    """
    return logits[:, 1:2] - logits[:, 0:1]


# How a model's discriminator output becomes the losses' one logit (`ModelSpec.loss`; None: as is).
DISCRIMINATOR_LOGIT = {"sigmoid": None, "softmax2": two_class_logit}
