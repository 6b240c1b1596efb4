"""Command line: the latent sweep ("Z changes"), and for a conditional model "X changes".

    python -m dcgan_tf.interpolate sweep --dim 3            # also: python -m dcgan_tf.sweep
    python -m dcgan_tf.interpolate sweep --dim 3 --rows 6 --steps 12 --seed 1

Z changes: `--rows` base noise vectors, held fixed except noise dimension `--dim`, which moves
from its low to its high value across the `--steps` columns (uniform noise: -1 to 1; normal
noise: -3 to 3 standard deviations). Writes sweep_dim<D>.png (a row per base vector) and
sweep_dim<D>.gif (frame t: every row's t-th image, there and back).

X changes (conditional models): the same noise down each column, the digit label 0 to 9 across
the rows; writes sweep_labels.png and sweep_labels.gif (frame d: every column as digit d).
The images are the Python API's `TrainedRun.sweep` and `label_sweep`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dcgan_tf.cli import Parser, add_checkpoint_flags, add_label_flag, add_out_flag, run_command
from dcgan_tf.common.errors import UserError
from dcgan_tf.trained_run import open_walk


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
    add_out_flag(parser, "the PNGs and the GIFs")
    return parser


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    args = build_parser(prog or "python -m dcgan_tf.sweep").parse_args(argv)
    return run_command(lambda: run(args), {"--rows": args.rows, "--steps": args.steps})


def run(args: argparse.Namespace) -> int:
    # The Z sweep's images, and the label sweep's of a conditional model.
    run, out = open_walk(args, args.rows * (args.steps + 10), "the low and high ends")
    from dcgan_tf.generator.sampling import save_walk, sweep_range

    noise_dim = run.config.noise_dim
    if not 0 <= args.dim < noise_dim:
        raise UserError(f"--dim must be in 0..{noise_dim - 1} (--noise-dim {noise_dim})")
    low, high = sweep_range(run.spec)
    pixels = run.sweep(args.dim, args.rows, args.steps, args.seed, args.label)
    grid, gif = save_walk(pixels, out / f"sweep_dim{args.dim}", 150)
    print(
        f"Wrote {grid} and {gif} (dimension {args.dim} from {low:g} to {high:g}, {run.checkpoint})"
    )
    if run.spec.conditional:
        pixels = run.label_sweep(args.rows, args.seed)  # (rows, 10): shown a column per row
        grid, gif = save_walk(pixels, out / "sweep_labels", 150, transpose=True)
        print(f"Wrote {grid} and {gif} (digits 0-9 down, {args.rows} noise vectors across)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
