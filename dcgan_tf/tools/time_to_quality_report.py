"""The time-to-quality race (`dcgan_tf.tools.time_to_quality`): its stopping rule and its report."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING

from dcgan_tf.common.files import replace_marked_section, write_atomic_with
from dcgan_tf.run.hooks import Hook

if TYPE_CHECKING:  # annotations only: the command's --help answers without TensorFlow
    from dcgan_tf.evaluation.measure import QualityHook
    from dcgan_tf.run.state import GanState
    from dcgan_tf.tools.curves import Curve

TARGET_FID = 18.4  # the tutorial's recipe after its 11,750 steps (RECIPES.md)
START, END = "<!-- time-to-quality:start -->", "<!-- time-to-quality:end -->"


def first_stay(points: list[dict], target: float) -> dict | None:
    """The first measurement at or below `target` whose next measurement is too."""
    for point, after in itertools.pairwise(points):
        if point["fid"] <= target and after["fid"] <= target:
            return point
    return None


class Race(Hook):
    """Measures every `every` seconds of training (at an epoch's end) and once right after
    `budget`; asks the loop to stop once the budget is trained and the FID has stayed at or below
    `target` in two measurements in a row, or once `cap` seconds are trained."""

    def __init__(
        self,
        quality: QualityHook,
        clock: Curve,
        target: float,
        budget: float,
        cap: float,
        every: float,
    ) -> None:
        self.quality, self.clock = quality, clock
        self.target, self.budget, self.cap, self.every = target, budget, cap, every
        self.last = 0.0  # training seconds at the last measurement
        self.reason = "ended before its rule held"

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        seconds = self.clock.train_seconds()
        crossed_budget = self.last < self.budget <= seconds
        if seconds - self.last >= self.every or crossed_budget or seconds >= self.cap:
            self.quality.measure(epoch, state)
            self.last = seconds
        if seconds >= self.budget and first_stay(self.clock.record["points"], self.target):
            self.stop_requested, self.reason = True, "stayed at or below the target"
        elif seconds >= self.cap:
            self.stop_requested, self.reason = True, "cap"


def at_budget(points: list[dict], budget: float) -> dict | None:
    """The first measurement after `budget` seconds of training."""
    return next((p for p in points if p["train_seconds"] >= budget), None)


def race_table(race: dict) -> str:
    """One row per line: how soon it reached the target, and its FID after the budget."""
    target, budget = race["target"], race["budget"]
    rows = [
        f"| line | batch | steps until FID stays <= {target:g} | images | training seconds "
        f"| FID after {budget / 60:g} min (step) | best FID (step) | trained |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in race["runs"]:
        points, batch = run["points"], run["batch_size"]
        if not points:
            continue
        stay, after = first_stay(points, target), at_budget(points, budget)
        best = min(points, key=lambda p: p["fid"])
        last = points[-1]
        reached = (
            [f"{stay['step']:,}", f"{stay['step'] * batch:,}", f"{stay['train_seconds']:.0f}"]
            if stay
            else [f"not within {last['step']:,}", "-", f"> {last['train_seconds']:.0f}"]
        )
        budget_cell = f"{after['fid']:.1f} ({after['step']:,})" if after else "-"
        trained = f"{last['step']:,} steps, {last['train_seconds']:.0f} s"
        cells = [run["label"], str(batch), *reached, budget_cell]
        cells += [f"{best['fid']:.1f} ({best['step']:,})", trained]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def draw_race_plot(race: dict, path: Path) -> None:
    """FID (log scale) against training seconds, one line per run, the target dashed."""
    from dcgan_tf.common.plots import plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for i, run in enumerate(race["runs"]):
        seconds = [p["train_seconds"] for p in run["points"]]
        style = "-" if i < 10 else "-."  # past the 10 colours of the cycle, colours repeat
        fid = [p["fid"] for p in run["points"]]
        ax.plot(seconds, fid, marker=".", linestyle=style, label=run["label"])
    ax.axhline(race["target"], color="gray", linestyle="--", label=f"FID {race['target']:g}")
    ax.axvline(race["budget"], color="gray", linestyle=":")
    ax.set(yscale="log", xlabel="training seconds (measurements excluded)", ylabel="FID")
    ax.set_title(f"Time to quality on {race['data']}, each line alone")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    try:
        write_atomic_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=90))
    finally:
        plt.close(fig)


def replace_section(path: Path, section: str) -> None:
    """Put `section` between the markers in `path` (appended with them if they are missing)."""
    replace_marked_section(path, "time-to-quality", section)


def write_race_report(race: dict, report: Path, readme: Path, plot: Path) -> None:
    """The table and the plot into `report` and `readme` (between their markers)."""
    draw_race_plot(race, plot)
    caps = sorted({run.get("cap", race.get("cap")) for run in race["runs"]})
    at_most = " or ".join(f"{cap:g}" for cap in caps)
    intro = (
        f"Made by `make time-to-quality` on {race['data']}, {race['eval_samples']} samples a "
        f"measurement; each line trained alone, at least {race['budget']:g} s, at most "
        f"{at_most} s; seconds are training only (measurements excluded)."
    )
    for path, heading in ((report, "## Time to quality\n\n"), (readme, "")):
        image = Path(os.path.relpath(plot, path.parent)).as_posix()
        table = race_table(race)
        replace_section(path, f"{heading}{intro}\n\n{table}\n\n![FID against seconds]({image})")
