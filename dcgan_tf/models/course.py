"""The three DCGANs of the course material beside the tutorial's, each as its own code builds it.

    tfexamples  aymericdamien/TensorFlow-Examples, examples/3_NeuralNetworks/dcgan.py (the batch-
                norm version): a two-class softmax discriminator
    carpedm20   carpedm20/DCGAN-tensorflow, model.py (its MNIST branch, y_dim=10): the one-hot
                label joined to the input of every layer (ops.py's conv_cond_concat)
    pytorch     the PyTorch DCGAN recipe, in its own module: `pytorch.py`

Their training habits (optimizer, batch, update order) are presets in `config.MODEL_PRESETS`; their
inputs and outputs (noise kind, pixel range, loss kind) are described in `models.specs.MODEL_SPECS`.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import initializers, layers

NUM_CLASSES = 10


# --- TensorFlow-Examples -------------------------------------------------------------------
# tf.layers' defaults are Keras' defaults: Glorot-uniform kernels, zero biases, batch norm with
# momentum 0.99 and epsilon 1e-3. Its leakyrelu(x, alpha=0.2) is 0.5(1+a)x + 0.5(1-a)|x|, which is
# LeakyReLU(0.2).


def make_tfexamples_generator(noise_dim: int = 100, channels: int = 1) -> keras.Sequential:
    """Noise (B, noise_dim) -> image (B, 28, 28, channels) in [-1, 1] (tanh)."""
    return keras.Sequential(
        [
            keras.Input(shape=(noise_dim,)),
            layers.Dense(7 * 7 * 128),  # (B, 6272)
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 128)),  # (B, 7, 7, 128)
            layers.Conv2DTranspose(64, 5, strides=2, padding="same"),  # (B, 14, 14, 64)
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(channels, 5, strides=2, padding="same"),  # (B, 28, 28, C)
            layers.Activation("tanh"),
        ],
        name="tfexamples_generator",
    )


def make_tfexamples_discriminator(channels: int = 1) -> keras.Sequential:
    """Image (B, 28, 28, channels) -> two logits (B, 2): class 1 is "real", class 0 "fake"."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, channels)),
            layers.Conv2D(64, 5, strides=2, padding="same"),  # (B, 14, 14, 64)
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Conv2D(128, 5, strides=2, padding="same"),  # (B, 7, 7, 128)
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Flatten(),  # (B, 6272)
            layers.Dense(1024),  # (B, 1024)
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Dense(2),  # (B, 2)
        ],
        name="tfexamples_discriminator",
    )


# --- carpedm20/DCGAN-tensorflow, MNIST (y_dim=10, gf_dim=df_dim=64, gfc_dim=dfc_dim=1024) -----
# ops.py: linear and deconv2d weights ~ N(0, 0.02), conv2d weights ~ truncated N(0, 0.02), biases
# zero; 5x5 kernels with stride 2 and SAME padding; batch_norm with decay 0.9, epsilon 1e-5;
# lrelu(x) = max(x, 0.2x).


def _linear(units: int) -> layers.Dense:
    return layers.Dense(units, kernel_initializer=initializers.RandomNormal(stddev=0.02))


def _deconv(filters: int) -> layers.Conv2DTranspose:
    init = initializers.RandomNormal(stddev=0.02)
    return layers.Conv2DTranspose(filters, 5, strides=2, padding="same", kernel_initializer=init)


def _conv(filters: int) -> layers.Conv2D:
    init = initializers.TruncatedNormal(stddev=0.02)
    return layers.Conv2D(filters, 5, strides=2, padding="same", kernel_initializer=init)


def _carpedm20_bn() -> layers.BatchNormalization:
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5)


class ConvCondConcat(layers.Layer):
    """ops.py's conv_cond_concat: the one-hot label (B, 10) as 10 constant planes joined to the
    feature map (B, H, W, C) -> (B, H, W, C + 10)."""

    def call(self, features: tf.Tensor, one_hot: tf.Tensor) -> tf.Tensor:
        shape = keras.ops.shape(features)
        planes = keras.ops.broadcast_to(
            one_hot[:, None, None, :], (shape[0], shape[1], shape[2], one_hot.shape[-1])
        )
        return keras.ops.concatenate([features, keras.ops.cast(planes, features.dtype)], axis=-1)

    def compute_output_shape(self, features_shape, one_hot_shape):
        return (*features_shape[:-1], features_shape[-1] + one_hot_shape[-1])


def make_carpedm20_generator(noise_dim: int = 100, channels: int = 1) -> keras.Model:
    """(noise (B, noise_dim), label (B,)) -> image (B, 28, 28, channels) in [0, 1] (sigmoid)."""
    noise = keras.Input(shape=(noise_dim,), name="noise")
    label = keras.Input(shape=(), dtype="int32", name="label")
    y = layers.CategoryEncoding(NUM_CLASSES, output_mode="one_hot")(label)  # (B, 10)
    z = layers.Concatenate()([noise, y])  # (B, noise_dim + 10)
    h0 = layers.ReLU()(_carpedm20_bn()(_linear(1024)(z)))  # g_h0_lin: (B, 1024)
    h0 = layers.Concatenate()([h0, y])  # (B, 1034)
    h1 = layers.ReLU()(_carpedm20_bn()(_linear(64 * 2 * 7 * 7)(h0)))  # g_h1_lin: (B, 6272)
    h1 = layers.Reshape((7, 7, 128))(h1)  # (B, 7, 7, 128)
    h1 = ConvCondConcat()(h1, y)  # (B, 7, 7, 138)
    h2 = layers.ReLU()(_carpedm20_bn()(_deconv(128)(h1)))  # g_h2: (B, 14, 14, 128)
    h2 = ConvCondConcat()(h2, y)  # (B, 14, 14, 138)
    image = layers.Activation("sigmoid")(_deconv(channels)(h2))  # g_h3: (B, 28, 28, C)
    return keras.Model([noise, label], image, name="carpedm20_generator")


def make_carpedm20_discriminator(channels: int = 1) -> keras.Model:
    """(image (B, 28, 28, channels) in [0, 1], label (B,)) -> one logit (B, 1)."""
    image = keras.Input(shape=(28, 28, channels), name="image")
    label = keras.Input(shape=(), dtype="int32", name="label")
    y = layers.CategoryEncoding(NUM_CLASSES, output_mode="one_hot")(label)  # (B, 10)
    x = ConvCondConcat()(image, y)  # (B, 28, 28, C + 10)
    h0 = layers.LeakyReLU(0.2)(_conv(channels + NUM_CLASSES)(x))  # d_h0_conv: (B, 14, 14, C+10)
    h0 = ConvCondConcat()(h0, y)  # (B, 14, 14, C + 20)
    h1 = _conv(64 + NUM_CLASSES)(h0)  # d_h1_conv: (B, 7, 7, 74)
    h1 = layers.LeakyReLU(0.2)(_carpedm20_bn()(h1))
    h1 = layers.Concatenate()([layers.Flatten()(h1), y])  # (B, 3626 + 10)
    h2 = layers.LeakyReLU(0.2)(_carpedm20_bn()(_linear(1024)(h1)))  # d_h2_lin: (B, 1024)
    h2 = layers.Concatenate()([h2, y])  # (B, 1034)
    logit = _linear(1)(h2)  # d_h3_lin: (B, 1)
    return keras.Model([image, label], logit, name="carpedm20_discriminator")
