"""Command line: export a run's generator to use it without this package.

    python -m dcgan_tf.export --out export                       # newest checkpoint in checkpoints/
    python -m dcgan_tf.export --out export --checkpoint checkpoints/ckpt-3

Writes into --out:

    saved_model/     a TensorFlow SavedModel whose signature `serving_default` maps
                     noise (N, noise_dim) float32 [, label (N,) int32 for cdcgan]
                     -> images (N, S, S, channels) uint8, the pixels `sample` draws
    generator.keras  the Keras generator itself (its raw output, before the pixel scaling)
    export.json      what the signature expects: model, noise size and distribution, channels

The signature takes the noise rather than drawing it, so the caller decides the randomness.

The three are written into `.NAME.writing/` beside --out and swapped in at the end, all at once:
an earlier export in --out stays whole until then, whatever stops this one (kill -9 included).
So --out holds an export and nothing else. One export at a time per folder: an OS lock on its
`.lock` (run/locks.py), taken before the checkpoint loads, which the new folder brings along,
locked, into the swap; a second export exits 2 at once. The export is the Python API's
(`TrainedRun.export`; generator/exporting.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dcgan_tf.cli import Parser, add_checkpoint_flags, path_arg, run_command
from dcgan_tf.generator.exporting import export_folder
from dcgan_tf.trained_run import open_trained_run


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.export",
        description="Export the generator of a run's newest checkpoint as a TensorFlow "
        "SavedModel (noise -> uint8 images) and a .keras file.",
    )
    add_checkpoint_flags(parser)
    parser.add_argument(
        "--out",
        type=path_arg,
        required=True,
        metavar="DIR",
        help="the export's folder: a new one, or an earlier export's (replaced at the end)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    with export_folder(args.out) as target:  # checked and locked before the checkpoint loads
        run = open_trained_run(args)
        run.export_into(target)
    print(f"Exported the {run.spec.name} generator of {run.checkpoint} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
