"""Command line: train the tutorial's DCGAN, resume it, rebuild its GIF.

    python -m dcgan_tf.generate --epochs 50
    python -m dcgan_tf.generate --epochs 2 --data-dir ../shared/data/mnist --split test

Every flag is one field of `TrainConfig`; its default is the tutorial's value.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence

from dcgan_tf.cli import Parser, import_tensorflow, run_command
from dcgan_tf.config import CHOICES, TrainConfig

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
    "--snapshot-steps 0,10000,60000 (default: %(default)s)",
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
    "recipe": "a named set of the values below (see RECIPES.md): tutorial (today's defaults), "
    "dcgan-paper (Adam 2e-4, beta1 0.5), ttur (D 3e-4, G 1e-4, beta1 0.5), fast-digits "
    "(G 2e-4, D 4e-4, beta1 0.5, label smoothing 0.1); flags given win (default: %(default)s)",
    "disc_learning_rate": "Adam learning rate of the discriminator (default: --learning-rate)",
    "beta1": "Adam's beta1 of both nets (default: %(default)s, Adam's and the tutorial's)",
    "ema_decay": "keep an exponential moving average of the generator's weights with this "
    "decay (e.g. 0.999) and draw grids, samples and evaluations with it (default: 0, off)",
    "label_smoothing": "one-sided label smoothing: the discriminator's targets for real images "
    "are 1 - S (default: 0, off)",
    "disc_steps": "K discriminator updates per generator update: every batch updates the "
    "discriminator, every K-th batch also the generator (default: %(default)s)",
}


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
        epilog="Exit status: 0 done, 2 bad input or missing data, 3 training diverged (NaN), "
        "130 interrupted (saved; rerun to resume).",
    )
    for field in dataclasses.fields(TrainConfig):
        flag = "--" + field.name.replace("_", "-")
        if field.type == "bool":
            parser.add_argument(flag, action="store_true", help=HELP[field.name])
            continue
        kinds = {"int": int, "float": float, "float | None": float, "tuple[int, ...]": int_list}
        kind = kinds.get(field.type, str)
        parser.add_argument(
            flag,
            type=kind,
            default=argparse.SUPPRESS if only_given else field.default,
            choices=CHOICES.get(field.name),
            metavar=None if field.name in CHOICES else field.name.split("_")[-1].upper(),
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
    return run_command(lambda: run(TrainConfig.for_model(**given), gif_only))


def run(config: TrainConfig, gif_only: bool) -> int:
    tf = import_tensorflow()
    from dcgan_tf.best import BestCheckpoint
    from dcgan_tf.classifier import classifier_path, load_or_train_classifier
    from dcgan_tf.collapse import CollapseWarning
    from dcgan_tf.data import load_split
    from dcgan_tf.devices import describe_device, select_device
    from dcgan_tf.evaluation import QualityHook
    from dcgan_tf.images import build_gif
    from dcgan_tf.training import TrainingInterrupted, train

    if gif_only:
        print(f"Wrote {build_gif(config.out)}")
        return 0
    device = select_device(config.device)
    source = config.data_dir or "tensorflow-datasets"
    images, labels = load_split(config.dataset, config.split, config.data_dir, config.channels)
    print(f"Data: {len(images)} images, {config.dataset}/{config.split}, from {source}")
    print(f"Training on {describe_device(device)}")
    try:
        with tf.device(device):
            hooks = []
            if config.eval_every:
                path = classifier_path(config.checkpoint_dir, config.dataset)
                classifier = load_or_train_classifier(path, config.dataset, config.data_dir)
                watchers = [BestCheckpoint(config), CollapseWarning()]  # issue 8
                hooks.append(
                    QualityHook(
                        classifier,
                        config.out,
                        config.eval_every,
                        config.eval_samples,
                        config.seed,
                        listeners=watchers,
                    )
                )
            train(config, images, hooks=hooks, image_labels=labels)
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
