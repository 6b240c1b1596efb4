"""The tutorial's two models, layer for layer: shapes and parameter counts."""

import numpy as np

from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model


def test_generator_has_the_tutorials_parameter_count():
    assert make_generator_model().count_params() == 2_330_944


def test_discriminator_has_the_tutorials_parameter_count():
    assert make_discriminator_model().count_params() == 212_865


def test_generator_layer_output_shapes():
    shapes = [tuple(layer.output.shape) for layer in make_generator_model().layers]
    assert shapes == [
        (None, 12544), (None, 12544), (None, 12544), (None, 7, 7, 256),
        (None, 7, 7, 128), (None, 7, 7, 128), (None, 7, 7, 128),
        (None, 14, 14, 64), (None, 14, 14, 64), (None, 14, 14, 64),
        (None, 28, 28, 1),
    ]  # fmt: skip


def test_discriminator_layer_output_shapes():
    shapes = [tuple(layer.output.shape) for layer in make_discriminator_model().layers]
    assert shapes == [
        (None, 14, 14, 64), (None, 14, 14, 64), (None, 14, 14, 64),
        (None, 7, 7, 128), (None, 7, 7, 128), (None, 7, 7, 128),
        (None, 6272), (None, 1),
    ]  # fmt: skip


def test_generator_output_is_an_image_batch_in_tanh_range():
    images = make_generator_model()(np.random.default_rng(0).normal(size=(3, 100)), training=False)
    assert images.shape == (3, 28, 28, 1)
    assert np.abs(images.numpy()).max() <= 1.0


def test_noise_dim_is_the_generators_input_size():
    assert make_generator_model(noise_dim=64).input_shape == (None, 64)


def test_at_other_sizes_the_dense_layer_starts_at_a_quarter_of_the_picture():
    for size in (32, 64, 128):
        layers = make_generator_model(channels=3, image_size=size).layers
        assert layers[3].output.shape == (None, size // 4, size // 4, 256)
        assert layers[-1].output.shape == (None, size, size, 3)


def test_at_other_sizes_the_discriminator_halves_the_picture_twice_to_one_logit():
    for size in (32, 64, 128):
        layers = make_discriminator_model(channels=3, image_size=size).layers
        assert layers[3].output.shape == (None, size // 4, size // 4, 128)
        assert layers[-1].output.shape == (None, 1)


def test_at_64_only_the_dense_layer_and_the_flattened_logit_grow():
    # 100 x 16 x 16 x 256 Dense weights instead of 100 x 7 x 7 x 256, the rest as at 28.
    assert make_generator_model(image_size=64).count_params() == 2_330_944 + 100 * 256 * (
        16 * 16 - 7 * 7
    ) + 2 * 2 * 256 * (16 * 16 - 7 * 7)  # the Dense weights and its batch norm's four vectors
    assert make_discriminator_model(image_size=64).count_params() == 212_865 + 128 * (
        16 * 16 - 7 * 7
    )
