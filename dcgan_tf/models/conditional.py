"""The conditional DCGAN (`--model cdcgan`): the tutorial's two models, also given the digit."""

from __future__ import annotations

import keras
from keras import layers

from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model

NUM_CLASSES = 10


def make_conditional_generator(noise_dim: int = 100, channels: int = 1) -> keras.Model:
    """(noise (B, noise_dim), label (B,)) -> image (B, 28, 28, channels) in [-1, 1].

    The tutorial's generator with the one-hot label joined to the noise.
    """
    noise = keras.Input(shape=(noise_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    one_hot = layers.CategoryEncoding(NUM_CLASSES, output_mode="one_hot")(label)  # (B, 10)
    joined = layers.Concatenate()([noise, one_hot])  # (B, noise_dim + 10)
    body = make_generator_model(noise_dim + NUM_CLASSES, channels)
    return keras.Model([noise, label], body(joined), name="conditional_generator")


def make_conditional_discriminator(channels: int = 1) -> keras.Model:
    """(image (B, 28, 28, channels), label (B,)) -> one logit (B, 1).

    The label's learned 28x28 embedding is joined to the image as one more channel.
    """
    image = keras.Input(shape=(28, 28, channels), name="image")
    label = keras.Input(shape=(), dtype="int32", name="label")
    plane = layers.Embedding(NUM_CLASSES, 28 * 28)(label)  # (B, 784)
    plane = layers.Reshape((28, 28, 1))(plane)  # (B, 28, 28, 1)
    joined = layers.Concatenate()([image, plane])  # (B, 28, 28, channels + 1)
    body = make_discriminator_model(channels + 1)
    return keras.Model([image, label], body(joined), name="conditional_discriminator")
