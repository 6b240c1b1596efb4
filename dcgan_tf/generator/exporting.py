"""A run's generator as files to use without this package: a TensorFlow SavedModel whose signature
`serving_default` maps noise (N, noise_dim) float32 [, label (N,) int32 for cdcgan] to images
(N, S, S, channels) uint8 (the pixels `sample` draws), the Keras generator itself
(`generator.keras`, its raw output) and `export.json`, what the signature expects.

The three are written into `.NAME.writing/` beside the export's folder and swapped in at the end,
all at once: an earlier export there stays whole until then, whatever stops this one (kill -9
included). So the folder holds an export and nothing else. One export at a time per folder: an
OS lock on its `.lock` (run/locks.py), which the new folder brings along, locked, into the swap.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import (
    check_writable_folder,
    prove_writable,
    write_atomic,
    write_folder_atomic,
)
from dcgan_tf.config import TrainConfig
from dcgan_tf.run.locks import LOCK_NAME, lock_folders

if TYPE_CHECKING:  # annotations only: `export --help` answers before TensorFlow loads
    from dcgan_tf.run.state import GanState

SAVED_MODEL = "saved_model"
KERAS_FILE = "generator.keras"
EXPORT_INFO = "export.json"
SIGNATURE = "serving_default"
EXPORT_FILES = (SAVED_MODEL, KERAS_FILE, EXPORT_INFO)


@contextlib.contextmanager
def export_folder(out: str | Path) -> Iterator[Path]:
    """`out` checked as an export's folder (`check_export_folder`) and locked while the block
    writes into it: the folder an export replaces whole, where a link leads."""
    target = check_export_folder(str(out))
    with lock_folders({"--out": str(out)}):
        yield target


def export_into(state: GanState, config: TrainConfig, target: Path) -> Path:
    """Write the export of `state`'s generator into a new folder beside `target` and swap it in
    at the end; the caller holds `target`'s lock (`export_folder`), and the new folder brings
    its own, held until the swap is done."""
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

    from dcgan_tf.generator.serving import ServingGenerator

    noise_dim, channels, spec = config.noise_dim, config.channels, state.spec
    size = config.image_size
    module = ServingGenerator(state, noise_dim, channels, size)
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
