"""The course material's one-hidden-layer GAN (`--model gan`): 784 -> 128 -> 1 and back."""

from __future__ import annotations

import keras
from keras import layers


def make_mlp_generator(noise_dim: int = 100, channels: int = 1) -> keras.Sequential:
    """The one-hidden-layer GAN's generator: noise -> 128 ReLU -> 784 sigmoid pixels in [0, 1]."""
    return keras.Sequential(
        [
            keras.Input(shape=(noise_dim,)),
            layers.Dense(128, activation="relu", kernel_initializer="glorot_normal"),  # (B, 128)
            layers.Dense(
                28 * 28 * channels, activation="sigmoid", kernel_initializer="glorot_normal"
            ),  # (B, 784 * channels)
        ],
        name="mlp_generator",
    )


def make_mlp_discriminator(channels: int = 1) -> keras.Sequential:
    """The one-hidden-layer GAN's discriminator: 784 pixels -> 128 ReLU -> one logit."""
    return keras.Sequential(
        [
            keras.Input(shape=(28 * 28 * channels,)),
            layers.Dense(128, activation="relu", kernel_initializer="glorot_normal"),  # (B, 128)
            layers.Dense(1, kernel_initializer="glorot_normal"),  # (B, 1)
        ],
        name="mlp_discriminator",
    )
