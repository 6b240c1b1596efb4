"""Helper of test_distribute.py, run as its own process: TensorFlow's CPU split into 2 logical
devices (possible only before TensorFlow initialises its devices, hence not inside pytest).

    python tests/replicas.py '[{"model": "dcgan", "steps": 1, ...}, ...]'

trains each config twice with `train` (dropout off), on one device (--strategy default) and
under MirroredStrategy over the 2 logical CPUs (--strategy mirrored), and prints one JSON line,
a list with one result per config: how far training moved the weights and how far apart the two
runs ended (`moved`, `apart`: conftest.weights_apart), the largest weight difference
between the replicas' run and its checkpoint restored on one device, the losses of both runs,
the steps done and the replica count; or {"error": ...} for a refused config. A config with
"control": true also trains one step more on one device: `control_apart` is how far that run
ends from the first, a difference the comparison must see.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import tensorflow as tf

CPU = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(CPU, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from conftest import synthetic_digits, weights_apart  # noqa: E402

from dcgan_tf.common.errors import UserError  # noqa: E402
from dcgan_tf.config import TrainConfig  # noqa: E402
from dcgan_tf.run.checkpoints import restore  # noqa: E402
from dcgan_tf.run.state import build_state, build_state_for  # noqa: E402
from dcgan_tf.training import placement  # noqa: E402
from dcgan_tf.training.loop import train  # noqa: E402
from dcgan_tf.training.placement import devices_for  # noqa: E402


def build_state_without_dropout(config: TrainConfig, spec=None):
    """Dropout off: the two runs would otherwise drop different units."""
    state = build_state_for(config, spec)
    for model in (state.generator, state.discriminator):
        for layer in model._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, keras.layers.Dropout):
                layer.rate = 0.0
    return state


def weights(state) -> list[np.ndarray]:
    return [np.asarray(v.numpy()) for v in state.generator.weights + state.discriminator.weights]


def train_on(strategy: str, folder: Path, images, labels, options: dict):
    """The state `train` leaves for `options` under `strategy`, and its rows of losses.csv."""
    config = TrainConfig(
        out=str(folder / strategy / "out"),
        checkpoint_dir=str(folder / strategy / "ck"),
        strategy=strategy,
        **options,
    )
    state = train(config, images, log=lambda _: None, image_labels=labels)
    rows = (folder / strategy / "out" / "losses.csv").read_text().splitlines()[1:]
    return state, [[float(x) for x in row.split(",")[2:]] for row in rows], config


def main(options: dict) -> dict:
    count = options.pop("images", 32)
    control = options.pop("control", False)
    images, labels = synthetic_digits(count, seed=5)
    placement.build_state_for = build_state_without_dropout  # what OneDevice builds with
    folder = Path(tempfile.mkdtemp())
    states, losses = {}, {}
    for strategy in ("default", "mirrored"):
        states[strategy], losses[strategy], config = train_on(
            strategy, folder, images, labels, options
        )
    one, two = weights(states["default"]), weights(states["mirrored"])
    initial = weights(placement.OneDevice().build_state(config))  # the same seed: the start of both
    # The replicas' checkpoint restores on one device (another seed: nothing left to chance).
    single = build_state(100, 1e-4, 99, options.get("model", "dcgan"))
    restore(single, tf.train.latest_checkpoint(str(folder / "mirrored" / "ck")))
    result = {
        "moved": weights_apart(one, initial),
        "apart": weights_apart(one, two),
        "restored_difference": max(
            float(np.abs(a - b).max()) for a, b in zip(weights(single), two, strict=True)
        ),
        "steps": int(states["mirrored"].step),
        "losses_one_device": losses["default"],
        "losses_replicas": losses["mirrored"],
        "replicas": devices_for(config).replicas,
    }
    if control:  # one step more, on one device
        more = {**options, "steps": options["steps"] + 1}
        state, _, _ = train_on("default", folder / "control", images, labels, more)
        result["control_apart"] = weights_apart(one, weights(state))
    return result


def run(options: dict) -> dict:
    try:
        return main(options)
    except UserError as err:
        return {"error": str(err)}
    except Exception as err:  # reported as a failure of this case, not of the others
        return {"failure": f"{type(err).__name__}: {err}"[-1500:]}


if __name__ == "__main__":
    print(json.dumps([run(options) for options in json.loads(sys.argv[1])]))
