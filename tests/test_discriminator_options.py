"""--disc-dropout R sets every Dropout layer's rate; --spectral-norm wraps the discriminator's
Conv2D and Dense layers in SpectralNormalization (same parameters, largest singular value 1), and
a run trained with it samples through `python -m dcgan_tf.sample`."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig, load_saved_config
from dcgan_tf.generate import main as generate_main
from dcgan_tf.generator.sampling import load_run
from dcgan_tf.options.discriminator import set_dropout, with_spectral_norm
from dcgan_tf.run.state import build_state
from dcgan_tf.sample import main as sample_main
from dcgan_tf.tutorial.dataset import to_model_range

IMAGES = tf.constant(to_model_range(synthetic_digits(8, seed=3)[0]))
TUTORIAL_DISCRIMINATOR_PARAMETERS = 212_865


def dropouts(model: keras.Model) -> list[keras.layers.Dropout]:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]


def wrapped(model: keras.Model) -> list[keras.layers.SpectralNormalization]:
    return [
        layer for layer in model.layers if isinstance(layer, keras.layers.SpectralNormalization)
    ]


def trainable_parameters(model: keras.Model) -> int:
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def largest_singular_value(kernel: tf.Variable) -> float:
    """Of the kernel as the (fan-in, units) matrix Keras normalises: sqrt of W^T W's largest
    eigenvalue (a full SVD of the 3200 x 128 matrix is slow on a busy machine)."""
    matrix = kernel.numpy().reshape(-1, kernel.shape[-1]).astype(np.float64)
    return float(np.sqrt(np.linalg.eigvalsh(matrix.T @ matrix)[-1]))


def test_disc_dropout_sets_the_rate_of_every_dropout_layer():
    assert [layer.rate for layer in dropouts(build_state(100, 1e-4, 0).discriminator)] == [0.3] * 2
    discriminator = build_state(100, 1e-4, 0, disc_dropout=0.15).discriminator
    assert [layer.rate for layer in dropouts(discriminator)] == [0.15, 0.15]


def test_disc_dropout_zero_switches_dropout_off_in_training_mode():
    off = build_state(100, 1e-4, 0, disc_dropout=0.0).discriminator
    np.testing.assert_array_equal(off(IMAGES, training=True), off(IMAGES, training=True))
    np.testing.assert_allclose(off(IMAGES, training=True), off(IMAGES, training=False), atol=1e-6)
    on = build_state(100, 1e-4, 0).discriminator  # the tutorial's 0.3 does drop
    assert not np.array_equal(on(IMAGES, training=True), on(IMAGES, training=True))


def test_disc_dropout_on_a_discriminator_without_dropout_is_refused_naming_the_flag():
    mlp = build_state(100, 1e-3, 0, "gan").discriminator
    with pytest.raises(UserError, match=r"^--disc-dropout: the .* has no Dropout layer"):
        set_dropout(mlp, 0.1)


def test_disc_dropout_zero_on_a_discriminator_without_dropout_leaves_it_as_it_is():
    mlp = build_state(100, 1e-3, 0, "gan", disc_dropout=0.0).discriminator  # no error
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in mlp.layers)


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5])
def test_a_dropout_rate_outside_zero_to_one_is_refused(rate):
    with pytest.raises(UserError, match=r"^--disc-dropout must be in \[0, 1\)"):
        TrainConfig(disc_dropout=rate)


def test_spectral_norm_keeps_the_tutorial_discriminators_trainable_parameters():
    plain = build_state(100, 1e-4, 0).discriminator
    normalised = build_state(100, 1e-4, 0, spectral_norm=True).discriminator
    assert trainable_parameters(plain) == TUTORIAL_DISCRIMINATOR_PARAMETERS
    assert trainable_parameters(normalised) == TUTORIAL_DISCRIMINATOR_PARAMETERS
    assert len(wrapped(normalised)) == 3  # both convolutions and the dense layer
    assert [type(layer.layer).__name__ for layer in wrapped(normalised)] == [
        "Conv2D",
        "Conv2D",
        "Dense",
    ]
    # The same weights as the model's own (the same seed): only the wrapping is new.
    for a, b in zip(plain.trainable_variables, normalised.trainable_variables, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_spectral_norm_brings_each_wrapped_kernels_largest_singular_value_to_one():
    """One power iteration per training call (Keras'): the estimate is a lower bound, so the
    normalised kernel's largest singular value is at least 1 and falls towards it call by call.
    (The second convolution's two largest singular values are close at the random start: it is
    at 1.03 after 8 calls, 1.016 after 24.)"""
    discriminator = build_state(100, 1e-4, 0, spectral_norm=True).discriminator
    kernels = [layer.layer.kernel for layer in wrapped(discriminator)]
    assert max(abs(largest_singular_value(k) - 1) for k in kernels) > 0.3  # not so at the start
    call = tf.function(lambda x: discriminator(x, training=True))
    history = []
    for calls in range(1, 25):
        call(IMAGES[:4])
        if calls in (1, 2, 4, 8, 16, 24):
            history.append([largest_singular_value(k) for k in kernels])
    history = np.array(history)
    assert (history > 1 - 1e-4).all()
    assert (np.diff(history, axis=0) < 1e-4).all()  # never rising
    np.testing.assert_allclose(history[-1], 1.0, atol=2e-2)
    assert history[-1, 0] == pytest.approx(1.0, abs=1e-3)  # the first convolution: converged


def test_spectral_norm_leaves_the_kernels_alone_in_inference_mode():
    discriminator = build_state(100, 1e-4, 0, spectral_norm=True).discriminator
    before = [v.numpy() for v in discriminator.weights]
    discriminator(IMAGES, training=False)
    for a, b in zip(before, discriminator.weights, strict=True):
        np.testing.assert_array_equal(a, b.numpy())


def test_spectral_norm_needs_a_sequential_discriminator():
    inputs = keras.Input((28, 28, 1))
    functional = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(inputs)))
    with pytest.raises(UserError, match=r"^--spectral-norm works on Sequential"):
        with_spectral_norm(functional)


@pytest.fixture(scope="module")
def spectral_run(tmp_path_factory):
    """`generate --spectral-norm --steps 2` on 200 tiny digits: its checkpoint folder."""
    from conftest import write_mnist_dir

    root = tmp_path_factory.mktemp("sn")
    data = write_mnist_dir(root / "mnist")
    folders = ["--out", str(root / "out"), "--checkpoint-dir", str(root / "ck")]
    argv = ["--data-dir", str(data), "--steps", "2", "--batch-size", "32", "--spectral-norm",
            "--no-tensorboard", *folders]  # fmt: skip
    assert generate_main(argv) == 0
    return root / "ck"


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_spectral_norm_run_samples_through_the_sample_command(spectral_run, tmp_path):
    assert load_saved_config(spectral_run).spectral_norm
    output = tmp_path / "s.npy"
    argv = ["--checkpoint-dir", str(spectral_run), "--num", "4", "--format", "npy",
            "--output", str(output)]  # fmt: skip
    assert sample_main(argv) == 0
    assert np.load(output).shape == (4, 28, 28)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_loaded_spectral_norm_run_has_its_trained_power_iteration_vectors(spectral_run):
    state, config, path = load_run(spectral_run)
    reader = tf.train.load_checkpoint(path)
    names = [name for name, _ in tf.train.list_variables(path) if "vector_u" in name]
    saved = [reader.get_tensor(name) for name in names]
    assert len(saved) == 3
    fresh = build_state(100, 1e-4, config.seed, spectral_norm=True).discriminator
    for layer, start in zip(wrapped(state.discriminator), wrapped(fresh), strict=True):
        assert any(np.array_equal(layer.vector_u.numpy(), vector) for vector in saved)
        assert not np.array_equal(layer.vector_u.numpy(), start.vector_u.numpy())  # trained
