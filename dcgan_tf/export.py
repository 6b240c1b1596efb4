"""Command line: export a run's generator to use it without this package.

    python -m dcgan_tf.export --out export                       # newest checkpoint in checkpoints/
    python -m dcgan_tf.export --out export --checkpoint checkpoints/ckpt-3

Writes into --out:

    saved_model/     a TensorFlow SavedModel whose signature `serving_default` maps
                     noise (N, noise_dim) float32 [, label (N,) int32 for cdcgan]
                     -> images (N, S, S, channels) uint8, the pixels `sample` draws
                     (S x S: the run's --image-size, 28 unless it was trained at another)
    generator.keras  the Keras generator itself (its raw output, before the pixel scaling)
    export.json      what the signature expects and returns: model, noise size and distribution,
                     the images' shape

The signature takes the noise rather than drawing it, so the caller decides the randomness.

The three are written into `.NAME.writing/` beside --out and swapped in at the end, all at once:
an earlier export in --out stays whole until then, whatever stops this one (kill -9 included).
So --out holds an export and nothing else. One export at a time per folder: an OS lock on its
`.lock` (run/locks.py), which the new folder brings along, locked, into the swap; a second export
exits 2 at once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dcgan_tf.cli import Parser, add_checkpoint_flags, open_trained_run, path_arg, run_command
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import check_writable_folder, prove_writable, write_folder_atomic
from dcgan_tf.run.locks import LOCK_NAME, lock_folders

if TYPE_CHECKING:  # annotations only: --help answers before TensorFlow loads
    from dcgan_tf.config import TrainConfig
    from dcgan_tf.run.state import GanState

SAVED_MODEL = "saved_model"
KERAS_FILE = "generator.keras"
EXPORT_INFO = "export.json"
SIGNATURE = "serving_default"
EXPORT_FILES = (SAVED_MODEL, KERAS_FILE, EXPORT_INFO)


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
    target = check_export_folder(args.out)  # before the checkpoint loads
    with lock_folders({"--out": args.out}):
        run = open_trained_run(args)
        export_into(run.state, run.config, target)
    print(f"Exported the {run.spec.name} generator of {run.path} to {args.out}")
    return 0


def export_run(state: GanState, config: TrainConfig, out: str | Path) -> Path:
    """Export `state`'s generator into `out` as the command does (the Python API's export):
    the folder checked, locked, written beside it and swapped in whole."""
    target = check_export_folder(str(out))
    with lock_folders({"--out": str(out)}):
        return export_into(state, config, target)


def export_into(state: GanState, config: TrainConfig, target: Path) -> Path:
    """Write the export into a new folder beside `target` and swap it in at the end; the caller
    holds `target`'s lock, and the new folder brings its own, held until the swap is done."""
    with contextlib.ExitStack() as held:

        def fill(folder: Path) -> None:
            held.enter_context(lock_folders({"--out": folder}))
            export_generator(state, config, folder)

        write_folder_atomic(target, fill)
    return target


def check_export_folder(out: str) -> Path:
    """--out as the folder the export replaces whole (where a link leads): a folder, new or
    holding an export only, in a folder that can be written."""
    check_writable_folder(out, "--out")
    target = Path(os.path.realpath(out))
    others = sorted(p.name for p in target.iterdir() if p.name not in (*EXPORT_FILES, LOCK_NAME))
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise UserError(
            f"--out {out} holds {shown}, no part of an export; an export replaces the whole "
            "folder, so name a new folder or an earlier export's"
        )
    prove_writable(target.parent, f"--out {out}")  # the new export is written beside it
    return target


def export_generator(state: GanState, config: TrainConfig, folder: Path) -> Path:
    """Write the SavedModel, the .keras file and export.json of `state`'s generator (a run of
    `config`) into `folder`, export.json last."""
    import tensorflow as tf

    from dcgan_tf.common.files import write_atomic
    from dcgan_tf.generator.serving import ServingGenerator

    noise_dim, channels, spec = config.noise_dim, config.channels, state.spec
    size = config.image_size
    module = ServingGenerator(state, noise_dim, channels)
    tf.saved_model.save(module, str(folder / SAVED_MODEL), signatures={SIGNATURE: module.serve})
    state.generator.save(folder / KERAS_FILE)
    info = {
        "model": spec.name,
        "signature": SIGNATURE,
        "inputs": {"noise": f"float32 (N, {noise_dim})"}
        | ({"label": "int32 (N,), the digit 0-9"} if spec.conditional else {}),
        "noise": "uniform in [-1, 1]" if spec.uniform_noise else "standard normal",
        "outputs": {"images": f"uint8 (N, {size}, {size}, {channels})"},
    }
    write_atomic(folder / EXPORT_INFO, (json.dumps(info, indent=2) + "\n").encode())
    return folder


if __name__ == "__main__":
    sys.exit(main())
