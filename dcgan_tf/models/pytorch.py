"""The PyTorch DCGAN tutorial's pair (pytorch/tutorials, beginner_source/dcgan_faces_tutorial.py),
at 64x64 exactly as its code builds it, and at 28, 32 and 128 by its own rule.

At 64 (nz = 100, ngf = ndf = 64, nc = 3): the generator is ConvTranspose2d(nz, ngf*8, 4, 1, 0)
then four ConvTranspose2d(k=4, s=2, p=1), 1 -> 4 -> 8 -> 16 -> 32 -> 64, with batch norm and ReLU
between and tanh at the end: 3,576,704 parameters, as PyTorch counts them (its batch norms'
running statistics are buffers, not parameters). The discriminator mirrors it, 64 -> 32 -> 16 ->
8 -> 4 with LeakyReLU(0.2) and batch norm on all but the first, then Conv2d(ndf*8, 1, 4, 1, 0) to
one value: 2,765,568 parameters. At 32 the stack has one stride-2 stage fewer, at 128 one more
(widths ngf * 2^k, as the 64 stack's). At 28 (the course's version, 28 is not 4 * 2^k): the first
layer is a 7x7 "valid" transposed convolution, 1 -> 7 -> 14 -> 28, the discriminator 28 -> 14 ->
7 -> one logit from a 7x7 "valid" convolution.

PyTorch's ConvTranspose2d(k=4, s=2, p=1) doubles a size: (n - 1) * 2 - 2 + 4 = 2n, and its
Conv2d(k=4, s=2, p=1) halves an even one. Keras' padding="same" pads such a layer by one pixel on
each side (total k - s = 2), the very same arithmetic (tests/test_course_models.py checks it
against an explicit one-pixel padding). Like PyTorch's, the convolutions have no bias (batch norm
follows them), weights ~ N(0, 0.02), batch norm gammas ~ N(1, 0.02), betas zero, momentum 0.1 in
PyTorch's sense (0.9 in Keras'), eps 1e-5. PyTorch's final Sigmoid + BCELoss is the project's
binary cross-entropy on the logit.
"""

from __future__ import annotations

import keras
from keras import initializers, layers

# Per picture size: the first layer's output size (its kernel too), the generator's widths (one
# per layer before the last) and the discriminator's (one per stride-2 layer).
STACKS = {
    28: (7, (256, 128), (64, 128)),
    32: (4, (256, 128, 64), (64, 128, 256)),
    64: (4, (512, 256, 128, 64), (64, 128, 256, 512)),  # the PyTorch tutorial's own
    128: (4, (1024, 512, 256, 128, 64), (64, 128, 256, 512, 1024)),
}


def _weights() -> initializers.Initializer:
    return initializers.RandomNormal(stddev=0.02)


def _batch_norm() -> layers.BatchNormalization:
    return layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5, gamma_initializer=initializers.RandomNormal(1.0, 0.02)
    )


def make_pytorch_generator(
    noise_dim: int = 100, channels: int = 1, image_size: int = 28
) -> keras.Sequential:
    """Noise (B, noise_dim), seen as a 1x1 image -> image (B, S, S, channels) in [-1, 1]."""
    start, widths, _ = STACKS[image_size]
    stack = [keras.Input(shape=(noise_dim,)), layers.Reshape((1, 1, noise_dim))]  # (B, 1, 1, nz)
    for i, width in enumerate(widths):
        kernel, stride, padding = (start, 1, "valid") if i == 0 else (4, 2, "same")
        # (B, start, start, widths[0]), then each layer doubles the size
        stack += [
            layers.Conv2DTranspose(
                width, kernel, stride, padding, use_bias=False, kernel_initializer=_weights()
            ),
            _batch_norm(),
            layers.ReLU(),
        ]
    stack += [
        layers.Conv2DTranspose(
            channels, 4, 2, "same", use_bias=False, kernel_initializer=_weights()
        ),  # (B, S, S, channels)
        layers.Activation("tanh"),
    ]
    return keras.Sequential(stack, name="pytorch_generator")


def make_pytorch_discriminator(channels: int = 1, image_size: int = 28) -> keras.Sequential:
    """Image (B, S, S, channels) -> one logit (B, 1)."""
    end, _, widths = STACKS[image_size]
    stack = [keras.Input(shape=(image_size, image_size, channels))]
    for i, width in enumerate(widths):
        # each layer halves the size: (B, S/2, S/2, 64), ..., (B, end, end, widths[-1])
        stack.append(
            layers.Conv2D(width, 4, 2, "same", use_bias=False, kernel_initializer=_weights())
        )
        if i > 0:  # no batch norm on the input layer
            stack.append(_batch_norm())
        stack.append(layers.LeakyReLU(0.2))
    stack += [
        layers.Conv2D(1, end, 1, "valid", use_bias=False, kernel_initializer=_weights()),
        layers.Flatten(),  # (B, 1)
    ]
    return keras.Sequential(stack, name="pytorch_discriminator")
