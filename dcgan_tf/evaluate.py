"""Command line: measure a trained generator's samples (or any images) against real digits.

    python -m dcgan_tf.evaluate                       # newest checkpoint in checkpoints/
    python -m dcgan_tf.evaluate --checkpoint checkpoints/ckpt-3 --num 10000
    python -m dcgan_tf.evaluate --images samples.npy  # uint8 (N, S, S), e.g. from a sampler

Prints a table beside the real data's own numbers and writes metrics.json into the output folder
of the run given (beside its checkpoint folder; --out to choose). The digit classifier is trained
once per dataset (about 30 s on 2 CPU cores offline) and saved as
CHECKPOINT_DIR/classifier-<dataset>.keras. A run's samples and classifier are the Python API's
(`TrainedRun.samples`, `trained_run.classifier_file`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.cli import (
    Parser,
    add_checkpoint_flags,
    add_out_flag,
    locate_run,
    path_arg,
    run_command,
    start_tensorflow,
)
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic
from dcgan_tf.common.limits import check_seed, require_memory
from dcgan_tf.config import TrainConfig
from dcgan_tf.config.train_config import IMAGE_SIZES
from dcgan_tf.evaluation.metrics import BYTES_PER_SAMPLE
from dcgan_tf.run.folders import RunFolders
from dcgan_tf.trained_run import classifier_file, open_trained_run


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.evaluate",
        description="FID and classifier score in a digit classifier's feature space, class "
        "histogram and mode collapse, precision / recall / coverage (k=3), for a checkpoint's "
        "generator or a .npy of images, beside the same numbers for real data.",
    )
    add = parser.add_argument
    add_checkpoint_flags(parser)
    add(
        "--images",
        type=path_arg,
        metavar="NPY",
        help="evaluate these uint8 (N, S, S) images instead (S: 28, 32, 64 or 128; the "
        "classifier reads them resized to 28x28)",
    )
    add("--num", type=int, default=10000, help="samples to draw (default: %(default)s)")
    add("--seed", type=int, default=0, help="seed of the sampled noise (default: %(default)s)")
    add(
        "--classifier",
        type=path_arg,
        metavar="PATH",
        help="a classifier bundle (.keras with .json and .reference.npz beside it); default: "
        "CHECKPOINT_DIR/classifier-<dataset>.keras, trained there if missing",
    )
    add("--dataset", choices=("mnist", "fashion_mnist"), help="default: the run's, else mnist")
    add(
        "--data-dir",
        type=path_arg,
        metavar="DIR",
        help="data to train the classifier from; default: the run's",
    )
    add_out_flag(parser, "metrics.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args), {"--num": args.num})


def run(args: argparse.Namespace) -> int:
    if args.num < 10:
        raise UserError(f"--num must be at least 10, got {args.num}")
    check_seed(args.seed)
    # The run (of --checkpoint, if given) and the config saved there; outputs go beside it.
    folders = locate_run(args)
    run_config = folders.config or TrainConfig()
    # Before TensorFlow loads: the images (a memory map) and the memory their evaluation takes.
    images = load_images(Path(args.images)) if args.images else None
    count = args.num if images is None else len(images)
    request = f"--num {args.num}" if images is None else f"--images {args.images}"
    require_memory(count * BYTES_PER_SAMPLE, f"{request}: evaluating {count} samples")
    dataset = args.dataset or run_config.dataset
    data_dir = args.data_dir if args.data_dir is not None else run_config.data_dir
    if dataset == "folder":
        raise UserError("the quality metrics are for MNIST-like digits; pass --dataset mnist")
    out = folders.output_folder(args.out)
    start_tensorflow()
    from dcgan_tf.evaluation.classifier import load_or_train_classifier
    from dcgan_tf.evaluation.measure import evaluate_samples, format_table, real_data_metrics

    start = time.time()
    path = classifier_file(folders, dataset, args.classifier)
    samples, source = draw_samples(args, images, folders)  # first: a bad checkpoint fails at once
    classifier = load_or_train_classifier(path, dataset, data_dir)
    print(f"Evaluating {len(samples.images)} samples of {source}")
    metrics = evaluate_samples(samples, classifier)
    real = real_data_metrics(classifier, seed=args.seed)
    seconds = time.time() - start
    print(format_table(metrics, real))
    report = {
        "source": source,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        "classifier": {"path": str(path), **classifier.info},
        "samples": metrics,
        "real_data": real,
    }
    written = write_atomic(out / "metrics.json", (json.dumps(report, indent=2) + "\n").encode())
    print(f"Wrote {written} ({seconds:.1f} s)")
    return 0


def draw_samples(args: argparse.Namespace, images: np.ndarray | None, folders: RunFolders):
    """The images to evaluate (`images`, else the run's samples), and where they came from."""
    from dcgan_tf.evaluation.measure import Samples

    if images is not None:
        return Samples(images), args.images  # uint8: scaled a batch at a time
    run = open_trained_run(args, folders)
    return run.samples(args.num, args.seed), run.describe()


def load_images(path: Path) -> np.ndarray:
    """uint8 (N, S, S) gray images (S one of IMAGE_SIZES) from a .npy file, memory-mapped: read a
    batch at a time."""
    try:
        images = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise UserError(f"--images {path}: not a readable .npy file ({err})") from None
    if not isinstance(images, np.ndarray):  # an .npz archive
        raise UserError(f"--images {path}: an .npz archive, not one .npy array")
    square = images.ndim == 3 and images.shape[1] == images.shape[2] in IMAGE_SIZES
    if images.dtype != np.uint8 or not square:
        sizes = " or ".join(str(size) for size in IMAGE_SIZES)
        raise UserError(
            f"--images {path}: {images.dtype} {images.shape}, expected uint8 (N, S, S), S = {sizes}"
        )
    if len(images) < 10:  # precision and recall need k=3 neighbours and then some
        raise UserError(f"--images {path}: {len(images)} images; at least 10 are needed")
    return images


if __name__ == "__main__":
    sys.exit(main())
