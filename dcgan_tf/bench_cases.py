"""One benchmark case in a fresh process: `python -m dcgan_tf.bench_cases CASE ...` prints JSON.

Each case runs in its own process (as a user's run would), so thread pools, compiled graphs and
memory peaks of one case never touch another. Cases:

    notebook       the tutorial's own loop (`bench_baseline.py`), whole epochs
    notebook_step  the tutorial's train step alone, fed the same batch, at `--batch-size`
    dcgan_tf       `training.train` as `generate` runs it, with all its per-epoch work;
                   `--set precision=mixed_bfloat16 --set jit_compile=true ...` adds options
    step           the train step alone, fed the same batch, at `--batch-size`
    pipeline       the input pipeline alone (`data.make_dataset`), no training
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def peak_memory_mb() -> float:
    """The process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_settings(pairs: list[str]) -> dict:
    """['precision="mixed_bfloat16"', 'jit_compile=true', 'steps_per_call=4']: JSON values."""
    return {name: json.loads(value) for name, value in (pair.split("=", 1) for pair in pairs)}


def run_dcgan_tf(images: np.ndarray, args: argparse.Namespace, work: Path) -> dict:
    from dcgan_tf.config import TrainConfig
    from dcgan_tf.training import train

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

    train(config, images, log=log)
    return {"epochs": epochs, "config": dataclasses.asdict(config)}


def run_step(images: np.ndarray, args: argparse.Namespace, notebook: bool) -> dict:
    """Seconds per step of the bare train step, fed the same batch each time: the notebook's
    (`notebook`) or dcgan_tf's Stepper with the `--set` options."""
    import tensorflow as tf

    from dcgan_tf.bench_baseline import Notebook
    from dcgan_tf.checkpoints import build_state
    from dcgan_tf.config import TrainConfig
    from dcgan_tf.data import to_model_range

    batch = tf.constant(to_model_range(np.resize(images, (args.batch_size, 28, 28))))
    config = TrainConfig(batch_size=args.batch_size, **parse_settings(args.set))
    if notebook:
        train_step = Notebook(args.batch_size, Path(".")).train_step
        steps, run = 1, lambda: train_step(batch)
    else:
        from dcgan_tf.steps import Stepper

        stepper = Stepper(build_state(100, 1e-4, 0, precision=config.precision), config)
        group = [(batch,)] * config.steps_per_call
        steps, run = len(group), lambda: stepper(group)
    for _ in range(2):  # warm-up: tracing, XLA compilation, oneDNN primitive creation
        run()
    times = []
    for _ in range(max(1, args.repeats // steps)):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) / steps)
    return {"step_seconds": times}


def run_pipeline(images: np.ndarray, args: argparse.Namespace) -> dict:
    """Images per second that the input pipeline delivers alone, over whole epochs."""
    import tensorflow as tf

    from dcgan_tf.data import make_dataset, to_model_range

    with tf.device("/CPU:0"):
        data = tf.constant(to_model_range(images))
    epochs = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        for (batch,) in make_dataset(data, args.batch_size, 0, epoch):
            batch.shape  # noqa: B018 (the batch is produced; nothing else to do)
        epochs.append((time.perf_counter() - start, len(images)))
    return {"epochs": epochs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dcgan_tf.bench_cases")
    parser.add_argument(
        "case", choices=("notebook", "dcgan_tf", "notebook_step", "step", "pipeline")
    )
    parser.add_argument("--data-dir", help="MNIST IDX files; synthetic digits when absent")
    parser.add_argument("--split", default="test")
    parser.add_argument("--images", type=int, default=0, help="use the first N images (0: all)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--set", action="append", default=[], help="a TrainConfig field=value")
    args = parser.parse_args(argv)

    from dcgan_tf.cli import import_tensorflow

    import_tensorflow()
    from dcgan_tf.bench_baseline import run_notebook_loop
    from dcgan_tf.data import load_split

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
        elif args.case in ("notebook_step", "step"):
            result = run_step(images, args, notebook=args.case == "notebook_step")
        else:
            result = run_pipeline(images, args)
    result["peak_memory_mb"] = peak_memory_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
