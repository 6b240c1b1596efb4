"""The input pipeline and the tensorflow-datasets source."""

import numpy as np
import pytest
import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.data import sources
from dcgan_tf.tutorial import dataset


def test_images_are_scaled_to_minus_one_one_float32_with_a_channel():
    images = np.array([[[0, 255], [127, 128]]], np.uint8).repeat(14, 1).repeat(14, 2)
    scaled = dataset.to_model_range(images)
    assert scaled.shape == (1, 28, 28, 1)
    assert scaled.dtype == np.float32
    assert scaled.min() == -1.0
    assert scaled.max() == 1.0


def epoch_values(count: int, batch_size: int, seed: int, epoch: int, skip: int = 0):
    """Batches of one epoch over images whose pixel values are their own index."""
    images = tf.constant(np.arange(count, dtype=np.float32).reshape(count, 1, 1, 1))
    batches = dataset.make_dataset(images, batch_size, seed, epoch, skip)
    return [batch.numpy().ravel().astype(int).tolist() for (batch,) in batches]


def test_an_epoch_sees_every_image_exactly_once_with_a_partial_last_batch():
    batches = epoch_values(count=100, batch_size=32, seed=0, epoch=1)
    assert [len(b) for b in batches] == [32, 32, 32, 4]
    assert sorted(i for batch in batches for i in batch) == list(range(100))


def test_the_order_is_shuffled_and_fixed_by_seed_and_epoch():
    first = epoch_values(100, 100, seed=0, epoch=1)[0]
    assert first != list(range(100))
    assert epoch_values(100, 100, seed=0, epoch=1)[0] == first
    assert epoch_values(100, 100, seed=0, epoch=2)[0] != first
    assert epoch_values(100, 100, seed=1, epoch=1)[0] != first


def test_skip_resumes_an_epoch_after_the_batches_already_trained():
    full = epoch_values(100, 32, seed=3, epoch=5)
    assert epoch_values(100, 32, seed=3, epoch=5, skip=2) == full[2:]


def test_the_pipeline_is_not_autotuned_so_ending_an_epoch_never_waits():
    # tf.data's autotuning thread makes deleting an epoch's iterator wait for its next wake-up
    # (up to 60 s; BENCHMARKS.md "Slow epochs"); the pipeline's buffer is fixed instead.
    batches = dataset.make_dataset(tf.zeros((10, 28, 28, 1)), 4, seed=0, epoch=1)
    assert batches.options().autotune.enabled is False


def test_offline_tfds_load_fails_at_once_with_the_fix(monkeypatch, tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    monkeypatch.setattr(sources, "can_connect", lambda host: False)
    # An empty tfds cache, so the data would have to be downloaded.
    monkeypatch.setattr(tfds.core.constants, "DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match=r"cannot download mnist.*--data-dir DIR holding"):
        sources.load_from_tfds("mnist", "train")


def test_can_connect_is_false_for_an_unresolvable_host():
    assert sources.can_connect("host.invalid", timeout=1.0) is False


def test_labels_travel_with_their_images():
    images = tf.constant(np.arange(10, dtype=np.float32).reshape(10, 1, 1, 1))
    labels = tf.constant(np.arange(10) % 3, tf.int32)
    for batch, batch_labels in dataset.make_dataset(images, 4, seed=0, epoch=1, labels=labels):
        np.testing.assert_array_equal(batch.numpy().ravel().astype(int) % 3, batch_labels.numpy())
