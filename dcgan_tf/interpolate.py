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
    add_out_flag,
    open_walk,
    run_command,
)

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
    add_out_flag(parser, "the PNG and the GIF")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sweep"]:  # the latent sweep, a subcommand of its own flags
        from dcgan_tf import sweep

        return sweep.main(argv[1:], prog="python -m dcgan_tf.interpolate sweep")
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args), {"--rows": args.rows, "--steps": args.steps})


def run(args: argparse.Namespace) -> int:
    run, out = open_walk(args, args.rows * args.steps, "the two endpoints")
    from dcgan_tf.generator.sampling import digit_rows

    endpoints = run.noise(2 * args.rows, args.seed).numpy()
    labels = digit_rows(args.rows, args.label) if run.spec.conditional else None
    methods = METHODS if args.method == "both" else (args.method,)
    for method in methods:
        grid, gif = interpolate(run, endpoints, labels, method, args.steps, out)
        print(f"Wrote {grid} and {gif} ({args.rows} rows x {args.steps} steps, {run.path})")
    return 0


def interpolate(run, endpoints, labels, method, steps, out) -> tuple[Path, Path]:
    """One grid PNG (a row per pair) and one GIF (frame t: every row's t-th image)."""
    from dcgan_tf.generator.sampling import lerp, save_walk, slerp

    rows = len(endpoints) // 2
    path_fn = slerp if method == "slerp" else lerp
    noise = np.concatenate([path_fn(endpoints[r], endpoints[rows + r], steps) for r in range(rows)])
    row_labels = None if labels is None else np.repeat(labels, steps)
    pixels = run.pixels(noise.astype(np.float32), row_labels)
    pixels = pixels.reshape(rows, steps, *pixels.shape[1:])
    return save_walk(pixels, out / f"interpolation_{method}", duration=120)


if __name__ == "__main__":
    sys.exit(main())
