"""Command line: draw new images from a trained generator.

python -m dcgan_tf.sample --num 16                        # one grid PNG: OUT/samples.png
python -m dcgan_tf.sample --num 100 --format npy          # uint8 (100, S, S): OUT/samples.npy
python -m dcgan_tf.sample --num 8 --format png            # OUT/samples/sample_0000.png ...
python -m dcgan_tf.sample --label 7 --checkpoint-dir CK   # only sevens (cdcgan)
python -m dcgan_tf.sample --by-style 8 --checkpoint-dir CK  # 10 digits x 8 styles (cdcgan)

OUT is the output folder of the run given, beside its checkpoint folder (run/folders.py). The
images are the Python API's (`TrainedRun.image_parts`, `by_style`); this writes them.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.cli import (
    Parser,
    add_checkpoint_flags,
    add_label_flag,
    locate_run,
    path_arg,
    run_command,
)
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import check_output_file, check_writable_folder
from dcgan_tf.common.limits import check_seed, require_disk, require_memory
from dcgan_tf.trained_run import open_trained_run


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
        help="grid: one PNG; png: one file per image; npy: one uint8 (N, S, S) array",
    )
    add(
        "--output",
        type=path_arg,
        metavar="PATH",
        help="file (grid, npy) or folder (png); default: samples.png, samples/ or samples.npy "
        "in the output folder of the run given, beside its checkpoint folder",
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
    return run_command(lambda: run(args), {"--num": args.num, "--by-style": args.by_style})


DEFAULT_OUTPUT = {"grid": "samples.png", "png": "samples", "npy": "samples.npy"}
BLOCK_BYTES = 4096  # a small PNG still fills one block of the disk


def run(args: argparse.Namespace) -> int:
    if args.num < 1 or (args.by_style is not None and args.by_style < 1):
        raise UserError("--num and --by-style must be at least 1")
    check_seed(args.seed)
    kind = "grid" if args.by_style else args.format
    folders = locate_run(args)
    output = Path(args.output) if args.output else folders.out / DEFAULT_OUTPUT[kind]
    check = check_writable_folder if kind == "png" else check_output_file
    check(output, "--output")  # before the checkpoint loads: a wrong path fails at once
    run = open_trained_run(args, folders)
    run.require_conditional(args.label is not None or bool(args.by_style), "--label and --by-style")
    count = 10 * args.by_style if args.by_style else args.num
    request = f"--by-style {args.by_style}" if args.by_style else f"--num {args.num}"
    size, channels = run.config.image_size, run.config.channels
    check_room(kind, count, size, channels, output, request)
    if args.by_style:
        parts = [run.by_style(args.by_style, args.seed)]
    else:
        parts = run.image_parts(args.num, args.seed, args.label)
    written = write_samples(parts, count, kind, output, (size, size, channels), args.by_style)
    print(f"Wrote {count} image(s) of {run.checkpoint} ({run.spec.name}) to {written}")
    return 0


def check_room(kind: str, count: int, size: int, channels: int, output: Path, request: str) -> None:
    """Refuse up front what cannot fit, `count` images S x S x C: a grid is drawn in memory,
    .npy and PNGs go to disk."""
    from dcgan_tf.tutorial.images import grid_cell_bytes

    pixels = size * size * channels
    if kind == "grid":
        what = f"{request}: a grid of {count} images"
        need = count * grid_cell_bytes(size) * channels  # drawn in memory, enlarged
        require_memory(need, what, "use --format npy or png")
    elif kind == "npy":
        require_disk(count * pixels + 128, output.parent, f"{request}: {output}")
    else:
        png = max(BLOCK_BYTES, pixels)  # at most about its pixels, compressed
        require_disk(count * png, output, f"{request}: {count} PNG files in {output}")


def write_samples(
    parts: Iterable[np.ndarray],
    count: int,
    kind: str,
    output: Path,
    shape: tuple[int, int, int],
    columns: int | None = None,
) -> Path:
    """Write `count` uint8 images (S, S, C) = `shape` (gray ones with or without their channel
    axis), coming in `parts`, as one grid (`columns` wide), separate PNGs (S, S) gray, or one
    .npy (N, S, S) gray, written through a memory map: never whole in memory."""
    import imageio.v3 as iio

    from dcgan_tf.common.files import write_atomic, write_atomic_with
    from dcgan_tf.tutorial.images import save_image_grid

    if kind == "grid":
        pixels = np.concatenate([part.reshape(-1, *shape) for part in parts])
        return save_image_grid(pixels, output, columns or math.ceil(math.sqrt(count)))
    saved = shape[:2] if shape[2] == 1 else shape  # gray: (N, S, S)
    if kind == "npy":

        def save(tmp: Path) -> None:
            array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(count, *saved))
            done = 0
            for pixels in parts:
                array[done : done + len(pixels)] = pixels.reshape(-1, *saved)
                done += len(pixels)
            array.flush()
            del array  # closes the map before the rename

        return write_atomic_with(output, save)
    done = 0
    for pixels in parts:
        for image in pixels.reshape(-1, *saved):
            path = output / f"sample_{done:04d}.png"
            write_atomic(path, iio.imwrite("<bytes>", image, extension=".png"))
            done += 1
    return output


if __name__ == "__main__":
    sys.exit(main())
