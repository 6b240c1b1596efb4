"""Command line: train the tutorial's DCGAN, resume it, rebuild its GIF.

    python -m dcgan_tf.generate --epochs 50
    python -m dcgan_tf.generate --epochs 2 --data-dir ../shared/data/mnist --split test

Every flag is one field of `TrainConfig`; its default is the tutorial's value.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence

from dcgan_tf.cli import Parser, import_tensorflow, run_command
from dcgan_tf.config import CHOICES, MODEL_PRESETS, TrainConfig

HELP = {
    "epochs": "train until this many epochs are done; rerunning resumes (default: %(default)s)",
    "batch_size": "images per train step (default: %(default)s)",
    "learning_rate": "Adam learning rate of both nets (default: %(default)s)",
    "noise_dim": "length of the generator's noise vector (default: %(default)s)",
    "dataset": "which digits or clothes (default: %(default)s)",
    "data_dir": "read the data offline from DIR: the split's two IDX files "
    "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz; t10k-* for test; gzipped or "
    "not) or Keras' <dataset>.npz; without it, tensorflow-datasets downloads the data",
    "split": "which split to train on (default: %(default)s)",
    "out": "folder for epoch grids, dcgan.gif, losses.csv/png, config.json (default: %(default)s)",
    "checkpoint_dir": "folder of the checkpoints ckpt-N; resumes from the newest "
    "(default: %(default)s)",
    "save_every": "checkpoint every N epochs; always at the end and on Ctrl-C "
    "(default: %(default)s; the tutorial used 15)",
    "seed": "random seed of weights, shuffling, noise and dropout (default: %(default)s)",
    "fresh": "start over: move the old checkpoints and images into old-<time>/ folders",
    "device": "auto uses the GPU when TensorFlow sees one (default: %(default)s)",
    "eval_every": "every N epochs, measure FID and classifier score into OUT/quality.csv and "
    "quality.png; trains the digit classifier first if it is not in CHECKPOINT_DIR "
    "(default: %(default)s, never)",
    "eval_samples": "samples per measurement of --eval-every (default: %(default)s)",
    "model": "dcgan: the tutorial's; cdcgan: conditioned on the digit label; gan: the course's "
    "one-hidden-layer GAN, whose preset is --batch-size 128 --learning-rate 0.001 --steps 100000 "
    "--snapshot-steps 0,10000,60000; tfexamples, carpedm20, pytorch: the course's other DCGANs, "
    "each with its own code's settings as a preset (README: Other models) (default: %(default)s)",
    "gen_loss": "non-saturating: -log D(G(z)), the tutorial's; minimax: log(1 - D(G(z))), the "
    "original GAN's (default: %(default)s)",
    "channels": "1 gray, 3 RGB (with --dataset folder) (default: %(default)s)",
    "steps": "train until this many steps are done instead of --epochs (default: 0, off)",
    "snapshot_steps": "also save OUT/image_at_step_N.png after these steps, e.g. 0,10000,60000 "
    "(0: before training)",
    "precision": "float32: the tutorial's; mixed_bfloat16 / mixed_float16: 16-bit layers with "
    "float32 variables, logits and losses (float16 with loss scaling); checkpoints restore "
    "across precisions (default: %(default)s)",
    "jit_compile": "compile the train step with XLA",
    "steps_per_call": "run up to K train steps inside one tf.function call; same results as K "
    "single steps (default: %(default)s)",
    "fast": "the fastest measured set of --precision/--jit-compile/--steps-per-call for the "
    "device in use (see BENCHMARKS.md); flags given explicitly win",
    "keep_every": "keep every Nth epoch's checkpoint for good, as CHECKPOINT_DIR/kept/epoch-NNNN, "
    "besides the newest three (default: %(default)s, off)",
    "resume_from": "continue from this checkpoint (e.g. CHECKPOINT_DIR/kept/epoch-0019) in the "
    "current folders: newer checkpoints and later images are moved into old-<time>/ folders, the "
    "loss history is cut back to it; a one-time jump: rerun without it to continue",
    "tensorboard": "write losses, images/s, grids, quality and the config into OUT/tensorboard "
    "for `tensorboard --logdir OUT/tensorboard` (default: on; --no-tensorboard: off)",
    "update": "simultaneous: the tutorial's, both nets from one forward pass; alternating: the "
    "discriminator's update first, then the generator's against it (the gan, tfexamples, "
    "carpedm20 and pytorch presets) (default: %(default)s)",
    "gen_steps": "generator updates per discriminator update, with --update alternating "
    "(carpedm20's preset: 2) (default: %(default)s)",
    "gen_noise": "with --update alternating: fresh: each generator update draws new noise; same: "
    "it reuses the discriminator's noise batch (carpedm20, pytorch) (default: %(default)s)",
    "beta1": "Adam beta_1 of both optimizers (default: %(default)s, Keras'; the DCGAN recipes "
    "use 0.5)",
    "recipe": "a named set of flag values (see docs/recipes.md): tutorial (today's defaults), "
    "dcgan-paper (Adam 2e-4, beta1 0.5), ttur (D 3e-4, G 1e-4, beta1 0.5), fast-digits "
    "(G 2e-4, D 4e-4, beta1 0.5, label smoothing 0.1), digits-in-minutes (alternating update, "
    "batch 128, Adam 2e-3, beta1 0.5, EMA 0.99 with warm-up); flags given win "
    "(default: %(default)s)",
    "disc_learning_rate": "Adam learning rate of the discriminator (default: --learning-rate)",
    "ema_decay": "keep an exponential moving average of the generator's weights with this "
    "decay (e.g. 0.999) and draw grids, samples and evaluations with it (default: 0, off)",
    "label_smoothing": "one-sided label smoothing: the discriminator's targets for real images "
    "are 1 - S (default: 0, off)",
    "disc_steps": "K discriminator updates per generator update: every batch updates the "
    "discriminator, every K-th batch also the generator (default: %(default)s)",
    "lr_warmup_steps": "raise both learning rates linearly from 0 over the first N steps "
    "(default: 0, off)",
    "lr_decay": "take both learning rates down to 0 by the run's last step (--steps, or --epochs "
    "x batches), linearly or along a half cosine (default: %(default)s)",
    "ema_warmup": "with --ema-decay D: the decay after n updates is min(D, (1 + n) / (10 + n)), "
    "as TensorFlow's ExponentialMovingAverage with num_updates, so the average soon forgets "
    "the starting weights",
    "disc_dropout": "the discriminator's dropout rate (default: the model's; the tutorial's 0.3)",
    "spectral_norm": "spectrally normalise the discriminator's Conv2D and Dense layers (Keras' "
    "SpectralNormalization)",
    "r1_gamma": "add the R1 penalty gamma/2 * |grad of D at the real images|^2 to the "
    "discriminator's loss (default: 0, off)",
    "diff_augment": "differentiable augmentation of every image the discriminator sees, real "
    "and fake: translation, cutout or translation,cutout (default: off)",
    "until_fid": "with --eval-every: end the run at the first measured FID at or below X; "
    "--epochs/--steps become the most it may take (default: 0, off)",
    "strategy": "tf.distribute strategy: auto is MirroredStrategy over all GPUs when there are "
    "several, else default (one device); mirrored: this host's GPUs (without GPUs: its logical "
    "CPUs); multiworker: the hosts of TF_CONFIG. --batch-size stays the global batch "
    "(default: %(default)s)",
    "sync_batch_norm": "with several replicas, batch norm uses the statistics of the global "
    "batch instead of each replica's part (Keras' synchronized=True)",
}

MEMORY_FLAGS = ("batch_size", "noise_dim", "eval_samples")
# Where the field name's last word would mislead.
METAVARS = {"keep_every": "N", "resume_from": "PATH", "steps_per_call": "K", "disc_dropout": "R"}
METAVARS |= {"diff_augment": "POLICY"}


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
    from dcgan_tf.common.files import check_writable_folder, remove_dead_temporary_files
    from dcgan_tf.run.locks import lock_folders

    if not writes_the_run(config):  # a multi-worker run's other workers write to temp folders
        return train_locked(config, given)
    # Before anything slow: the folders must be writable and no other run may be using them.
    folders = {"--checkpoint-dir": config.checkpoint_dir, "--out": config.out}
    for flag, folder in folders.items():
        check_writable_folder(folder, flag)
    with lock_folders(folders):
        for folder in folders.values():
            remove_dead_temporary_files(folder)
        return train_locked(config, given)


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


def train_locked(config: TrainConfig, given: dict) -> int:
    """Load the data and train, while this process holds the run's folders."""
    tf = import_tensorflow()
    from dcgan_tf.data.sources import load_split
    from dcgan_tf.options.devices import describe_device, select_device
    from dcgan_tf.options.fast import resolve_fast
    from dcgan_tf.reporting.standard_hooks import standard_hooks
    from dcgan_tf.run.budget import check_training_memory
    from dcgan_tf.training.distribute import Distribution
    from dcgan_tf.training.loop import TrainingInterrupted, train

    device = select_device(config.device)
    if config.fast:  # the device's fastest measured options; flags given still win
        config = resolve_fast(given, device)
        speed = ("precision", "jit_compile", "steps_per_call")
        print("--fast: " + ", ".join(f"{name} {getattr(config, name)}" for name in speed))
    distribution = Distribution.for_config(config)  # before any op: TF's rule for multiworker
    source = config.data_dir or "tensorflow-datasets"
    images, labels = load_split(config.dataset, config.split, config.data_dir, config.channels)
    check_training_memory(config, len(images))  # before the models are built
    data = f"{len(images)} images, {config.dataset}/{config.split}, from {source}"
    print(f"Data: {data}")
    preset = preset_in_effect(config)
    if preset:
        print(f"Preset of --model {config.model} (flags given win): {preset}")
    print(f"Training on {describe_device(device)}")
    if distribution.strategy is not None:
        print(f"Distributed: {distribution.describe()}")
    # The other workers of a multi-worker run write into temporary folders, and say nothing.
    config = distribution.worker_config(config)
    log = print if distribution.is_chief else distribution.quiet
    try:
        with tf.device(device):
            hooks = standard_hooks(config, describe_device(device), data)
            train(config, images, log=log, hooks=hooks, image_labels=labels)
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        return stop.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
