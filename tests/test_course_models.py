"""The course's other DCGANs: layer sizes of their own code, the two-class softmax loss, the
PyTorch padding, their presets, and each one trained, resumed, sampled and swept for a few steps."""

import dataclasses

import imageio.v3 as iio
import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import TrainingWatch, first_then_slow, synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.measure import GeneratorSampler
from dcgan_tf.interpolate import main as interpolate_main
from dcgan_tf.models.course import ConvCondConcat
from dcgan_tf.models.specs import MODEL_SPECS
from dcgan_tf.options.losses import two_class_logit
from dcgan_tf.run.state import build_state
from dcgan_tf.sample import main as sample_main
from dcgan_tf.training.loop import train
from dcgan_tf.training.steps import nets_of
from dcgan_tf.tutorial.losses import discriminator_loss, generator_loss
from dcgan_tf.tutorial.train_step import StepOptions, make_train_step

NEW_MODELS = ("tfexamples", "carpedm20", "pytorch")


def bn(units: int) -> int:
    return 4 * units  # gamma, beta, moving mean, moving variance


# Every count spelled out from the layers of the model's own code (see course_models.py).
TFEXAMPLES_G = (100 * 6272 + 6272) + bn(6272) + (25 * 128 * 64 + 64) + bn(64) + (25 * 64 + 1)
TFEXAMPLES_D = (
    (25 * 64 + 64) + bn(64) + (25 * 64 * 128 + 128) + bn(128)
    + (6272 * 1024 + 1024) + bn(1024) + (1024 * 2 + 2)
)  # fmt: skip
CARPEDM20_G = (
    (110 * 1024 + 1024) + bn(1024) + (1034 * 6272 + 6272) + bn(6272)  # g_h0_lin, g_h1_lin
    + (25 * 138 * 128 + 128) + bn(128) + (25 * 138 * 1 + 1)  # g_h2, g_h3 (label planes joined)
)  # fmt: skip
CARPEDM20_D = (
    (25 * 11 * 11 + 11) + (25 * 21 * 74 + 74) + bn(74)  # d_h0_conv, d_h1_conv
    + (3636 * 1024 + 1024) + bn(1024) + (1034 * 1 + 1)  # d_h2_lin, d_h3_lin
)  # fmt: skip
PYTORCH_G = 49 * 100 * 256 + bn(256) + 16 * 256 * 128 + bn(128) + 16 * 128  # no biases
PYTORCH_D = 16 * 64 + 16 * 64 * 128 + bn(128) + 49 * 128


@pytest.mark.parametrize(
    ("model", "generator_params", "discriminator_params"),
    [
        ("tfexamples", TFEXAMPLES_G, TFEXAMPLES_D),
        ("carpedm20", CARPEDM20_G, CARPEDM20_D),
        ("pytorch", PYTORCH_G, PYTORCH_D),
    ],
)
def test_parameter_counts_follow_the_layers_of_each_models_own_code(
    model, generator_params, discriminator_params
):
    spec = MODEL_SPECS[model]
    assert spec.make_generator(100, 1).count_params() == generator_params
    assert spec.make_discriminator(1).count_params() == discriminator_params


def test_the_counts_in_numbers():
    assert (TFEXAMPLES_G, TFEXAMPLES_D) == (865_281, 6_637_058)
    assert (CARPEDM20_G, CARPEDM20_D) == (7_080_059, 3_771_675)
    assert (PYTORCH_G, PYTORCH_D) == (1_782_272, 138_880)


def test_pytorch_generator_doubles_the_resolution_after_a_7x7_start():
    generator = MODEL_SPECS["pytorch"].make_generator(100, 1)
    sizes = [layer.output.shape[1:3] for layer in generator.layers if "transpose" in layer.name]
    assert sizes == [(7, 7), (14, 14), (28, 28)]
    discriminator = MODEL_SPECS["pytorch"].make_discriminator(1)
    sizes = [layer.output.shape[1:3] for layer in discriminator.layers if "conv" in layer.name]
    assert sizes == [(14, 14), (7, 7), (1, 1)]


def trainable_parameters(model: keras.Model) -> int:
    """Parameters as PyTorch counts them: batch norms' running statistics are buffers."""
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def test_pytorch_at_64_is_the_pytorch_tutorials_pair_parameter_for_parameter():
    # dcgan_faces_tutorial.py, nz=100, ngf=ndf=64, nc=3. Generator: ConvT(100, 512, 4, 1, 0),
    # ConvT(512, 256), ConvT(256, 128), ConvT(128, 64), ConvT(64, 3), no biases, and the batch
    # norms' weight and bias after the first four; discriminator: Conv(3, 64), Conv(64, 128),
    # Conv(128, 256), Conv(256, 512), Conv(512, 1, 4, 1, 0), batch norms after the middle three.
    generator_layers = [100 * 512, 512 * 256, 256 * 128, 128 * 64, 64 * 3]
    generator = 16 * sum(generator_layers) + 2 * (512 + 256 + 128 + 64)
    discriminator_layers = [3 * 64, 64 * 128, 128 * 256, 256 * 512, 512 * 1]
    discriminator = 16 * sum(discriminator_layers) + 2 * (128 + 256 + 512)
    assert (generator, discriminator) == (3_576_704, 2_765_568)
    spec = MODEL_SPECS["pytorch"]
    assert trainable_parameters(spec.make_generator(100, 3, image_size=64)) == generator
    assert trainable_parameters(spec.make_discriminator(3, image_size=64)) == discriminator


@pytest.mark.parametrize(
    ("size", "generator_sizes", "discriminator_sizes"),
    [
        (32, [4, 8, 16, 32], [16, 8, 4, 1]),
        (64, [4, 8, 16, 32, 64], [32, 16, 8, 4, 1]),
        (128, [4, 8, 16, 32, 64, 128], [64, 32, 16, 8, 4, 1]),
    ],
)
def test_pytorch_doubles_from_4x4_with_one_stage_fewer_at_32_and_one_more_at_128(
    size, generator_sizes, discriminator_sizes
):
    spec = MODEL_SPECS["pytorch"]
    generator = spec.make_generator(100, 3, image_size=size)
    sizes = [layer.output.shape[1] for layer in generator.layers if "transpose" in layer.name]
    assert sizes == generator_sizes
    assert generator.output_shape == (None, size, size, 3)
    discriminator = spec.make_discriminator(3, image_size=size)
    sizes = [layer.output.shape[1] for layer in discriminator.layers if "conv" in layer.name]
    assert sizes == discriminator_sizes


def test_the_models_drawn_only_at_28_refuse_another_size():
    for name in ("cdcgan", "gan", "tfexamples", "carpedm20"):
        with pytest.raises(ValueError, match="builds 28x28 models, not 64x64"):
            MODEL_SPECS[name].make_generator(100, 1, image_size=64)


def test_keras_same_padding_at_kernel_4_stride_2_is_pytorchs_padding_1():
    x = tf.random.stateless_normal([2, 14, 14, 3], seed=[0, 1])
    conv = keras.layers.Conv2D(5, 4, 2, "same", use_bias=False)
    explicit = [[0, 0], [1, 1], [1, 1], [0, 0]]  # PyTorch's padding=1
    ours = conv(x)
    assert ours.shape == (2, 7, 7, 5)
    np.testing.assert_allclose(ours.numpy(), tf.nn.conv2d(x, conv.kernel, 2, explicit), atol=1e-5)

    # A transposed convolution is the gradient of the convolution it transposes: PyTorch's
    # ConvTranspose2d(k=4, s=2, p=1) from 7x7 to 14x14 is that of Conv2d(k=4, s=2, p=1) 14 -> 7.
    z = tf.random.stateless_normal([2, 7, 7, 5], seed=[2, 3])
    transposed = keras.layers.Conv2DTranspose(3, 4, 2, "same", use_bias=False)
    ours = transposed(z)
    assert ours.shape == (2, 14, 14, 3)
    probe = tf.zeros([2, 14, 14, 3])
    with tf.GradientTape() as tape:
        tape.watch(probe)
        inner = tf.reduce_sum(tf.nn.conv2d(probe, transposed.kernel, 2, explicit) * z)
    np.testing.assert_allclose(ours.numpy(), tape.gradient(inner, probe).numpy(), atol=1e-5)


def test_two_class_logit_losses_equal_softmax_cross_entropy_with_real_as_class_1():
    logits = tf.constant([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.9]])
    real = logits[:2]
    fake = logits[1:]

    def softmax_ce(logits, label):
        labels = tf.fill([len(logits)], label)
        return float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)))

    # TensorFlow-Examples: disc_loss = CE(real, 1) + CE(fake, 0); gen_loss = CE(fake, 1).
    expected_disc = softmax_ce(real, 1) + softmax_ce(fake, 0)
    got_disc = discriminator_loss(two_class_logit(real), two_class_logit(fake))
    assert float(got_disc) == pytest.approx(expected_disc, rel=1e-5)
    assert float(generator_loss(two_class_logit(fake))) == pytest.approx(
        softmax_ce(fake, 1), rel=1e-5
    )


def test_the_tfexamples_update_scores_with_two_class_softmax_cross_entropy():
    state = build_state(100, 2e-3, seed=0, model="tfexamples")
    images = tf.constant(MODEL_SPECS["tfexamples"].scale(synthetic_digits(8)[0]))
    noise = tf.random.stateless_uniform([8, 100], seed=[0, 1], minval=-1, maxval=1)
    # Before the update, by hand: the two-class logits and tf's softmax cross-entropy.
    fakes = state.generator(noise, training=True)
    real_logits = state.discriminator(images, training=True)
    fake_logits = state.discriminator(fakes, training=True)

    def ce(logits, label):
        labels = tf.fill([8], label)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))

    options = StepOptions(logit=two_class_logit)
    update = make_train_step(*nets_of(state), options)
    losses = update(images, noise)
    assert float(losses["disc_loss"]) == pytest.approx(
        float(ce(real_logits, 1) + ce(fake_logits, 0)), rel=1e-4
    )
    assert float(losses["gen_loss"]) == pytest.approx(float(ce(fake_logits, 1)), rel=1e-4)


def test_carpedm20_joins_the_one_hot_label_to_every_layers_input():
    features = tf.zeros([2, 3, 3, 4])
    joined = ConvCondConcat()(features, tf.one_hot([1, 7], 10))
    assert joined.shape == (2, 3, 3, 14)
    np.testing.assert_array_equal(joined[0, 2, 1, 4:].numpy(), np.eye(10)[1])
    np.testing.assert_array_equal(joined[1, 0, 0, 4:].numpy(), np.eye(10)[7])
    generator = MODEL_SPECS["carpedm20"].make_generator(100, 1)
    concatenations = [layer for layer in generator.layers if isinstance(layer, ConvCondConcat)]
    assert len(concatenations) == 2  # before g_h2 and g_h3
    noise = tf.tile(tf.random.stateless_uniform([1, 100], seed=[0, 0], minval=-1), [2, 1])
    images = generator([noise, tf.constant([3, 8])], training=False).numpy()
    assert images.min() >= 0.0 and images.max() <= 1.0  # sigmoid output
    assert np.abs(images[0] - images[1]).max() > 1e-4


def test_the_presets_are_each_codes_own_settings():
    tfex = TrainConfig.for_model(model="tfexamples")
    assert (tfex.batch_size, tfex.learning_rate, tfex.beta1, tfex.steps) == (
        128,
        0.002,
        0.5,
        10_000,
    )
    assert (tfex.update, tfex.gen_steps, tfex.gen_noise) == ("alternating", 1, "fresh")
    carpe = TrainConfig.for_model(model="carpedm20")
    assert (carpe.batch_size, carpe.learning_rate, carpe.beta1, carpe.epochs) == (64, 2e-4, 0.5, 25)
    assert (carpe.update, carpe.gen_steps, carpe.gen_noise) == ("alternating", 2, "same")
    torch = TrainConfig.for_model(model="pytorch")
    assert (torch.batch_size, torch.learning_rate, torch.beta1) == (128, 2e-4, 0.5)
    assert (torch.update, torch.gen_noise) == ("alternating", "same")
    assert TrainConfig.for_model(model="gan").update == "alternating"
    assert TrainConfig.for_model().update == "simultaneous"  # the tutorial's, unchanged
    for model in NEW_MODELS:
        assert MODEL_SPECS[model].uniform_noise == (model != "pytorch")  # torch.randn


def test_beta1_reaches_both_optimizers():
    state = build_state(100, 2e-4, 0, model="pytorch", beta1=0.5)
    assert state.generator_optimizer.beta_1 == state.discriminator_optimizer.beta_1 == 0.5
    assert build_state(100, 1e-4, 0).generator_optimizer.beta_1 == 0.9  # the tutorial's


# Seen on the shared 2-core machine (load 9): the runs take 7 s (pytorch), 11 s (tfexamples: a
# 6.6M-parameter discriminator) and 18 s (carpedm20: three updates per step); the last two run
# with the slow tests.
RUNS = first_then_slow(["pytorch", "tfexamples", "carpedm20"])


@pytest.fixture(scope="module", params=RUNS)
def trained(request, tmp_path_factory):
    """A 2-step run of each model's preset at batch 8, resumed to 3 steps; how the resumed call
    began and what it trained; and the generator of the same preset run 3 steps at once."""
    root = tmp_path_factory.mktemp(request.param)
    images, labels = synthetic_digits(16)
    config = TrainConfig.for_model(model=request.param, steps=2, batch_size=8)
    config = dataclasses.replace(config, out=str(root / "out"), checkpoint_dir=str(root / "ck"))
    train(config, images, log=lambda _: None, image_labels=labels)
    watch = TrainingWatch()
    resumed = train(dataclasses.replace(config, steps=3), images, log=lambda _: None,
                    image_labels=labels, hooks=[watch])  # fmt: skip
    straight = dataclasses.replace(config, steps=3, out=str(root / "straight_out"),
                                   checkpoint_dir=str(root / "straight_ck"))  # fmt: skip
    uninterrupted = train(straight, images, log=lambda _: None, image_labels=labels)
    weights = [w.numpy() for w in uninterrupted.generator.weights]
    return root, config, resumed, watch, weights


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_each_model_trains_saves_its_preset_and_resumes(trained):
    root, config, resumed, watch, uninterrupted_weights = trained
    assert int(resumed.step) == 3
    saved = TrainConfig.from_json((root / "ck" / "config.json").read_text())
    assert (saved.update, saved.beta1, saved.gen_steps) == (config.update, 0.5, config.gen_steps)
    # The rerun restored the 2 steps (epoch 1: 16 images, 8 a batch) and trained the third only (a
    # restart would train all 3 and end with the same weights) ...
    assert watch.began_at == (1, 2)
    assert watch.trained == [(2, 3)]
    # ... and ended with the weights of a run never stopped.
    for a, b in zip(uninterrupted_weights, resumed.generator.weights, strict=True):
        np.testing.assert_allclose(a, b.numpy(), atol=1e-6, rtol=0)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_each_model_samples_sweeps_and_feeds_the_evaluation(trained, tmp_path):
    root, config, resumed, *_ = trained
    ck = str(root / "ck")
    assert sample_main(["--checkpoint-dir", ck, "--num", "4", "--format", "npy",
                        "--output", str(tmp_path / "s.npy")]) == 0  # fmt: skip
    assert np.load(tmp_path / "s.npy").shape == (4, 28, 28)
    assert interpolate_main(["sweep", "--checkpoint-dir", ck, "--dim", "5", "--rows", "2",
                             "--steps", "3", "--out", str(tmp_path)]) == 0  # fmt: skip
    assert iio.imread(tmp_path / "sweep_dim5.png").shape == (3 * 62, 3 * 92)  # 2 rows x 3
    assert interpolate_main(["--checkpoint-dir", ck, "--rows", "1", "--steps", "3",
                             "--method", "linear", "--out", str(tmp_path)]) == 0  # fmt: skip
    samples = GeneratorSampler(resumed).sample(20, seed=0)
    assert samples.images.shape == (20, 28, 28, 1)
    assert samples.images.min() >= -1.0 and samples.images.max() <= 1.0
    assert (samples.labels is not None) == MODEL_SPECS[config.model].conditional
