"""Command line: the latent sweep ("Z changes"), and for a conditional model "X changes".

    python -m dcgan_tf.interpolate sweep --dim 3            # also: python -m dcgan_tf.sweep
    python -m dcgan_tf.interpolate sweep --dim 3 --rows 6 --steps 12 --seed 1

Z changes: `--rows` base noise vectors, held fixed except noise dimension `--dim`, which moves
from its low to its high value across the `--steps` columns (uniform noise: -1 to 1; normal
noise: -3 to 3 standard deviations). Writes sweep_dim<D>.png (a row per base vector) and
sweep_dim<D>.gif (frame t: every row's t-th image, there and back).

X changes (conditional models): the same noise down each column, the digit label 0 to 9 across
the rows; writes sweep_labels.png and sweep_labels.gif (frame d: every column as digit d).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.cli import (
    Parser,
    add_checkpoint_flags,
    add_label_flag,
    load_checkpoint_run,
    path_arg,
    run_command,
)
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import check_writable_folder
from dcgan_tf.common.limits import check_seed, require_memory

NORMAL_RANGE = 3.0  # a N(0, 1) dimension swept over +-3 standard deviations


def build_parser(prog: str = "python -m dcgan_tf.interpolate sweep") -> argparse.ArgumentParser:
    parser = Parser(
        prog=prog,
        description="Sweep one noise dimension from its low to its high value with the rest of "
        "the noise held fixed (a PNG grid and a GIF); conditional models also get the label "
        "sweep (same noise, every digit).",
    )
    add = parser.add_argument
    add_checkpoint_flags(parser)
    add("--dim", type=int, default=0, help="the noise dimension to sweep (default: %(default)s)")
    add("--rows", type=int, default=4, help="base noise vectors, one row each (default: 4)")
    add(
        "--steps",
        type=int,
        default=10,
        help="values of the dimension, one column each (default: 10)",
    )
    add("--seed", type=int, default=0, help="seed of the base noise (default: %(default)s)")
    add_label_flag(parser, "conditional models: each Z sweep row's digit (default: row r, digit r)")
    add(
        "--out",
        type=path_arg,
        metavar="DIR",
        help="output folder (default: the run's output folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog or "python -m dcgan_tf.sweep").parse_args(argv)
    return run_command(lambda: run(args), {"--rows": args.rows, "--steps": args.steps})


def run(args: argparse.Namespace) -> int:
    if args.rows < 1 or args.steps < 2:
        raise UserError("--rows must be at least 1 and --steps at least 2 (the low and high ends)")
    check_seed(args.seed)
    if args.out:
        check_writable_folder(args.out, "--out")
    state, config, path = load_checkpoint_run(args)
    from dcgan_tf.generator.sampling import digit_rows, draw_noise, walk_image_bytes

    count = args.rows * (args.steps + 10)  # the Z sweep, and the label sweep of a conditional model
    request = f"--rows {args.rows} x --steps {args.steps}: {count} images"
    require_memory(count * walk_image_bytes(config.noise_dim, config.channels), request)

    spec = state.spec
    if not 0 <= args.dim < config.noise_dim:
        raise UserError(
            f"--dim must be in 0..{config.noise_dim - 1} (--noise-dim {config.noise_dim})"
        )
    if args.label is not None and not spec.conditional:
        raise UserError(f"{path} holds a {spec.name!r} model; --label needs a conditional model")
    base = draw_noise(spec, args.rows, config.noise_dim, args.seed).numpy()
    out = check_writable_folder(args.out or config.out, "--out")
    labels = digit_rows(args.rows, args.label) if spec.conditional else None
    low, high = (-1.0, 1.0) if spec.uniform_noise else (-NORMAL_RANGE, NORMAL_RANGE)
    noise = sweep_noise(base, args.dim, np.linspace(low, high, args.steps))
    grid, gif = write_sweep(state, noise, labels, config.channels, out / f"sweep_dim{args.dim}")
    print(f"Wrote {grid} and {gif} (dimension {args.dim} from {low:g} to {high:g}, {path})")
    if spec.conditional:
        by_label = np.repeat(base[:, None, :], 10, axis=1)  # (rows, 10, D): same noise per row
        grid, gif = write_sweep(
            state, by_label, np.arange(10), config.channels, out / "sweep_labels", transpose=True
        )
        print(f"Wrote {grid} and {gif} (digits 0-9 down, {args.rows} noise vectors across)")
    return 0


def sweep_noise(base: np.ndarray, dim: int, values: np.ndarray) -> np.ndarray:
    """(rows, D) base vectors -> (rows, steps, D): row r's vector with `dim` set to each value."""
    noise = np.repeat(base[:, None, :], len(values), axis=1)
    noise[:, :, dim] = values
    return noise.astype(np.float32)


def write_sweep(
    state, noise: np.ndarray, labels: np.ndarray | None, channels: int, stem: Path,
    transpose: bool = False,
) -> tuple[Path, Path]:  # fmt: skip
    """A grid PNG of (rows, steps, D) noise, a row per base vector (or, `transpose`d, a column
    per base vector), and a GIF whose frame t shows every base vector's t-th image.

    `labels`: per row (rows,) for the Z sweep; per step (steps,) for the label sweep.
    """
    import imageio.v3 as iio

    from dcgan_tf.common.files import write_atomic_with
    from dcgan_tf.generator.sampling import generate_pixels
    from dcgan_tf.tutorial.images import image_grid, save_image_grid

    rows, steps = noise.shape[:2]
    flat_labels = None
    if labels is not None:
        flat_labels = np.tile(labels, rows) if transpose else np.repeat(labels, steps)
    pixels = generate_pixels(state, noise.reshape(rows * steps, -1), flat_labels, channels)
    pixels = pixels.reshape(rows, steps, *pixels.shape[1:])
    by_step = pixels.swapaxes(0, 1)  # (steps, rows, ...)
    shown, columns = (by_step, rows) if transpose else (pixels, steps)
    grid = save_image_grid(shown.reshape(-1, *pixels.shape[2:]), Path(f"{stem}.png"), columns)
    frames = np.stack([image_grid(column, columns=rows) for column in by_step])
    frames = np.concatenate([frames, frames[-2:0:-1]])  # there and back again: a seamless loop
    gif = write_atomic_with(
        Path(f"{stem}.gif"),
        lambda tmp: iio.imwrite(tmp, frames, extension=".gif", duration=150, loop=0),
    )
    return grid, gif


if __name__ == "__main__":
    sys.exit(main())
