"""BENCHMARKS.md from the results of one `make bench` run: every number below is measured there."""

from __future__ import annotations

import argparse
import math
import statistics
import time

from dcgan_tf.common.progress import format_seconds
from dcgan_tf.tools.flops import FlopReport
from dcgan_tf.tools.flops_report import format_formula, format_table

TRAIN_SPLIT = 60_000  # images in the tutorial's epoch
TUTORIAL_EPOCHS = 50


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def epoch_rates(result: dict) -> list[float]:
    """Images/s of each epoch after the first (the first traces the step and warms caches)."""
    return [images / seconds for seconds, images in result["epochs"][1:]]


def epoch_rate(result: dict) -> float:
    return median(epoch_rates(result))


def per_round_ratios(results: dict, name: str, baseline: str, measure) -> list[float]:
    """measure(case) / measure(baseline) in each round: both ran minutes apart at most."""
    return [measure(a) / measure(b) for a, b in zip(results[name], results[baseline], strict=True)]


def render_report(
    header: str,
    args: argparse.Namespace,
    fast: dict,
    results: dict[str, list[dict]],
    flops: FlopReport,
    peaks: dict[str, float],
    seconds: float,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d')}: {header}.",
        f"Command: `python -m dcgan_tf.tools.bench --repeats {args.repeats} --epochs {args.epochs} "
        f"--steps {args.steps}`. {args.repeats} rounds; in each round every case runs once, "
        "in a fresh process, in turn; "
        f"the whole run took {format_seconds(seconds)}. Data: "
        f"{args.data_dir or 'synthetic digits'}"
        f"{f' (first {args.images} images)' if args.images else ''}. Ratios compare medians "
        "measured in the same round, then take the median over rounds. Higher is faster.",
        "",
        f"`--fast` on this CPU = {', '.join(f'{k} {v}' for k, v in fast.items())}.",
        "",
    ]
    lines += whole_epochs(results["epochs"], args)
    lines += teardown(results["teardown"]["teardown"][0])
    lines += step_table(results["steps"], flops, peaks)
    lines += pipeline(results["epochs"])
    lines += scaling(results["scaling"], results["epochs"])
    lines += work_accounting(flops, peaks)
    return "\n".join(lines) + "\n"


def whole_epochs(results: dict, args: argparse.Namespace) -> list[str]:
    rows = [
        "## 1. Whole epochs, as a user runs them",
        "",
        f"Images/s over whole epochs ({args.epochs} per process, the first left out as warm-up), "
        "with all per-epoch work: the notebook's matplotlib figure; dcgan_tf's grid, "
        "losses.csv/png, a checkpoint every epoch and the progress bar. Each run is a fresh "
        "process; its ratio is taken against the notebook's run of the same round.",
        "",
        "| run | images/s (median) | epochs (min - max) | ratio to notebook | peak memory |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    runs = [name for name in ("notebook", "default", "--fast") if name in results]
    for name in runs:
        rates = [rate for result in results[name] for rate in epoch_rates(result)]
        ratio = median(per_round_ratios(results, name, "notebook", epoch_rate))
        memory = max(r["peak_memory_mb"] for r in results[name])
        rows.append(
            f"| {name} | {median(rates):.0f} | {min(rates):.0f} - {max(rates):.0f} | "
            f"{ratio:.2f} | {memory:.0f} MB |"
        )
    if "--fast" not in results:
        rows += ["", "`--fast` is the default path on this CPU, so it is not run twice."]
    rows += ["", "Every measured epoch, images/s (one process after another):", ""]
    for name in runs:
        every = " | ".join(
            " ".join(f"{rate:.0f}" for rate in epoch_rates(result)) for result in results[name]
        )
        rows.append(f"- {name}: {every}")
    pairs = [
        (notebook[0], ours[0])
        for duel in results["duel"]
        for notebook, ours in zip(duel["notebook_epochs"][1:], duel["epochs"][1:], strict=True)
    ]
    ratios = [notebook / ours for notebook, ours in pairs]
    rows += [
        "",
        "**Epoch by epoch.** Whole-process rates swing with the machine (seen here: the same "
        "step 500 ms one minute and 900 ms a few minutes later, in both loops alike). To compare "
        "single epochs, the `duel` case runs both loops in one process, taking turns: after each "
        "of dcgan_tf's epochs (grid, losses, checkpoint and all), one epoch of the notebook's "
        f"loop. Over {len(ratios)} pairs of epochs, dcgan_tf's speed as a fraction of the "
        f"notebook's epoch right beside it: median **{median(ratios):.2f}**, slowest "
        f"**{min(ratios):.2f}**, fastest {max(ratios):.2f} (every pair: "
        f"{', '.join(f'{ratio:.2f}' for ratio in ratios)}).",
        "",
    ]
    return rows


def teardown(result: dict) -> list[str]:
    waits = result["teardown_seconds"]
    slow = {name: [w for w in seconds if w > 0.1] for name, seconds in waits.items()}
    epochs = len(waits["notebook"])
    return [
        "**What made epochs slow.** Deleting a `tf.data` iterator whose pipeline is autotuned "
        "(TensorFlow's default) waits for the autotuning thread's next wake-up; its period "
        "doubles from 10 ms up to 60 s, so an epoch that ends just after a wake-up waits almost "
        "as long as the epoch took again, with both cores idle (seen with gdb: the main thread "
        "in `~Iterator`, waiting on `Model::OptimizeLoop`). The `teardown` case measures it: "
        f"{epochs} epochs of {result['epoch_seconds']:g} s of busy cores each (matrix "
        "multiplies in place of the step), then the iterator is deleted. The notebook's "
        f"pipeline waited in {len(slow['notebook'])} of {epochs} epochs, up to "
        f"**{max(waits['notebook']):.2f} s**; dcgan_tf's (`make_dataset`, autotuning "
        f"off, a fixed buffer of 2 batches) waited in {len(slow['dcgan_tf'])}, at most "
        f"**{max(waits['dcgan_tf']):.3f} s**. The notebook's own loop keeps TensorFlow's "
        "default, as the tutorial writes it.",
        "",
    ]


def step_table(results: dict, flops: FlopReport, peaks: dict[str, float]) -> list[str]:
    rows = [
        "## 2. The train step alone, each option alone and combined",
        "",
        "Each option runs in a process of its own beside the notebook's step, the two taking "
        "turns call by call (after two warm-up calls each), fed the same 256-image batch, so "
        "only the step is timed and a slower minute slows both alike; the ratio is taken in "
        "each process, then the median over rounds. GFLOP/s = the step's work (section 5) / "
        "its time; '% of peak' compares it with this machine's matrix-multiply rate measured "
        "in the same run (bfloat16 peak for bfloat16 rows, float32 peak for the others). Peak "
        "memory: the process's (the notebook's step included).",
        "",
        "| step | ms/step | images/s | ratio to notebook step | GFLOP/s | % of peak "
        "| peak memory |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def row(name: str, step: float, ratio: float, memory: str) -> str:
        peak = peaks["bfloat16" if "bfloat16" in name else "float32"]
        achieved = flops.total / step / 1e9
        return (
            f"| {name} | {step * 1e3:.0f} | {256 / step:.0f} | {ratio:.2f} | "
            f"{achieved:.0f} | {100 * achieved / peak:.0f}% | {memory} |"
        )

    notebook = [
        median(r["step_seconds"]["notebook step"]) for runs in results.values() for r in runs
    ]
    rows.append(row("notebook step", median(notebook), 1.0, "-"))
    for name, runs in results.items():
        ours = [median(r["step_seconds"][name]) for r in runs]
        theirs = [median(r["step_seconds"]["notebook step"]) for r in runs]
        ratio = median([b / a for a, b in zip(ours, theirs, strict=True)])
        memory = max(r["peak_memory_mb"] for r in runs)
        rows.append(row(name, median(ours), ratio, f"{memory:.0f} MB"))
    return [*rows, ""]


def pipeline(results: dict) -> list[str]:
    delivered = median([rate for r in results["pipeline"] for rate in epoch_rates(r)])
    consumed = median([rate for r in results["default"] for rate in epoch_rates(r)])
    return [
        "## 3. The input pipeline alone",
        "",
        f"`make_dataset` delivers {delivered:.0f} images/s with nothing else running; "
        f"training (the default path, section 1) consumes {consumed:.0f}: "
        f"**{delivered / consumed:.0f}x** what training needs.",
        "",
    ]


def scaling(results: dict, epochs: dict) -> list[str]:
    rows = [
        "## 4. Batch size, and what a run of the tutorial's length costs here",
        "",
        "ms/step of the step alone (section 2's method, default and `--fast` taking turns) and "
        "the epoch of the 60,000-image train split it implies (ceil(60,000 / batch) steps, "
        "per-epoch work not included).",
        "",
        "| batch | ms/step | images/s | 60,000-image epoch | --fast ms/step | --fast epoch |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, runs in results.items():
        steps = math.ceil(TRAIN_SPLIT / int(size))
        default = median([median(r["step_seconds"]["default"]) for r in runs])
        label = "--fast" if "--fast" in runs[0]["step_seconds"] else "default"  # the same step
        fast = median([median(r["step_seconds"][label]) for r in runs])
        rows.append(
            f"| {size} | {default * 1e3:.0f} | {int(size) / default:.0f} | "
            f"{format_seconds(steps * default)} | {fast * 1e3:.0f} | "
            f"{format_seconds(steps * fast)} |"
        )
    total = TUTORIAL_EPOCHS * TRAIN_SPLIT
    default = median([rate for r in epochs["default"] for rate in epoch_rates(r)])
    fast_runs = epochs.get("--fast", epochs["default"])  # the same path when not timed apart
    fast = median([rate for r in fast_runs for rate in epoch_rates(r)])
    rows += [
        "",
        f"The tutorial's {TUTORIAL_EPOCHS} epochs of 60,000 images at batch 256, from section 1's "
        f"whole-epoch rates: **{format_seconds(total / default)}** with the defaults, "
        f"**{format_seconds(total / fast)}** with `--fast`.",
        "",
    ]
    return rows


def work_accounting(flops: FlopReport, peaks: dict[str, float]) -> list[str]:
    return [
        "## 5. Work accounting",
        "",
        format_formula(flops),
        "",
        format_table(flops),
        "",
        f"One train step at batch 256: **{flops.total / 1e9:.1f} GFLOP**. This machine's "
        f"matrix-multiply peak, measured in this run: float32 {peaks['float32']:.0f} GFLOP/s, "
        f"bfloat16 {peaks['bfloat16']:.0f} GFLOP/s.",
        "",
    ]
