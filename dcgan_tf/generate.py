"""Command line: train the tutorial's DCGAN, resume it, rebuild its GIF.

    python -m dcgan_tf.generate --epochs 50
    python -m dcgan_tf.generate --epochs 2 --data-dir ../shared/data/mnist --split test

Every flag is one field of `TrainConfig`; its default is the tutorial's value where the tutorial
has one, but for the checkpoint cadence and folders (docs/faithful.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dcgan_tf.cli import Parser, import_tensorflow, run_command
from dcgan_tf.common.signals import TrainingInterrupted
from dcgan_tf.config import CHOICES, MODEL_PRESETS, TrainConfig
from dcgan_tf.config.help import HELP

if TYPE_CHECKING:  # TensorFlow loads only once training starts: --help answers at once
    import numpy as np

    from dcgan_tf.models.specs import ModelSpec
    from dcgan_tf.run.hooks import Hook
    from dcgan_tf.run.state import GanState

MEMORY_FLAGS = ("batch_size", "noise_dim", "eval_samples")
# Where the field name's last word would mislead.
METAVARS = {"keep_every": "N", "resume_from": "PATH", "steps_per_call": "K", "disc_dropout": "R"}
METAVARS |= {"diff_augment": "POLICY", "crop": "N", "inception_weights": "PATH"}


def preset_in_effect(config: TrainConfig) -> str:
    """The model's preset as the flags that now carry it, e.g. '--batch-size 128 --steps 10000'."""
    parts = []
    for name in MODEL_PRESETS.get(config.model, {}):
        value = getattr(config, name)
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        parts.append(f"--{name.replace('_', '-')} {value}")
    return " ".join(parts)


def int_list(text: str) -> tuple[int, ...]:
    """'0,10000,60000' -> (0, 10000, 60000)."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of steps: {text!r}") from None


def build_parser(only_given: bool = False) -> argparse.ArgumentParser:
    """One flag per `TrainConfig` field, plus --gif-only. With `only_given`, flags not on the
    command line are left out of the result, so that a model's preset can fill them."""
    parser = Parser(
        argument_default=argparse.SUPPRESS if only_given else None,
        prog="python -m dcgan_tf.generate",
        description="Train the TensorFlow tutorial's DCGAN on MNIST: a 4x4 grid per epoch, "
        "a GIF of the progression, checkpoints, and a loss history. Ctrl-C saves; run the "
        "same command again to resume. --model trains the other GANs of the course material.",
        epilog="Exit status: 0 done, 2 bad input, missing data or a folder another run holds, "
        "3 training diverged (NaN), 4 a file or checkpoint could not be written (disk full, "
        "folder not writable; the previous checkpoint is intact), 130 Ctrl-C and 143 SIGTERM "
        "(saved; rerun to resume).",
    )
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.type == "bool":  # --flag for an off default; --flag/--no-flag for an on one
            action = argparse.BooleanOptionalAction if field.default else "store_true"
            default = argparse.SUPPRESS if only_given else field.default
            parser.add_argument(flag, action=action, default=default, help=HELP[field.name])
            continue
        kinds = {"int": int, "float": float, "float | None": float, "tuple[int, ...]": int_list}
        kind = kinds.get(field.type, str)
        parser.add_argument(
            flag,
            type=kind,
            default=argparse.SUPPRESS if only_given else field.default,
            choices=CHOICES.get(field.name),
            metavar=None
            if field.name in CHOICES
            else METAVARS.get(field.name, field.name.split("_")[-1].upper()),
            help=HELP[field.name],
        )
    parser.add_argument(
        "--gif-only",
        action="store_true",
        help="only rebuild OUT/dcgan.gif from the image_at_epoch_*.png already there",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    gif_only = build_parser().parse_args(argv).gif_only  # --help and flag errors answer here
    given = vars(build_parser(only_given=True).parse_args(argv))
    given.pop("gif_only", None)
    # The flags that size memory, for the one line an allocation too large for it becomes.
    sizes = {name: given.get(name, getattr(TrainConfig, name)) for name in MEMORY_FLAGS}
    sizes = {"--" + name.replace("_", "-"): value for name, value in sizes.items()}
    return run_command(lambda: run(given, gif_only), sizes)


def run(given: dict, gif_only: bool) -> int:
    """Train with the flags `given` (the others from the model's preset and the defaults)."""
    config = TrainConfig.for_model(**given)  # bad values fail here, before TensorFlow loads
    if gif_only:
        from dcgan_tf.tutorial.images import build_gif

        print(f"Wrote {build_gif(config.out)}")
        return 0
    try:
        train_run(config, given=given)
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        return stop.exit_code
    return 0


def train_run(
    config: TrainConfig,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    given: dict | None = None,
    hooks: Sequence[Hook] = (),
    spec: ModelSpec | None = None,
) -> GanState:
    """Train `config`'s run as `generate` does (the Python API's `train` too): its folders
    checked and locked, the data (`data`, else `config`'s), the device, the standard hooks and
    then `hooks`, the loop. `given`: the flags given (what --fast may not override; default:
    the fields off their default). `spec`: models of your own. Raises TrainingInterrupted
    (saved) on Ctrl-C or SIGTERM."""
    from dcgan_tf.common.files import (
        check_writable_folder,
        new_folders_removed_if_empty,
        remove_dead_temporary_files,
    )
    from dcgan_tf.run.locks import lock_folders

    if given is None:
        given = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
        given = {k: v for k, v in given.items() if v != getattr(TrainConfig, k)}
    if not writes_the_run(config):  # a multi-worker run's other workers write to temp folders
        return train_locked(config, given, data, hooks, spec)
    # Before anything slow: the folders must be writable and no other run may be using them.
    # A run refused before it writes anything (too large, bad data) leaves no new folder.
    folders = {"--checkpoint-dir": config.checkpoint_dir, "--out": config.out}
    with new_folders_removed_if_empty(folders.values()):
        for flag, folder in folders.items():
            check_writable_folder(folder, flag)
        with lock_folders(folders):
            for folder in folders.values():
                remove_dead_temporary_files(folder)
            return train_locked(config, given, data, hooks, spec)


def writes_the_run(config: TrainConfig) -> bool:
    """Whether this process writes into --out and --checkpoint-dir (and so locks them): always,
    but for the workers of --strategy multiworker other than the chief (distribute.is_chief's
    rule, read from TF_CONFIG before TensorFlow loads)."""
    if config.strategy != "multiworker":
        return True
    try:
        task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {})
    except (ValueError, AttributeError):
        return True  # distribute.make_strategy reports a bad TF_CONFIG in one line
    kind, index = task.get("type"), task.get("index")
    return kind in (None, "chief") or (kind == "worker" and index == 0)


def train_locked(
    config: TrainConfig,
    given: dict,
    data: tuple[np.ndarray, np.ndarray] | None,
    hooks: Sequence[Hook],
    spec: ModelSpec | None,
) -> GanState:
    """Load the data and train, while this process holds the run's folders."""
    from dcgan_tf.data.sources import load_split

    arrays = data is not None  # given by the Python API's caller
    # A data folder is read (numpy only) before TensorFlow loads: a bad one answers at once.
    # A folder of pictures is prepared once into the cache, then read back as a memory map.
    cache_dir = config.picture_cache()
    if config.dataset == "folder":
        from dcgan_tf.common.files import check_writable_folder

        check_writable_folder(cache_dir, "--cache-dir")
    sizes = (config.channels, config.image_size, config.crop)
    if data is None and config.data_dir:
        data = load_split(config.dataset, config.split, config.data_dir, *sizes, cache_dir)
    tf = import_tensorflow()
    from dcgan_tf.options.devices import describe_device, select_device
    from dcgan_tf.options.fast import resolve_fast
    from dcgan_tf.reporting.standard_hooks import standard_hooks
    from dcgan_tf.run.budget import check_training_memory
    from dcgan_tf.training.loop import train
    from dcgan_tf.training.placement import devices_for

    device = select_device(config.device)
    if config.fast:  # the device's fastest measured options; flags given still win
        config = resolve_fast(given, device)
        speed = ("precision", "jit_compile", "steps_per_call")
        print("--fast: " + ", ".join(f"{name} {getattr(config, name)}" for name in speed))
    placement = devices_for(config)  # before any op: TF's rule for multiworker
    source = config.data_dir or "tensorflow-datasets"
    if data is None:  # tensorflow-datasets: after the strategy is made (TensorFlow's rule)
        data = load_split(config.dataset, config.split, None, *sizes)
    images, labels = data
    check_training_memory(config, len(images))  # before the models are built
    described = f"{len(images)} images, {config.dataset}/{config.split}, from {source}"
    if arrays:
        described = f"{len(images)} images given to train()"
    print(f"Data: {described}")
    preset = preset_in_effect(config)
    if preset:
        print(f"Preset of --model {config.model} (flags given win): {preset}")
    print(f"Training on {describe_device(device)}")
    if placement.strategy is not None:
        print(f"Distributed: {placement.describe()}")
    # The other workers of a multi-worker run write into temporary folders, and say nothing.
    config = placement.worker_config(config)
    log = print if placement.is_chief else say_nothing
    with tf.device(device):
        every = [*standard_hooks(config, describe_device(device), described, images), *hooks]
        return train(config, images, log=log, hooks=every, image_labels=labels, spec=spec)


def say_nothing(_: str) -> None:
    """The log of a multi-worker run's other workers: the chief's log speaks for the run."""


if __name__ == "__main__":
    sys.exit(main())
