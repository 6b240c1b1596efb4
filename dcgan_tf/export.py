"""Command line: export a run's generator to use it without this package.

    python -m dcgan_tf.export --out export                       # newest checkpoint in checkpoints/
    python -m dcgan_tf.export --out export --checkpoint checkpoints/ckpt-3

Writes into --out:

    saved_model/     a TensorFlow SavedModel whose signature `serving_default` maps
                     noise (N, noise_dim) float32 [, label (N,) int32 for cdcgan]
                     -> images (N, 28, 28, channels) uint8, the pixels `sample` draws
    generator.keras  the Keras generator itself (its raw output, before the pixel scaling)
    export.json      what the signature expects: model, noise size and distribution, channels

The signature takes the noise rather than drawing it, so the caller decides the randomness.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dcgan_tf.cli import Parser, add_checkpoint_flags, open_trained_run, path_arg, run_command
from dcgan_tf.common.files import check_writable_folder

SAVED_MODEL = "saved_model"
KERAS_FILE = "generator.keras"
SIGNATURE = "serving_default"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.export",
        description="Export the generator of a run's newest checkpoint as a TensorFlow "
        "SavedModel (noise -> uint8 images) and a .keras file.",
    )
    add_checkpoint_flags(parser)
    parser.add_argument(
        "--out", type=path_arg, required=True, metavar="DIR", help="folder to write into"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    check_writable_folder(args.out, "--out")  # before the checkpoint loads
    run = open_trained_run(args)
    written = export_generator(run.state, run.config.noise_dim, run.config.channels, Path(args.out))
    print(f"Exported the {run.spec.name} generator of {run.path} to {written}")
    return 0


def export_generator(state, noise_dim: int, channels: int, out: Path) -> Path:
    """Write the SavedModel, the .keras file and export.json of `state`'s generator into `out`."""
    import tensorflow as tf

    from dcgan_tf.common.files import write_atomic
    from dcgan_tf.generator.serving import ServingGenerator

    out.mkdir(parents=True, exist_ok=True)
    module = ServingGenerator(state, noise_dim, channels)
    tf.saved_model.save(module, str(out / SAVED_MODEL), signatures={SIGNATURE: module.serve})
    state.generator.save(out / KERAS_FILE)
    spec = state.spec
    info = {
        "model": spec.name,
        "signature": SIGNATURE,
        "inputs": {"noise": f"float32 (N, {noise_dim})"}
        | ({"label": "int32 (N,), the digit 0-9"} if spec.conditional else {}),
        "noise": "uniform in [-1, 1]" if spec.uniform_noise else "standard normal",
        "outputs": {"images": f"uint8 (N, 28, 28, {channels})"},
    }
    write_atomic(out / "export.json", (json.dumps(info, indent=2) + "\n").encode())
    return out


if __name__ == "__main__":
    sys.exit(main())
