"""Command line: draw new images from a trained generator.

python -m dcgan_tf.sample --num 16                        # one grid PNG
python -m dcgan_tf.sample --num 100 --format npy          # uint8 (100, 28, 28)
python -m dcgan_tf.sample --num 8 --format png            # sample_0000.png ...
python -m dcgan_tf.sample --label 7 --checkpoint-dir CK   # only sevens (cdcgan)
python -m dcgan_tf.sample --by-style 8 --checkpoint-dir CK  # 10 digits x 8 styles (cdcgan)
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.cli import (
    Parser,
    add_checkpoint_flags,
    add_label_flag,
    load_checkpoint_run,
    run_command,
)
from dcgan_tf.common.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.sample",
        description="Draw images from the generator of a run's newest checkpoint.",
    )
    add = parser.add_argument
    add_checkpoint_flags(parser)
    add("--num", type=int, default=16, help="how many images (default: %(default)s)")
    add(
        "--format",
        choices=("grid", "png", "npy"),
        default="grid",
        help="grid: one PNG; png: one file per image; npy: one uint8 (N, 28, 28) array",
    )
    add(
        "--output",
        metavar="PATH",
        help="file (grid, npy) or folder (png); default: samples.png, samples/ or samples.npy",
    )
    add("--seed", type=int, default=0, help="seed of the noise: same seed, same images")
    add_label_flag(parser, "conditional models only: draw only this digit")
    add(
        "--by-style",
        type=int,
        metavar="K",
        help="conditional models only: a grid of 10 rows (digit) by K columns (shared noise)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    if args.num < 1 or (args.by_style is not None and args.by_style < 1):
        raise UserError("--num and --by-style must be at least 1")
    state, config, path = load_checkpoint_run(args)
    from dcgan_tf.generator.sampling import digit_rows, draw_noise, generate_pixels

    spec = state.spec
    if (args.label is not None or args.by_style) and not spec.conditional:
        raise UserError(
            f"{path} holds a {spec.name!r} model; --label and --by-style need cdcgan or carpedm20"
        )
    columns = None
    if args.by_style:
        style = draw_noise(spec, args.by_style, config.noise_dim, args.seed)
        noise, labels, columns = spec.grid_inputs(style)
        labels = labels.numpy()
    else:
        noise = draw_noise(spec, args.num, config.noise_dim, args.seed)
        labels = digit_rows(args.num, args.label) if spec.conditional else None
    pixels = generate_pixels(state, noise, labels, config.channels)
    written = write_samples(
        pixels, args.format if not args.by_style else "grid", args.output, columns
    )
    print(f"Wrote {len(pixels)} image(s) of {path} ({spec.name}) to {written}")
    return 0


def write_samples(
    pixels: np.ndarray, kind: str, output: str | None, columns: int | None = None
) -> Path:
    """Write uint8 images (N, 28, 28, C) as one grid, separate 28x28 PNGs, or one .npy."""
    import imageio.v3 as iio

    from dcgan_tf.common.files import write_atomic, write_atomic_with
    from dcgan_tf.tutorial.images import save_image_grid

    images = pixels[..., 0] if pixels.shape[-1] == 1 else pixels  # (N, 28, 28) when gray
    if kind == "grid":
        columns = columns or math.ceil(math.sqrt(len(pixels)))
        return save_image_grid(pixels, Path(output or "samples.png"), columns)
    if kind == "npy":

        def save(tmp: Path) -> None:
            with tmp.open("wb") as f:
                np.save(f, images)

        return write_atomic_with(Path(output or "samples.npy"), save)
    folder = Path(output or "samples")
    for i, image in enumerate(images):
        path = folder / f"sample_{i:04d}.png"
        write_atomic(path, iio.imwrite("<bytes>", image, extension=".png"))
    return folder


if __name__ == "__main__":
    sys.exit(main())
