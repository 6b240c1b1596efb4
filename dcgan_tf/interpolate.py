"""Command line: walk the generator's latent space between pairs of random points.

    python -m dcgan_tf.interpolate --rows 4 --steps 10              # linear and slerp
    python -m dcgan_tf.interpolate --method slerp --seed 3 --out docs

Writes interpolation_<method>.png (one row per pair of endpoints, from G(z0) to G(z1)) and
interpolation_<method>.gif (the walk, all rows at once).

    python -m dcgan_tf.interpolate sweep --dim 3                # one noise dimension: sweep.py
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

METHODS = ("linear", "slerp")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.interpolate",
        description="Interpolate between seeded random latent endpoints, linearly and along "
        "the sphere (slerp); a grid PNG and a GIF per method. `interpolate sweep --dim D` "
        "sweeps one noise dimension instead (see `interpolate sweep --help`).",
    )
    add = parser.add_argument
    add_checkpoint_flags(parser)
    add("--rows", type=int, default=4, help="pairs of endpoints, one row each (default: 4)")
    add("--steps", type=int, default=10, help="images per row, endpoints included (default: 10)")
    add("--method", choices=(*METHODS, "both"), default="both", help="(default: %(default)s)")
    add("--seed", type=int, default=0, help="seed of the endpoints (default: %(default)s)")
    add_label_flag(parser, "conditional models: every row's digit (default: row r shows digit r)")
    add(
        "--out",
        type=path_arg,
        metavar="DIR",
        help="output folder (default: the run's output folder)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sweep"]:  # the latent sweep, a subcommand of its own flags
        from dcgan_tf import sweep

        return sweep.main(argv[1:], prog="python -m dcgan_tf.interpolate sweep")
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args), {"--rows": args.rows, "--steps": args.steps})


def run(args: argparse.Namespace) -> int:
    if args.rows < 1 or args.steps < 2:
        raise UserError("--rows must be at least 1 and --steps at least 2 (the two endpoints)")
    check_seed(args.seed)
    if args.out:
        check_writable_folder(args.out, "--out")
    state, config, path = load_checkpoint_run(args)
    from dcgan_tf.generator.sampling import digit_rows, draw_noise, walk_image_bytes

    count = args.rows * args.steps
    request = f"--rows {args.rows} x --steps {args.steps}: {count} images"
    require_memory(count * walk_image_bytes(config.noise_dim, config.channels), request)
    if args.label is not None and not state.spec.conditional:
        raise UserError(
            f"{path} holds a {state.spec.name!r} model; --label needs cdcgan or carpedm20"
        )
    endpoints = draw_noise(state.spec, 2 * args.rows, config.noise_dim, args.seed).numpy()
    labels = digit_rows(args.rows, args.label) if state.spec.conditional else None
    out = check_writable_folder(args.out or config.out, "--out")
    methods = METHODS if args.method == "both" else (args.method,)
    for method in methods:
        grid, gif = interpolate(state, endpoints, labels, method, args.steps, config.channels, out)
        print(f"Wrote {grid} and {gif} ({args.rows} rows x {args.steps} steps, {path})")
    return 0


def interpolate(state, endpoints, labels, method, steps, channels, out) -> tuple[Path, Path]:
    """One grid PNG (a row per pair) and one GIF (frame t: every row's t-th image)."""
    import imageio.v3 as iio

    from dcgan_tf.common.files import write_atomic
    from dcgan_tf.generator.sampling import generate_pixels, lerp, slerp
    from dcgan_tf.tutorial.images import image_grid, save_image_grid

    rows = len(endpoints) // 2
    path_fn = slerp if method == "slerp" else lerp
    noise = np.concatenate([path_fn(endpoints[r], endpoints[rows + r], steps) for r in range(rows)])
    row_labels = None if labels is None else np.repeat(labels, steps)
    pixels = generate_pixels(state, noise.astype(np.float32), row_labels, channels)
    grid = save_image_grid(pixels, out / f"interpolation_{method}.png", columns=steps)
    by_step = pixels.reshape(rows, steps, *pixels.shape[1:]).swapaxes(0, 1)  # (steps, rows, ...)
    frames = np.stack([image_grid(column, columns=rows) for column in by_step])
    frames = np.concatenate([frames, frames[-2:0:-1]])  # there and back again: a seamless loop
    gif = write_atomic(
        out / f"interpolation_{method}.gif",
        iio.imwrite("<bytes>", frames, extension=".gif", duration=120, loop=0),
    )
    return grid, gif


if __name__ == "__main__":
    sys.exit(main())
