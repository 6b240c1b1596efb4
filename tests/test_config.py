"""The config: the tutorial's numbers as defaults, bad values refused, saved as JSON."""

import dataclasses

import pytest

from dcgan_tf.common.errors import UserError
from dcgan_tf.config import TrainConfig, save_config


def test_defaults_are_the_tutorials_numbers():
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.noise_dim) == (50, 256, 100)
    assert config.learning_rate == 1e-4
    assert (config.dataset, config.split, config.data_dir) == ("mnist", "train", None)
    assert config.checkpoint_dir == "checkpoints"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("epochs", -1, "--epochs must be at least 1"),
        ("batch_size", 0, "--batch-size must be at least 1"),
        ("save_every", 0, "--save-every must be at least 1"),
        ("learning_rate", 0.0, "--learning-rate must be a positive number"),
        ("dataset", "cifar10", "unknown --dataset 'cifar10'"),
        ("split", "validation", "unknown --split"),
        ("device", "tpu", "unknown --device"),
        ("disc_steps", 10**30, "--disc-steps must be at most 9223372036854775807"),
        ("r1_every", 2**63, "--r1-every must be at most"),
        ("snapshot_steps", (1, 2**63), "--snapshot-steps must be at most"),
    ],
)
def test_bad_values_are_refused_with_the_flag_named(field, value, message):
    with pytest.raises(UserError, match=message):
        TrainConfig(**{field: value})


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainConfig().epochs = 3


def test_config_round_trips_through_the_saved_json(tmp_path):
    config = TrainConfig(epochs=3, data_dir="/data", seed=7)
    path = save_config(config, tmp_path / "run")
    assert path.name == "config.json"
    assert TrainConfig.from_json(path.read_text()) == config


def test_the_largest_count_tensorflow_holds_is_accepted():
    assert TrainConfig(disc_steps=2**63 - 1).disc_steps == 2**63 - 1
