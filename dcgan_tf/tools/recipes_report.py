"""RECIPES.md from `make recipes`' curves.json: a table of each recipe's final and best FID
(means over seeds), the step at which it first reaches the tutorial recipe's final FID, every
measurement, and a plot of FID and classifier score against steps and against training time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic
from dcgan_tf.config import TrainConfig

STEPS_PER_EPOCH_NOTE = "40 steps an epoch on the MNIST test split at batch 256"
TUTORIAL_STEPS = 11750  # the tutorial's 50 epochs of 60,000 images at batch 256


def runs_of(bench: dict, label: str) -> list[dict]:
    return [run for run in bench["runs"] if run["label"] == label and run["points"]]


def final_fid(bench: dict, label: str) -> float:
    """The mean over seeds of a run's last FID (infinite when it measured nothing)."""
    finals = [run["points"][-1]["fid"] for run in runs_of(bench, label)]
    return float(np.mean(finals)) if finals else float("inf")


def mean_curve(runs: list[dict], key: str) -> tuple[list[int], list[float]]:
    """Steps measured by every seed, and the mean of `key` there."""
    steps = sorted(set.intersection(*[{p["step"] for p in run["points"]} for run in runs]))
    values = []
    for s in steps:
        at = [next(p[key] for p in run["points"] if p["step"] == s) for run in runs]
        values.append(float("nan") if None in at else float(np.mean(at)))  # None: not timed
    return steps, values


def first_step_reaching(runs: list[dict], target: float) -> int | None:
    """The first measured step whose seed-mean FID is at or below `target`."""
    steps, fids = mean_curve(runs, "fid")
    return next((s for s, f in zip(steps, fids, strict=True) if f <= target), None)


def write_report(bench: dict, report: Path, plot: Path, notes: Sequence[str] = ()) -> None:
    labels = list(dict.fromkeys(run["label"] for run in bench["runs"] if run["points"]))
    if not labels:
        raise UserError("no measurements to report yet")
    draw_plot(bench, labels, plot)
    tutorial = runs_of(bench, "tutorial")
    target = final_fid(bench, "tutorial") if tutorial else None
    target_step = mean_curve(tutorial, "fid")[0][-1] if tutorial else None
    reduced = bench["steps"] < TUTORIAL_STEPS
    every = sorted({run["eval_every_epochs"] for run in bench["runs"]})
    lines = [
        "# Training recipes against the tutorial's",
        "",
        "Written by `make recipes` (`python -m dcgan_tf.tools.recipes_bench`); recipes are "
        "defined in `dcgan_tf/config/recipes.py`, the metrics in docs/quality.md.",
        "",
    ]
    if reduced:
        lines += [
            f"**A reduced run**: {bench['steps']} steps per run and seed(s) "
            f"{', '.join(map(str, bench['seeds']))}, not the issue's 11,750 steps and two "
            "seeds (one step costs about a second on this shared 2-core CPU). The numbers below "
            "say which recipe gets going fastest; they do not show the 50-epoch quality.",
            "",
        ]
    lines += [
        f"- Data: `{bench['data']}`; batch 256 ({STEPS_PER_EPOCH_NOTE}).",
        f"- Measured every {' or '.join(map(str, every))} epochs with {bench['eval_samples']} "
        "samples (FID runs higher with fewer samples: compare rows, not other tables).",
        "- Training time excludes the measurements; all runs shared the machine with other "
        "jobs, so seconds compare only roughly.",
        *[f"- {note}" for note in notes],
        "",
        "| run | values | final FID | best FID (step) | classifier score | digits under 5% | "
        "largest / smallest digit share | train time | reaches the tutorial's final FID at step |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label in labels:
        runs = runs_of(bench, label)
        last = [run["points"][-1] for run in runs]
        timed = [[p for p in run["points"] if p["train_seconds"] is not None][-1] for run in runs]
        steps, fids = mean_curve(runs, "fid")
        best = int(np.argmin(fids))
        values = changed_values(runs[0]["values"])
        reach = first_step_reaching(runs, target) if target is not None else None
        rare = " / ".join(", ".join(map(str, p["digits_under_5"])) or "none" for p in last)
        if last[0]["step"] < runs[0]["steps"]:
            label = f"{label} (unfinished: stopped at step {last[0]['step']})"
        lines.append(
            f"| {label} | {values} | {np.mean([p['fid'] for p in last]):.1f} | "
            f"{fids[best]:.1f} ({steps[best]}) | "
            f"{np.mean([p['classifier_score'] for p in last]):.2f} | {rare} | "
            f"{np.mean([p['max_share'] for p in last]):.0%} / "
            f"{np.mean([p['min_share'] for p in last]):.0%} | "
            f"{np.mean([p['train_seconds'] for p in timed]):.0f} s for {timed[0]['step']} steps | "
            f"{'-' if reach is None else reach} |"
        )
    if target is not None:
        lines += [
            "",
            f"The last column: the first measured step at which a run's FID (mean over seeds) is "
            f"at or below the tutorial recipe's FID after {target_step} steps ({target:.1f}).",
        ]
    lines += ["", f"![FID and classifier score against steps and time]({plot.as_posix()})", ""]
    lines += [
        "## Every measurement",
        "",
        "| run | seed | step | train s | FID | classifier score "
        "| digits under 5% | largest / smallest digit share | recall | coverage |",
    ]
    lines += ["| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in bench["runs"]:
        for p in run["points"]:
            rare = ", ".join(map(str, p["digits_under_5"])) or "none"
            seconds = p["train_seconds"]
            seconds = "measured after training" if seconds is None else f"{seconds:.0f}"
            lines.append(
                f"| {run['label']} | {run['seed']} | {p['step']} | {seconds} | "
                f"{p['fid']:.1f} | {p['classifier_score']:.2f} | {rare} | "
                f"{p['max_share']:.0%} / {p['min_share']:.0%} | {p['recall']:.3f} | "
                f"{p['coverage']:.3f} |"
            )
    lines += kept_sections(report)
    write_atomic(report, ("\n".join(lines) + "\n").encode())


def kept_sections(report: Path) -> list[str]:
    """The old report's marked sections (`<!-- NAME:start -->` ... `<!-- NAME:end -->`, e.g.
    `make time-to-quality`'s table), kept at the end of the new one."""
    text = report.read_text() if report.exists() else ""
    pattern = r"<!-- ([a-z-]+):start -->.*?<!-- \1:end -->"
    return [part for match in re.finditer(pattern, text, flags=re.S) for part in ("", match[0])]


def changed_values(values: dict) -> str:
    """The values where a run departs from the tutorial's defaults, as flags."""
    default = TrainConfig()
    changed = []
    for name, value in values.items():
        if value is None or value == getattr(default, name):
            continue
        flag = f"--{name.replace('_', '-')}"
        if isinstance(value, bool):  # an on/off option: the flag alone
            changed.append(flag)
        else:
            changed.append(
                f"{flag} {value:g}" if isinstance(value, float | int) else f"{flag} {value}"
            )
    return " ".join(changed) or "the tutorial's (Adam 1e-4, beta1 0.9)"


def draw_plot(bench: dict, labels: list[str], path: Path) -> None:
    """FID (log scale) and classifier score, each against steps and against training time."""
    from dcgan_tf.common.files import write_atomic_with
    from dcgan_tf.common.plots import plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7))
    for label in labels:
        runs = runs_of(bench, label)
        steps, fids = mean_curve(runs, "fid")
        _, scores = mean_curve(runs, "classifier_score")
        _, seconds = mean_curve(runs, "train_seconds")
        for row, values in enumerate((fids, scores)):
            axes[row, 0].plot(steps, values, marker="o", label=label)
            axes[row, 1].plot(seconds, values, marker="o", label=label)
    for column, xlabel in enumerate(("train step", "training time (s, measurements excluded)")):
        axes[0, column].set_yscale("log")
        axes[0, column].set_ylabel("FID (lower is better)")
        axes[1, column].set_ylabel("classifier score (1 to 10)")
        axes[1, column].set_xlabel(xlabel)
        for row in (0, 1):
            axes[row, column].grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    seeds = ", ".join(map(str, bench["seeds"]))
    fig.suptitle(f"Recipes on {bench['data']}: seed(s) {seeds}")
    fig.tight_layout()
    try:
        write_atomic_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=90))
    finally:
        plt.close(fig)
