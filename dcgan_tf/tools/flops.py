"""Work accounting: the floating-point operations of one train step, from the layer shapes.

Forward FLOPs per example, per layer (one multiply-add = 2 FLOPs):

    Dense            2 * in * out                       (+ out for the bias)
    Conv2D           2 * Hout * Wout * Cout * kh * kw * Cin   (+ Hout * Wout * Cout for the bias)
    Conv2DTranspose  2 * Hin * Win * Cin * kh * kw * Cout     (+ Hout * Wout * Cout for the bias)

A transposed convolution scatters a kh x kw x Cout patch from every input pixel: it is the adjoint
(the input gradient) of a Conv2D from its output back to its input, and costs the same. Both are
counted densely, as the kernels compute them: products with "same" padding's zeros included.

Elementwise layers cost a few FLOPs per output element (the constants below): batch
normalization in training mode 6 (1 for the batch mean, 3 for the variance (x - mean)^2 summed,
2 for the scale and shift folded into x * a + b), LeakyReLU 2 (a multiply and a max), ReLU 1,
tanh and sigmoid 4 (an exp, an add, a divide and a multiply, each counted as one), dropout 1 (the
training-mode multiply by the scaled keep mask). Reshape, Flatten, Concatenate, one-hot and
embedding look-ups move data and cost 0. A model nested inside a model is counted layer by layer.

Backward, per layer, the standard rule: the input gradient costs one forward (a Dense's dx = dy W^T
is the same matmul shape as y = x W; a convolution's is the transposed convolution), and the
weight gradient of a layer with trainable weights costs one more (dW = x^T dy). So a layer with
weights costs 2x its forward, a weightless layer 1x, except that no input gradient is needed below
the first layer with weights: nothing there is trainable (the generator's Dense sees the noise,
the discriminator's first Conv2D a real image), so the first layer with weights costs 1x (its
weight gradient) and a weightless layer below it 0x. The nets are read as chains in layer order
(a layer needs an input gradient when a layer with weights comes before it): for every model of
models.specs.MODEL_SPECS that is the same as asking whether one feeds it.

One tutorial train step (train_step.py) at batch B, with both tapes recording the same forward:

    step = B * [ G_fwd + 2 D_fwd         forward: B noise vectors, B real + B fake images
               + D_bwd(real)             disc tape: weights + inputs above the first layer
               + D_bwd(fake)             disc tape: the same on the fake batch
               + D_in(fake)              gen tape: inputs of EVERY D layer, down to the fakes
               + G_bwd ]                 gen tape: weights + inputs above the first layer
         + ADAM_FLOPS_PER_PARAMETER * (G params + D params)      the two optimizer updates

with D_bwd = D_weights + D_in_above_first, G_bwd = G_weights + G_in_above_first, and
D_in = the input gradients of all D layers. The fake batch is backpropagated through the
discriminator twice, because the two tapes start from different losses (gen_loss, disc_loss): no
gradient is shared. The gen tape's discriminator weight gradients are not counted: nothing uses
them, and the traced step drops ops whose results nothing uses. The losses (a few FLOPs per
logit) are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

# FLOPs per output element of the elementwise layers (see the module docstring for why).
BATCH_NORM_FLOPS = 6
DROPOUT_FLOPS = 1
ACTIVATION_FLOPS = {"linear": 0, "relu": 1, "leaky_relu": 2, "tanh": 4, "sigmoid": 4}
# Adam per parameter: m (3), v (4), lr * m / (sqrt(v) + eps) (4) and the subtraction (1).
ADAM_FLOPS_PER_PARAMETER = 12


@dataclass(frozen=True)
class LayerFlops:
    """One layer's row of the table: its forward FLOPs per example and backward weights."""

    net: str  # "generator" or "discriminator"
    name: str  # the layer's name, with its enclosing models' names before it ("body/dense")
    kind: str  # the layer's class name
    output_shape: tuple[int, ...]  # per example, no batch axis
    forward: int  # FLOPs per example
    has_weights: bool  # trainable weights: its backward also computes a weight gradient
    needs_input_grad: bool  # something trainable lies below it (see the module docstring)

    @property
    def weight_grad(self) -> int:
        return self.forward if self.has_weights else 0

    @property
    def input_grad(self) -> int:
        return self.forward if self.needs_input_grad else 0


@dataclass(frozen=True)
class FlopReport:
    """FLOPs of one train step: the per-layer rows, each term of the formula and the totals."""

    batch_size: int
    rows: tuple[LayerFlops, ...]
    g_forward: int  # per example
    d_forward: int  # per example
    g_backward: int  # per example: weights + inputs above the first layer
    d_backward: int  # per example and batch (real or fake): weights + inputs above the first layer
    d_input_grad_for_g: int  # per example: the gen tape's pass down through every D layer
    parameters: int  # trainable parameters of both nets
    optimizer: int  # per step: the two Adam updates

    @property
    def per_example(self) -> int:
        """FLOPs of the step per example of the batch (every term that grows with B)."""
        return (
            self.g_forward
            + 2 * self.d_forward
            + 2 * self.d_backward
            + self.d_input_grad_for_g
            + self.g_backward
        )

    @property
    def batch_flops(self) -> int:
        """The step's FLOPs that scale with the batch: per_example * batch_size."""
        return self.per_example * self.batch_size

    @property
    def total(self) -> int:
        """All FLOPs of one train step, the optimizer updates included."""
        return self.batch_flops + self.optimizer

    def gflops_per_second(self, step_seconds: float) -> float:
        """The rate achieved by a train step that took `step_seconds`."""
        return self.total / step_seconds / 1e9


def _shape(tensor) -> tuple[int, ...]:
    """A Keras tensor's shape without its batch axis."""
    return tuple(int(d) for d in tensor.shape[1:])


def _channels_last(layer: layers.Layer, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(H, W, C) of a 2-D feature map, whatever the layer's data_format."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        channels, height, width = shape
        return height, width, channels
    height, width, channels = shape
    return height, width, channels


def _activation_flops(layer: layers.Layer, elements: int) -> int:
    """A layer's fused `activation=` (Dense, Conv2D), per example."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return 0
    return ACTIVATION_FLOPS.get(getattr(activation, "__name__", ""), 0) * elements


def layer_flops(layer: layers.Layer) -> int:
    """Forward FLOPs per example of a built layer (one placed in a model with an Input).

    Counts: see the module docstring. A nested model is the sum of its layers.
    """
    if isinstance(layer, keras.Model):
        return sum(layer_flops(inner) for inner in layer.layers)
    if isinstance(layer, layers.InputLayer):
        return 0
    out_shape = _shape(layer.output)
    elements = math.prod(out_shape)
    bias = elements if getattr(layer, "use_bias", False) else 0
    if isinstance(layer, layers.Dense):
        fan_in = _shape(layer.input)[-1]
        # Every output element is a dot product of length fan_in.
        return 2 * fan_in * elements + bias + _activation_flops(layer, elements)
    if isinstance(layer, layers.Conv2DTranspose):
        in_h, in_w, in_c = _channels_last(layer, _shape(layer.input))
        kh, kw = layer.kernel_size
        out_c = layer.filters
        # Every input pixel scatters a kh x kw x out_c patch, each entry a dot product over in_c.
        return 2 * in_h * in_w * in_c * kh * kw * out_c + bias + _activation_flops(layer, elements)
    if isinstance(layer, layers.Conv2D):
        in_c = _channels_last(layer, _shape(layer.input))[2]
        kh, kw = layer.kernel_size
        # Every output element is a dot product over a kh x kw x (in_c / groups) window.
        window = kh * kw * in_c // layer.groups
        return 2 * elements * window + bias + _activation_flops(layer, elements)
    if isinstance(layer, layers.BatchNormalization):
        return BATCH_NORM_FLOPS * elements
    if isinstance(layer, layers.LeakyReLU):
        return ACTIVATION_FLOPS["leaky_relu"] * elements
    if isinstance(layer, layers.ReLU):
        return ACTIVATION_FLOPS["relu"] * elements
    if isinstance(layer, layers.Activation):
        return _activation_flops(layer, elements)
    if isinstance(layer, layers.Dropout):
        return DROPOUT_FLOPS * elements
    return 0  # reshapes, concatenations, look-ups: no arithmetic


def _leaves(model: keras.Model, prefix: str = "") -> list[tuple[str, layers.Layer]]:
    """The model's layers in order, nested models opened up, each named by its path."""
    leaves = []
    for layer in model.layers:
        name = f"{prefix}{layer.name}"
        if isinstance(layer, keras.Model):
            leaves.extend(_leaves(layer, f"{name}/"))
        elif not isinstance(layer, layers.InputLayer):
            leaves.append((name, layer))
    return leaves


def net_rows(model: keras.Model, net: str) -> list[LayerFlops]:
    """One row per layer of `model`; input gradients from the first layer with weights on up.

    The first layer with weights itself needs no input gradient (its input is data), nor does
    anything below it.
    """
    rows = []
    trainable_below = False
    for name, layer in _leaves(model):
        has_weights = bool(layer.trainable_weights)
        rows.append(
            LayerFlops(
                net=net,
                name=name,
                kind=type(layer).__name__,
                output_shape=_shape(layer.output),
                forward=layer_flops(layer),
                has_weights=has_weights,
                needs_input_grad=trainable_below,
            )
        )
        trainable_below = trainable_below or has_weights
    return rows


def train_step_flops(
    generator: keras.Model, discriminator: keras.Model, batch_size: int
) -> FlopReport:
    """FLOPs of one tutorial train step at `batch_size` (the formula in the module docstring)."""
    g_rows = net_rows(generator, "generator")
    d_rows = net_rows(discriminator, "discriminator")
    parameters = sum(
        int(np.prod(w.shape))
        for w in [*generator.trainable_weights, *discriminator.trainable_weights]
    )
    return FlopReport(
        batch_size=batch_size,
        rows=tuple(g_rows + d_rows),
        g_forward=sum(r.forward for r in g_rows),
        d_forward=sum(r.forward for r in d_rows),
        # The generator's tape: its own weight gradients and the input gradients above its
        # first layer (the Dense's input is the noise, which is not trained).
        g_backward=sum(r.weight_grad + r.input_grad for r in g_rows),
        # The discriminator's tape, once per batch (real, fake): the same rule; its first layer's
        # input is an image and the disc tape trains nothing below it.
        d_backward=sum(r.weight_grad + r.input_grad for r in d_rows),
        # The generator's tape starts at the discriminator's logits on the fakes and must reach
        # the generated images: every D layer's input gradient, the first layer's included, and
        # no D weight gradients (not asked for, so pruned from the traced step).
        d_input_grad_for_g=sum(r.forward for r in d_rows),
        parameters=parameters,
        optimizer=ADAM_FLOPS_PER_PARAMETER * parameters,
    )
