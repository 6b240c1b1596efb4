"""The tutorial's two Keras Sequential models, layer for layer.

Generator: 2,330,944 parameters; discriminator: 212,865 (with noise_dim=100, 28x28x1 images).
At other sizes S (32, 64, 128) the same layers grow by the tutorial's own rule: the Dense layer
makes an S/4 x S/4 start (7 x 7 at 28), which the two stride-2 layers double twice; the
discriminator's two stride-2 layers halve it twice back to S/4.
"""

from __future__ import annotations

import keras
from keras import layers


def make_generator_model(
    noise_dim: int = 100, channels: int = 1, image_size: int = 28
) -> keras.Sequential:
    """Noise (B, noise_dim) -> image (B, S, S, channels) in [-1, 1]; S = image_size, 28 below."""
    start = image_size // 4  # the tutorial's 7
    return keras.Sequential(
        [
            keras.Input(shape=(noise_dim,)),
            layers.Dense(start * start * 256, use_bias=False),  # (B, 12544)
            layers.BatchNormalization(),
            layers.LeakyReLU(),
            layers.Reshape((start, start, 256)),  # (B, 7, 7, 256)
            layers.Conv2DTranspose(128, (5, 5), strides=(1, 1), padding="same", use_bias=False),
            layers.BatchNormalization(),  # (B, 7, 7, 128)
            layers.LeakyReLU(),
            layers.Conv2DTranspose(64, (5, 5), strides=(2, 2), padding="same", use_bias=False),
            layers.BatchNormalization(),  # (B, 14, 14, 64)
            layers.LeakyReLU(),
            layers.Conv2DTranspose(
                channels, (5, 5), strides=(2, 2), padding="same", use_bias=False, activation="tanh"
            ),  # (B, 28, 28, channels)
        ],
        name="generator",
    )


def make_discriminator_model(channels: int = 1, image_size: int = 28) -> keras.Sequential:
    """Image (B, S, S, channels) -> one logit (B, 1): positive for real, negative for fake."""
    return keras.Sequential(
        [
            keras.Input(shape=(image_size, image_size, channels)),
            layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"),  # (B, 14, 14, 64)
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Conv2D(128, (5, 5), strides=(2, 2), padding="same"),  # (B, 7, 7, 128)
            layers.LeakyReLU(),
            layers.Dropout(0.3),
            layers.Flatten(),  # (B, 6272)
            layers.Dense(1),  # (B, 1)
        ],
        name="discriminator",
    )
