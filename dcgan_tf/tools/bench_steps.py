"""The `steps` case of `bench_cases.py`: train steps taking turns call by call in one process, each
fed one batch again and again; the seconds of every call, the memory and the work of each step.

Each option is a set of TrainConfig fields (`{"precision": "mixed_bfloat16"}`, or a model at a
size: `{"model": "pytorch", "image_size": 64, "channels": 3, "batch_size": 128}`), filled in as
`--model` fills them (the model's preset for the fields not given). The notebook's own step at
28x28 (`bench_baseline.Notebook`) always takes part, first in every turn: the yardstick.

Memory, two ways, on the step's device:
- `tf_peak_mb`: TensorFlow's allocator (`tf.config.experimental.get_memory_info`): what the
  step keeps (its weights, optimizer slots and batch: the allocator's growth while it is built
  and called twice) plus the most one call allocates above what is already held (the peak
  during the call, reset just before, minus the memory held at its start): the step's own
  peak, whatever the other step of the process holds.
- `rss_growth_mb`: the process's peak resident memory after the step is built and called twice,
  minus its resident memory before it was built: what the step adds to a process (the
  allocator's free lists, oneDNN's buffers and the traced graphs included). The options are built
  before the notebook's step, the first of them first, so the first option's growth is its own.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from dcgan_tf.config import TrainConfig
from dcgan_tf.data.pictures import resize_images
from dcgan_tf.run.state import build_state_for
from dcgan_tf.tools.bench_baseline import Notebook
from dcgan_tf.tools.bench_sizes import step_flops
from dcgan_tf.training.steps import Stepper
from dcgan_tf.tutorial.dataset import to_model_range

NOTEBOOK = "notebook step"
Runner = tuple[int, Callable[[], object]]  # (train steps per call, the call)


def peak_memory_mb() -> float:
    """The process's peak resident memory (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_memory_mb() -> float:
    """The process's resident memory now (Linux's /proc/self/statm); elsewhere its peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return peak_memory_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def step_config(batch_size: int, settings: dict) -> TrainConfig:
    """The config of one option: `settings` over `batch_size` and the model's preset."""
    return TrainConfig.for_model(**{"batch_size": batch_size, **settings})


def step_batch(images: np.ndarray, config: TrainConfig) -> tf.Tensor:
    """`images` (N, s, s) uint8 as one batch of the config's pictures: repeated or cut to its
    batch size, resized to its image size (the data's own filter), gray copied into each colour."""
    pixels = np.resize(images, (config.batch_size, *images.shape[1:]))
    pixels = resize_images(pixels, config.image_size)
    if config.channels > 1:
        pixels = np.repeat(pixels[..., np.newaxis], config.channels, axis=-1)
    return tf.constant(to_model_range(pixels))


def stepper_runner(images: np.ndarray, config: TrainConfig) -> tuple[Runner, int]:
    """dcgan_tf's step for `config` as the training loop calls it, and its FLOPs per step."""
    state = build_state_for(config)
    stepper = Stepper(state, config)
    group = [(step_batch(images, config),)] * config.steps_per_call
    return (len(group), lambda: stepper(group)), step_flops(state, config)


def notebook_runner(images: np.ndarray, batch_size: int) -> Runner:
    """The notebook's own step on a batch of `images` as the tutorial scales them."""
    batch = tf.constant(to_model_range(np.resize(images, (batch_size, *images.shape[1:]))))
    notebook_step = Notebook(batch_size, Path(".")).train_step
    return 1, lambda: notebook_step(batch)


def memory_device() -> str:
    return "GPU:0" if tf.config.list_physical_devices("GPU") else "CPU:0"


def allocated_mb(device: str) -> dict[str, float]:
    """TensorFlow's allocator on `device`: the memory held now and its peak since the last
    reset (`tf.config.experimental.reset_memory_stats`), in MB."""
    info = tf.config.experimental.get_memory_info(device)
    return {"current": info["current"] / 2**20, "peak": info["peak"] / 2**20}


def run_steps(images: np.ndarray, args: argparse.Namespace) -> dict:
    """Seconds per step of the notebook's step and each of `args.options`, taking turns call by
    call (after two warm-up calls each: tracing, XLA compilation, oneDNN primitives), so a
    machine that slows down slows them all alike; and each step's memory and work."""
    runners: dict[str, Runner] = {}
    growth: dict[str, float] = {}
    flops: dict[str, int] = {}
    batches: dict[str, int] = {NOTEBOOK: args.batch_size}

    device = memory_device()
    kept: dict[str, float] = {}

    def build(name: str, make: Callable[[], Runner]) -> None:
        gc.collect()  # else garbage freed while building counts against this step (kept < 0)
        before, held = resident_memory_mb(), allocated_mb(device)["current"]
        runners[name] = make()
        for _ in range(2):
            runners[name][1]()
        growth[name] = peak_memory_mb() - before
        kept[name] = allocated_mb(device)["current"] - held

    for name, settings in json.loads(args.options).items():
        config = step_config(args.batch_size, settings)
        batches[name] = config.batch_size

        def make(config: TrainConfig = config, name: str = name) -> Runner:
            runner, flops[name] = stepper_runner(images, config)
            return runner

        build(name, make)
    build(NOTEBOOK, lambda: notebook_runner(images, args.batch_size))
    turns = {NOTEBOOK: runners.pop(NOTEBOOK), **runners}  # the yardstick first in every turn
    seconds: dict[str, list[float]] = {name: [] for name in turns}
    above = dict.fromkeys(turns, 0.0)  # the most one call allocates above what is held
    for _ in range(args.repeats):
        for name, (steps, run) in turns.items():
            tf.config.experimental.reset_memory_stats(device)
            held = allocated_mb(device)["current"]
            start = time.perf_counter()
            run()
            seconds[name].append((time.perf_counter() - start) / steps)
            above[name] = max(above[name], allocated_mb(device)["peak"] - held)
    tf_peak = {name: kept[name] + above[name] for name in turns}
    return {
        "step_seconds": seconds,
        "batch_size": batches,
        "flops": flops,
        "tf_peak_mb": tf_peak,
        "rss_growth_mb": growth,
        "load_average": os.getloadavg()[0],
    }
