"""Reading MNIST from a folder: IDX files (gzipped or not), Keras' npz; bad files refused."""

import gzip

import numpy as np
import pytest
from conftest import idx_bytes, synthetic_digits, write_idx

from dcgan_tf.common.errors import UserError
from dcgan_tf.data.readers import IMAGES_MAGIC, read_idx
from dcgan_tf.data.sources import load_mnist_files


def test_reads_the_gzipped_idx_files_of_each_split(mnist_dir):
    train_images, train_labels = load_mnist_files(mnist_dir, "mnist", "train")
    test_images, _ = load_mnist_files(mnist_dir, "mnist", "test")
    expected, expected_labels = synthetic_digits(200, seed=1)
    np.testing.assert_array_equal(train_images, expected)
    np.testing.assert_array_equal(train_labels, expected_labels)
    assert train_images.dtype == np.uint8
    assert test_images.shape == (50, 28, 28)


def test_reads_uncompressed_idx_files(tmp_path):
    images, labels = synthetic_digits(12)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    read_images, read_labels = load_mnist_files(tmp_path, "mnist", "test")
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)


def test_reads_keras_mnist_npz(tmp_path):
    images, labels = synthetic_digits(10)
    np.savez(tmp_path / "mnist.npz", x_train=images, y_train=labels, x_test=images[:3],
             y_test=labels[:3])  # fmt: skip
    read_images, read_labels = load_mnist_files(tmp_path, "mnist", "train")
    np.testing.assert_array_equal(read_images, images)
    assert load_mnist_files(tmp_path, "mnist", "test")[0].shape == (3, 28, 28)
    np.testing.assert_array_equal(read_labels, labels)


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="no such directory"):
        load_mnist_files(tmp_path / "absent", "mnist", "train")


def test_directory_without_the_files_names_the_files_expected(tmp_path):
    with pytest.raises(UserError, match=r"train-images-idx3-ubyte\.gz.*mnist\.npz"):
        load_mnist_files(tmp_path, "mnist", "train")


def test_truncated_idx_file_is_refused(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(idx_bytes(synthetic_digits(4)[0])[:-100])
    with pytest.raises(UserError, match="truncated"):
        read_idx(path, IMAGES_MAGIC)


def test_truncated_gzip_stream_is_refused(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(idx_bytes(synthetic_digits(4)[0]))[:-30])
    with pytest.raises(UserError, match="gzip stream is truncated"):
        read_idx(path, IMAGES_MAGIC)


def test_file_named_gz_that_is_not_gzip_is_refused(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(idx_bytes(synthetic_digits(4)[0]))
    with pytest.raises(UserError, match="not gzip-compressed"):
        read_idx(path, IMAGES_MAGIC)


def test_wrong_magic_number_is_refused(mnist_dir):
    # A label file where the image file should be.
    (mnist_dir / "train-images-idx3-ubyte.gz").write_bytes(
        (mnist_dir / "train-labels-idx1-ubyte.gz").read_bytes()
    )
    with pytest.raises(UserError, match="wrong IDX magic number 0x00000801"):
        load_mnist_files(mnist_dir, "mnist", "train")


def test_images_of_the_wrong_size_are_refused(tmp_path):
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((5, 32, 32), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(5, np.uint8))
    with pytest.raises(UserError, match=r"shape \(5, 32, 32\), expected \(N, 28, 28\)"):
        load_mnist_files(tmp_path, "mnist", "train")


def test_image_and_label_counts_must_agree(tmp_path):
    images, labels = synthetic_digits(8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels[:7])
    with pytest.raises(UserError, match="8 images but 7 labels"):
        load_mnist_files(tmp_path, "mnist", "train")


def test_npz_without_the_split_is_refused(tmp_path):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(UserError, match="missing array"):
        load_mnist_files(tmp_path, "mnist", "train")
