"""Command line: measure a trained generator's samples (or any images) against real digits.

    python -m dcgan_tf.evaluate                       # newest checkpoint in checkpoints/
    python -m dcgan_tf.evaluate --checkpoint checkpoints/ckpt-3 --num 10000
    python -m dcgan_tf.evaluate --images samples.npy  # uint8 (N, S, S), e.g. from a sampler

Prints a table beside the real data's own numbers and writes metrics.json into the output folder
of the run given (beside its checkpoint folder; --out to choose). The digit classifier is trained
once per dataset (about 30 s on 2 CPU cores offline) and saved as
CHECKPOINT_DIR/classifier-<dataset>.keras; digits of another size than 28 are resized to it.
A `--dataset folder` run's pictures are measured by Inception-v3 instead (FID and KID, against
the folder's pictures; docs/quality.md). A run's samples and classifier are the Python API's
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
from dcgan_tf.evaluation.metrics import BYTES_PER_SAMPLE, PICTURE_BYTES_PER_SAMPLE
from dcgan_tf.run.folders import RunFolders
from dcgan_tf.trained_run import classifier_file, open_trained_run

RESIZE = "bilinear to 299x299 (TF-GAN's), gray repeated to 3 channels"


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
        help="evaluate these uint8 (N, S, S) or (N, S, S, 3) images instead (digits: the "
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
    add(
        "--dataset",
        choices=("mnist", "fashion_mnist", "folder"),
        help="default: the run's, else mnist; folder: pictures, measured by Inception-v3's FID "
        "and KID against --data-dir's",
    )
    add(
        "--inception-weights",
        type=path_arg,
        metavar="PATH",
        help="with a folder's pictures: Inception-v3's no-top ImageNet weights (the .h5, or its "
        "folder); default: the run's, else Keras' cache ~/.keras/models/",
    )
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
    colour = run_config.channels == 3 if images is None else images.shape[-1] == 3
    if dataset != "folder" and colour:
        raise UserError("colour pictures are measured by Inception (FID, KID): --dataset folder")
    real_pictures = None
    if dataset == "folder":  # numpy only: a bad folder answers before TensorFlow loads
        require_memory(count * PICTURE_BYTES_PER_SAMPLE, f"{request}: evaluating {count} samples")
        real_pictures = load_real_pictures(run_config, data_dir, images, folders)
    out = folders.output_folder(args.out)
    start_tensorflow()
    from dcgan_tf.evaluation.classifier import load_or_train_classifier
    from dcgan_tf.evaluation.measure import evaluate_samples, real_data_metrics
    from dcgan_tf.evaluation.picture_quality import picture_yardstick
    from dcgan_tf.evaluation.tables import format_table

    start = time.time()
    path = classifier_file(folders, dataset, args.classifier)
    samples, source = draw_samples(args, images, folders)  # first: a bad checkpoint fails at once
    if real_pictures is not None:  # a folder's pictures: FID and KID in Inception's features
        weights = args.inception_weights or run_config.inception_weights
        channels = 3 if colour else 1
        yardstick = picture_yardstick(weights, real_pictures, count, channels, args.seed)
        print(f"Evaluating {len(samples.images)} samples of {source} with Inception-v3")
        metrics, real = yardstick.evaluate(samples), yardstick.real_data_metrics()
        measured_by = {"inception": {"weights": weights or "Keras' cache", "resize": RESIZE}}
    else:
        classifier = load_or_train_classifier(path, dataset, data_dir)
        print(f"Evaluating {len(samples.images)} samples of {source}")
        metrics = evaluate_samples(samples, classifier)
        real = real_data_metrics(classifier, seed=args.seed)
        measured_by = {"classifier": {"path": str(path), **classifier.info}}
    seconds = time.time() - start
    print(format_table(metrics, real))
    report = {
        "source": source,
        "seed": args.seed,
        "seconds": round(seconds, 1),
        **measured_by,
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


def load_real_pictures(
    config: TrainConfig, data_dir: str | None, images: np.ndarray | None, folders: RunFolders
) -> np.ndarray:
    """The real pictures of a folder run (its prepared cache, a memory map), or of --data-dir
    at the size of the --images given."""
    from dcgan_tf.data.sources import load_split

    if data_dir is None:
        raise UserError("--dataset folder: name the folder of real pictures with --data-dir")
    if images is None:
        sizes = (config.channels, config.image_size, config.crop)
        return load_split(
            "folder", "train", data_dir, *sizes, config.picture_cache(folders.checkpoints)
        )[0]
    channels = images.shape[3] if images.ndim == 4 else 1
    return load_split("folder", "train", data_dir, channels, images.shape[1], config.crop)[0]


def load_images(path: Path) -> np.ndarray:
    """uint8 (N, S, S[, C]) images from a .npy file, memory-mapped: read a batch at a time."""
    try:
        images = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as err:
        raise UserError(f"--images {path}: not a readable .npy file ({err})") from None
    if not isinstance(images, np.ndarray):  # an .npz archive
        raise UserError(f"--images {path}: an .npz archive, not one .npy array")
    square = images.ndim in (3, 4) and images.shape[1] == images.shape[2]
    if images.dtype != np.uint8 or not square or images.shape[3:] not in ((), (1,), (3,)):
        raise UserError(
            f"--images {path}: {images.dtype} {images.shape}, expected uint8 (N, S, S) or "
            "(N, S, S, 3)"
        )
    if len(images) < 10:  # precision and recall need k=3 neighbours and then some
        raise UserError(f"--images {path}: {len(images)} images; at least 10 are needed")
    return images


if __name__ == "__main__":
    sys.exit(main())
