"""Command line: walk the generator's latent space between pairs of random points.

    python -m dcgan_tf.interpolate --rows 4 --steps 10              # linear and slerp
    python -m dcgan_tf.interpolate --method slerp --seed 3 --out docs

Writes interpolation_<method>.png (one row per pair of endpoints, from G(z0) to G(z1)) and
interpolation_<method>.gif (the walk, all rows at once): the Python API's
`TrainedRun.interpolate` for each method.

    python -m dcgan_tf.interpolate sweep --dim 3                # one noise dimension: sweep.py
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dcgan_tf.cli import Parser, add_checkpoint_flags, add_label_flag, add_out_flag, run_command
from dcgan_tf.generator.drawing import WALKS
from dcgan_tf.trained_run import open_walk


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
    add("--method", choices=(*WALKS, "both"), default="both", help="(default: %(default)s)")
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
    from dcgan_tf.generator.sampling import save_walk

    for method in WALKS if args.method == "both" else (args.method,):
        walk = run.interpolate(args.rows, args.steps, method, args.seed, args.label)
        grid, gif = save_walk(walk, out / f"interpolation_{method}", duration=120)
        print(f"Wrote {grid} and {gif} ({args.rows} rows x {args.steps} steps, {run.checkpoint})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
