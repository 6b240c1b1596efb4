"""--ada-target: the augmentation probability p, said after each epoch (`options/ada.py`)."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState


class AugmentLog(Hook):
    """One line per epoch: where the discriminator's overfitting has steered p."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        p = float(tf.convert_to_tensor(state.augment_probability))  # (a mirrored one too)
        self.log(f"Adaptive augmentation after epoch {epoch}: p = {p:.4f}")
