"""One benchmark case in a fresh process: `python -m dcgan_tf.tools.bench_cases CASE` prints JSON.

Each case runs in its own process (as a user's run would), so thread pools, compiled graphs and
memory peaks of one case never touch another. Cases:

    notebook       the tutorial's own loop (`bench_baseline.py`), whole epochs
    dcgan_tf       `training.loop.train` as `generate` runs it, with all its per-epoch work;
                   `--set precision='"mixed_bfloat16"' --set jit_compile=true` adds options
    duel           dcgan_tf's epochs and the notebook's, taking turns in one process
    steps          the notebook's train step and dcgan_tf's with each of `--options` (TrainConfig
                   fields: a speed option, or a model at a size), taking turns call by call,
                   fed the same batch, at `--batch-size`; with their memory (`bench_steps.py`)
    pipeline       the input pipeline alone (`tutorial.dataset.make_dataset`), no training
    teardown       how long deleting an epoch's iterator takes: the notebook's autotuned
                   pipeline against dcgan_tf's (the cause of the slow epochs, BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def parse_settings(pairs: list[str]) -> dict:
    """['precision="mixed_bfloat16"', 'jit_compile=true', 'steps_per_call=4']: JSON values."""
    return {name: json.loads(value) for name, value in (pair.split("=", 1) for pair in pairs)}


def run_dcgan_tf(images: np.ndarray, args: argparse.Namespace, work: Path) -> dict:
    from dcgan_tf.config import TrainConfig
    from dcgan_tf.training.loop import train

    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        out=str(work / "out"),
        checkpoint_dir=str(work / "ck"),
        **parse_settings(args.set),
    )
    epochs: list[tuple[float, int]] = []

    def log(line: str) -> None:  # the loop's own "Time for epoch N is X sec", grids and all
        match = re.match(r"Time for epoch \d+ is ([\d.e+-]+) sec", line)
        if match:
            epochs.append((float(match.group(1)), len(images)))

    from dcgan_tf.reporting.standard_hooks import standard_hooks

    hooks = standard_hooks(config, "/CPU:0", f"{len(images)} images")  # generate's own
    train(config, images, log=log, hooks=hooks)
    return {"epochs": epochs, "config": dataclasses.asdict(config)}


def run_duel(images: np.ndarray, args: argparse.Namespace, work: Path) -> dict:
    """dcgan_tf's epochs and the notebook's epochs taking turns in one process: after each of
    dcgan_tf's epochs (grids, checkpoint and all), a hook runs one epoch of the notebook's loop.
    Each epoch's own time is kept; the hook's time is taken out of dcgan_tf's."""
    from dcgan_tf.config import TrainConfig
    from dcgan_tf.run.hooks import Hook
    from dcgan_tf.tools.bench_baseline import Notebook, notebook_dataset
    from dcgan_tf.training.loop import train

    notebook = Notebook(args.batch_size, work)
    dataset = notebook_dataset(images, args.batch_size)
    notebook_epochs: list[float] = []

    class NotebookEpoch(Hook):
        def on_epoch_end(self, epoch: int, state: object) -> None:
            notebook_epochs.append(notebook.run_epoch(dataset, epoch))

    ours: list[float] = []

    def log(line: str) -> None:
        match = re.match(r"Time for epoch \d+ is ([\d.e+-]+) sec", line)
        if match:
            ours.append(float(match.group(1)) - notebook_epochs[-1])

    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        out=str(work / "out"),
        checkpoint_dir=str(work / "ck"),
    )
    from dcgan_tf.reporting.standard_hooks import standard_hooks

    hooks = [*standard_hooks(config, "/CPU:0", f"{len(images)} images"), NotebookEpoch()]
    train(config, images, log=log, hooks=hooks)
    return {
        "epochs": [(seconds, len(images)) for seconds in ours],
        "notebook_epochs": [(seconds, len(images)) for seconds in notebook_epochs],
    }


def run_pipeline(images: np.ndarray, args: argparse.Namespace) -> dict:
    """Images per second that the input pipeline delivers alone, over whole epochs."""
    import tensorflow as tf

    from dcgan_tf.tutorial.dataset import make_dataset, to_model_range

    with tf.device("/CPU:0"):
        data = tf.constant(to_model_range(images))
    epochs = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for (batch,) in make_dataset(data, args.batch_size, 0, epoch):
            batch.shape  # noqa: B018 (the batch is produced; nothing else to do)
        epochs.append((time.perf_counter() - start, len(images)))
    return {"epochs": epochs}


def run_teardown(images: np.ndarray, args: argparse.Namespace) -> dict:
    """Seconds that deleting each epoch's iterator takes at the epoch's end, for the notebook's
    pipeline (TensorFlow's default options: autotuned) and dcgan_tf's (`make_dataset`).
    Each epoch lasts `--epoch-seconds` of matrix multiplies in place of the train step: busy cores,
    as in training (after idle epochs, a sleep per batch, the wait shows far less often)."""
    import tensorflow as tf

    from dcgan_tf.tools.bench_baseline import notebook_dataset
    from dcgan_tf.tutorial.dataset import make_dataset, to_model_range

    data = tf.constant(to_model_range(images))
    pipelines = {
        "notebook": lambda epoch: notebook_dataset(images, args.batch_size),
        "dcgan_tf": lambda epoch: make_dataset(data, args.batch_size, 0, epoch),
    }
    pause = args.epoch_seconds / math.ceil(len(images) / args.batch_size)  # per batch
    work = tf.random.normal([512, 512])
    waits: dict[str, list[float]] = {name: [] for name in pipelines}
    for epoch in range(1, args.epochs + 1):
        for name, pipeline in pipelines.items():
            iterator = iter(pipeline(epoch))
            for _ in iterator:
                busy_until = time.perf_counter() + pause  # the train step
                while time.perf_counter() < busy_until:
                    tf.matmul(work, work)
            start = time.perf_counter()
            del iterator  # what ending an epoch's `for batch in dataset:` loop does
            waits[name].append(time.perf_counter() - start)
    return {"teardown_seconds": waits, "epoch_seconds": args.epoch_seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dcgan_tf.tools.bench_cases")
    parser.add_argument(
        "case", choices=("notebook", "dcgan_tf", "duel", "steps", "pipeline", "teardown")
    )
    parser.add_argument("--options", default='{"default": {}}', help="steps: name -> fields")
    parser.add_argument("--data-dir", help="MNIST IDX files; synthetic digits when absent")
    parser.add_argument("--split", default="test")
    parser.add_argument("--images", type=int, default=0, help="use the first N images (0: all)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--epoch-seconds", type=float, default=3.5, help="teardown: epoch length")
    parser.add_argument("--set", action="append", default=[], help="a TrainConfig field=value")
    args = parser.parse_args(argv)

    from dcgan_tf.cli import import_tensorflow

    import_tensorflow()
    from dcgan_tf.data.sources import load_split
    from dcgan_tf.tools.bench_baseline import run_notebook_loop
    from dcgan_tf.tools.bench_steps import peak_memory_mb, run_steps

    if args.data_dir:
        images, _ = load_split("mnist", args.split, args.data_dir)
    else:  # CI's smoke run: no data set needed
        images = np.random.default_rng(0).integers(0, 256, (1024, 28, 28)).astype(np.uint8)
    images = images[: args.images] if args.images else images
    with tempfile.TemporaryDirectory() as work:
        if args.case == "notebook":
            result = {"epochs": run_notebook_loop(images, args.epochs, args.batch_size, Path(work))}
        elif args.case == "dcgan_tf":
            result = run_dcgan_tf(images, args, Path(work))
        elif args.case == "duel":
            result = run_duel(images, args, Path(work))
        elif args.case == "steps":
            result = run_steps(images, args)
        elif args.case == "teardown":
            result = run_teardown(images, args)
        else:
            result = run_pipeline(images, args)
    result["peak_memory_mb"] = peak_memory_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
