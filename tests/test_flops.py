"""Work accounting: FLOPs per layer from the shapes, per train step, and the matmul peak."""

import math

import keras
import numpy as np
import pytest
from keras import layers

from dcgan_tf.common.errors import UserError
from dcgan_tf.models.conditional import make_conditional_generator
from dcgan_tf.tools.flops import ADAM_FLOPS_PER_PARAMETER, layer_flops, net_rows, train_step_flops
from dcgan_tf.tools.flops_report import format_formula, format_table, matmul_peak_gflops
from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model


def placed(input_shape: tuple[int, ...], *stack: layers.Layer) -> keras.Sequential:
    """The layers built on an input of `input_shape` (layer_flops reads their shapes)."""
    return keras.Sequential([keras.Input(shape=input_shape), *stack])


def test_dense_flops_are_two_per_weight_plus_the_bias():
    with_bias, no_bias = layers.Dense(3), layers.Dense(3, use_bias=False)
    placed((4,), with_bias)
    placed((4,), no_bias)
    assert layer_flops(no_bias) == 2 * 4 * 3  # 24
    assert layer_flops(with_bias) == 2 * 4 * 3 + 3  # 27


def test_dense_fused_relu_adds_one_flop_per_output():
    dense = layers.Dense(3, activation="relu")
    placed((4,), dense)
    assert layer_flops(dense) == 24 + 3 + 3


def test_conv2d_flops_count_every_output_window():
    valid = layers.Conv2D(3, (3, 3), padding="valid", use_bias=False)
    placed((5, 5, 2), valid)  # -> (3, 3, 3)
    assert layer_flops(valid) == 2 * (3 * 3 * 3) * (3 * 3 * 2)  # 972

    strided = layers.Conv2D(4, (5, 5), strides=(2, 2), padding="same")
    placed((8, 8, 3), strided)  # -> (4, 4, 4); "same" padding's zeros are multiplied too
    assert layer_flops(strided) == 2 * (4 * 4 * 4) * (5 * 5 * 3) + 4 * 4 * 4  # 9664


def linear_map(model: keras.Model, input_shape: tuple[int, ...]) -> np.ndarray:
    """The matrix (outputs x inputs) of a linear model, column by column from the unit vectors."""
    size = math.prod(input_shape)
    basis = np.eye(size, dtype=np.float32).reshape(size, *input_shape)
    return np.asarray(model(basis)).reshape(size, -1).T


def test_conv2d_transpose_is_the_adjoint_of_conv2d_and_costs_the_same():
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 3, 2)).astype(np.float32)  # (kh, kw, 3 maps, 2 maps)
    # The transposed convolution 3x3x2 -> 7x7x3 and the convolution 7x7x3 -> 3x3x2.
    transpose = layers.Conv2DTranspose(3, (3, 3), strides=(2, 2), padding="valid", use_bias=False)
    conv = layers.Conv2D(2, (3, 3), strides=(2, 2), padding="valid", use_bias=False)
    transpose_model, conv_model = placed((3, 3, 2), transpose), placed((7, 7, 3), conv)
    transpose.set_weights([kernel])
    conv.set_weights([kernel])

    scatter = linear_map(transpose_model, (3, 3, 2))  # (147, 18)
    gather = linear_map(conv_model, (7, 7, 3))  # (18, 147)
    np.testing.assert_allclose(scatter, gather.T, atol=1e-5)
    assert layer_flops(transpose) == layer_flops(conv)
    # Brute force: one multiply-add per non-zero entry of the layer's matrix (each entry is a
    # single kernel weight; "valid" padding drops no product).
    assert layer_flops(transpose) == 2 * np.count_nonzero(scatter) == 2 * 3 * 3 * 2 * 3 * 3 * 3


def test_tutorial_generator_forward_is_the_documented_sum():
    expected = (
        2 * 100 * 12544  # Dense 100 -> 12544, no bias
        + 6 * 12544  # BatchNormalization
        + 2 * 12544  # LeakyReLU
        + 0  # Reshape to 7x7x256
        + 2 * 7 * 7 * 256 * 5 * 5 * 128  # Conv2DTranspose 128, stride 1 -> 7x7x128
        + 6 * 6272  # BatchNormalization
        + 2 * 6272  # LeakyReLU
        + 2 * 7 * 7 * 128 * 5 * 5 * 64  # Conv2DTranspose 64, stride 2 -> 14x14x64
        + 6 * 12544  # BatchNormalization
        + 2 * 12544  # LeakyReLU
        + 2 * 14 * 14 * 64 * 5 * 5 * 1  # Conv2DTranspose 1, stride 2 -> 28x28x1
        + 4 * 784  # its tanh
    )
    assert expected == 103_742_016
    assert layer_flops(make_generator_model()) == expected


def test_tutorial_discriminator_forward_is_the_documented_sum():
    expected = (
        2 * 14 * 14 * 64 * 5 * 5 * 1 + 12544  # Conv2D 64, stride 2 -> 14x14x64, with its bias
        + 2 * 12544 + 12544  # LeakyReLU, Dropout
        + 2 * 7 * 7 * 128 * 5 * 5 * 64 + 6272  # Conv2D 128, stride 2 -> 7x7x128, with its bias
        + 2 * 6272 + 6272  # LeakyReLU, Dropout
        + 2 * 6272 * 1 + 1  # Flatten, Dense 6272 -> 1
    )  # fmt: skip
    assert expected == 20_785_409
    assert layer_flops(make_discriminator_model()) == expected


def test_nested_models_are_counted_layer_by_layer():
    # The conditional generator is the tutorial's, on noise + a 10-way one-hot, inside a model.
    assert layer_flops(make_conditional_generator()) == layer_flops(make_generator_model(110))


def test_no_input_gradient_below_the_first_layer_with_weights():
    model = placed((4,), layers.ReLU(), layers.Dense(3), layers.ReLU(), layers.Dense(2))
    assert [row.needs_input_grad for row in net_rows(model, "g")] == [False, False, True, True]


def test_step_is_the_documented_formula_on_a_tiny_pair():
    g = placed((4,), layers.Dense(3, use_bias=False), layers.ReLU())  # fwd 24 + 3
    d = placed((3,), layers.Dense(2, use_bias=False), layers.ReLU(), layers.Dense(1))  # 12+2+5
    report = train_step_flops(g, d, batch_size=5)
    g_fwd, d_fwd = 27, 19
    g_bwd = 24 + 3  # Dense: weights only (the noise needs no gradient); ReLU: its input
    d_bwd = 12 + 2 + 2 * 5  # Dense: weights only; ReLU: input; last Dense: weights and input
    d_in = 12 + 2 + 5  # the gen tape goes through every D layer down to the fakes
    assert (report.g_backward, report.d_backward, report.d_input_grad_for_g) == (g_bwd, d_bwd, d_in)
    parameters = 12 + 6 + 3
    assert report.total == 5 * (g_fwd + 2 * d_fwd + 2 * d_bwd + d_in + g_bwd) + (
        ADAM_FLOPS_PER_PARAMETER * parameters
    )


def test_step_batch_flops_scale_linearly_with_the_batch():
    g, d = make_generator_model(), make_discriminator_model()
    one, many = train_step_flops(g, d, 1), train_step_flops(g, d, 256)
    assert many.batch_flops == 256 * one.batch_flops
    assert many.total - one.total == 255 * one.batch_flops  # the Adam updates do not grow


def test_table_has_one_row_per_layer_and_the_totals():
    report = train_step_flops(make_generator_model(), make_discriminator_model(), 256)
    table = format_table(report)
    assert len(table.splitlines()) == 2 + len(report.rows) + 2
    # The first transposed convolution (Keras numbers the layer names process-wide).
    assert "(Conv2DTranspose) | 7x7x128 | 80.28 | 64.5% |" in table
    assert format_formula(report).endswith(f"= {report.total / 1e9:,.2f} GFLOP")


def test_matmul_peak_is_a_positive_rate():
    for dtype in ("float32", "bfloat16"):
        rate = matmul_peak_gflops(dtype, n=32, seconds=0.05)
        assert math.isfinite(rate) and rate > 0


def test_matmul_peak_rejects_an_unknown_dtype():
    with pytest.raises(UserError, match="float32"):
        matmul_peak_gflops("int8", n=8, seconds=0.01)
