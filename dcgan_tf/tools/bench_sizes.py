"""BENCHMARKS.md's "Picture sizes": the train step of `dcgan` and `pytorch` at 28, 32, 64 and 128
pixels, each beside the notebook's 28x28 step measured in the same process.

    python -m dcgan_tf.tools.bench --only sizes --data-dir ../shared/data/mnist   # this alone

Each model at each size is one process (`bench_cases.py steps`, `bench_steps.py`) where its step
and the notebook's take turns call by call (A B A B ...): each call's time over the notebook
call's right before it, then the median of those ratios, holds on a machine whose speed swings
minute to minute. Each model trains at its own preset batch, as `--model` does (dcgan the
tutorial's 256, pytorch the PyTorch recipe's 128 with its alternating update), so images/s and
the ratio per image compare them; the ratio per step is the time a user waits for one step.

The work of a step (`step_flops`) is flops.py's count: the tutorial's formula for the
simultaneous update; for the alternating one (`options/alternating.py`, k = gen_steps: G's
update draws the fakes again and scores them with the updated D),

    step = B * [(1 + k) G_fwd + (2 + k) D_fwd + 2 D_bwd + k (D_in + G_bwd)] + Adam
"""

from __future__ import annotations

import os
import statistics
from typing import TYPE_CHECKING

from dcgan_tf.config import TrainConfig
from dcgan_tf.tools.flops import train_step_flops

if TYPE_CHECKING:
    from dcgan_tf.run.state import GanState

SECTION = "bench-sizes"  # the section's markers in BENCHMARKS.md
SIZES = (28, 32, 64, 128)
MODELS = ("dcgan", "pytorch")
COLOUR_SIZES = (64,)  # colour as well as gray: colour changes only the first and last layers
QUICK_SIZES = (32,)
NOTEBOOK = "notebook step"  # bench_steps' name for the yardstick


def label(model: str, size: int, channels: int) -> str:
    return f"{model} {size}x{size}x{channels}"


def size_options(quick: bool = False) -> dict[str, dict]:
    """label -> the TrainConfig fields of each step timed: gray at every size, colour at
    COLOUR_SIZES, each model at its preset batch (`--quick`: gray at 32 only)."""
    options = {}
    for model in MODELS:
        batch = TrainConfig.for_model(model=model).batch_size
        sizes = QUICK_SIZES if quick else SIZES
        colour = () if quick else COLOUR_SIZES
        shapes = [(s, c) for s in sizes for c in (1, 3) if c == 1 or s in colour]
        for size, channels in shapes:
            options[label(model, size, channels)] = {
                "model": model,
                "image_size": size,
                "channels": channels,
                "batch_size": batch,
                # colour is a folder's; not read here: the step is fed one batch of its own
                **({"dataset": "folder", "data_dir": "."} if channels == 3 else {}),
            }
    return options


def step_flops(state: GanState, config: TrainConfig) -> int:
    """FLOPs of one train step of `config` on `state`'s models (the formulas above)."""
    report = train_step_flops(state.generator, state.discriminator, config.batch_size)
    if config.update != "alternating":
        return report.total
    k = config.gen_steps
    per_example = (
        (1 + k) * report.g_forward
        + (2 + k) * report.d_forward
        + 2 * report.d_backward
        + k * (report.d_input_grad_for_g + report.g_backward)
    )
    return per_example * config.batch_size + report.optimizer


def pair_ratios(result: dict, name: str) -> list[float]:
    """Each call of `name` over the notebook's call right before it, in one process."""
    seconds = result["step_seconds"]
    return [a / b for a, b in zip(seconds[name], seconds[NOTEBOOK], strict=True)]


def render_sizes(
    results: dict[str, list[dict]], command: str, when: str, machine: str, tutorial_flops: int
) -> str:
    """The section (without its markers) from `results[label]` = that process's results."""
    every = [r for runs in results.values() for r in runs]
    loads = [r["load_average"] for r in every]
    calls = len(every[0]["step_seconds"][NOTEBOOK])
    minutes = sum(r["wall_seconds"] for r in every) / 60
    base = every[0]["batch_size"][NOTEBOOK]  # the notebook's batch: the tutorial's 256
    lines = [
        "## Picture sizes: one train step at 28, 32, 64 and 128 pixels",
        "",
        f"Measured by `{command}` on {when}: {machine}. One process per row ({len(every)} in "
        f"all, {minutes:.0f} minutes): the model's step at that size and the notebook's 28x28 "
        f"step (the tutorial's, batch {base}) took turns call by call, {calls} timed calls "
        "each after two warm-up calls, fed one batch again and again (MNIST digits resized "
        "with the data's Lanczos filter, the gray copied into 3 channels for colour). Each "
        "model at its preset batch, as `--model` trains it: dcgan the tutorial's 256, pytorch "
        "the PyTorch recipe's 128 with its alternating update. Load average over 1 minute "
        f"at the end of each process: {min(loads):.1f} to {max(loads):.1f}{load_note(loads)}. "
        "Times are medians; **x tutorial step** is the "
        "median over the pairs of calls of this step's time over the notebook step's right "
        "beside it, so a slower minute slows both alike; **x per image** is the same per "
        f"picture (times {base} / batch). GFLOP/step: `tools/flops.py`'s count (the "
        "alternating update's formula in `tools/bench_sizes.py`).",
        "",
        "Memory on the CPU, two ways: **TF peak** is TensorFlow's allocator "
        "(`tf.config.experimental.get_memory_info`): what the step keeps (weights, Adam's "
        "slots, its batch) plus the most one call allocates above that (activations, "
        "gradients), the step's own peak whatever the other step of the process holds; "
        "**RSS growth** is "
        "the process's peak resident memory after the step was built and called twice, minus "
        "its resident memory before: what training at that size adds to a process (the "
        "allocator's free memory, oneDNN's buffers and the traced graphs included).",
        "",
        "| model | picture | batch | ms/step | images/s | x tutorial step | x per image | "
        "GFLOP/step | GFLOP/s | TF peak | RSS growth |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(model: str, picture: str, batch: int, step: float, ratio: float, flops: int) -> str:
        return (
            f"| {model} | {picture} | {batch} | {step * 1e3:.0f} | {batch / step:.0f} | "
            f"{ratio:.2f} | {ratio * base / batch:.2f} | {flops / 1e9:.1f} | "
            f"{flops / step / 1e9:.0f} |"
        )

    tutorial = statistics.median([s for r in every for s in r["step_seconds"][NOTEBOOK]])
    peak = max(r["tf_peak_mb"][NOTEBOOK] for r in every)
    lines.append(row("notebook (tutorial)", "28x28x1", base, tutorial, 1.0, tutorial_flops))
    lines[-1] += f" {peak:.0f} MB | - |"
    for name, runs in results.items():
        model, picture = name.split(" ", 1)
        step = statistics.median([s for r in runs for s in r["step_seconds"][name]])
        ratio = statistics.median([x for r in runs for x in pair_ratios(r, name)])
        batch, flops = runs[0]["batch_size"][name], runs[0]["flops"][name]
        peak = max(r["tf_peak_mb"][name] for r in runs)
        growth = max(r["rss_growth_mb"][name] for r in runs)
        lines.append(row(model, picture, batch, step, ratio, flops))
        lines[-1] += f" {peak:.0f} MB | {growth:.0f} MB |"
    return "\n".join(lines)


def load_note(loads: list[float]) -> str:
    """What the load average says of the times: said only when it was above the cores."""
    if max(loads) <= (os.cpu_count() or 1):
        return ""
    return (
        f" (above the machine's {os.cpu_count()} cores, other work shared them: the times are "
        "slower, the ratios still compare)"
    )
