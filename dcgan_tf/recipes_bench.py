"""`make recipes`: train each recipe for the same steps on the same offline data, measure its
quality curve, and write RECIPES.md with a plot (FID and classifier score against steps and
against training time).

    python -m dcgan_tf.recipes_bench --steps 11750 --seeds 0,1          # what the issue asks
    python -m dcgan_tf.recipes_bench --steps 600 --seeds 0 --eval-every 3  # a reduced run
    python -m dcgan_tf.recipes_bench --report-only                       # redraw from curves.json

Split over processes (each trains its share; then one report of all):

    python -m dcgan_tf.recipes_bench --recipes tutorial,dcgan-paper --ema-decay 0 --workdir A
    python -m dcgan_tf.recipes_bench --recipes ttur,fast-digits --ema-decay 0 --workdir B
    python -m dcgan_tf.recipes_bench --ema-of dcgan-paper --ema-decay 0.999 --workdir C
    python -m dcgan_tf.recipes_bench --report-only --workdir A,B,C

After the recipes, the one with the lowest final FID is trained once more with `--ema-decay`.
Every measurement is appended to WORKDIR/curves.json as it is made, so an interrupted bench
still has its curves and `--report-only` writes the report of what was measured.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.cli import Parser, import_tensorflow, run_command
from dcgan_tf.config import TrainConfig
from dcgan_tf.errors import UserError
from dcgan_tf.files import write_atomic
from dcgan_tf.recipes import RECIPE_FIELDS, RECIPES

STEPS_PER_EPOCH_NOTE = "40 steps an epoch on the MNIST test split at batch 256"
TUTORIAL_STEPS = 11750  # the tutorial's 50 epochs of 60,000 images at batch 256


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m dcgan_tf.recipes_bench", description=__doc__)
    add = parser.add_argument
    add("--data-dir", default="../shared/data/mnist", help="offline data (default: %(default)s)")
    add("--split", default="test", choices=("train", "test"), help="(default: %(default)s)")
    add("--steps", type=int, default=TUTORIAL_STEPS, help="steps per run (default: %(default)s)")
    add("--seeds", default="0,1", help="comma-separated seeds per recipe (default: %(default)s)")
    add("--recipes", default=",".join(RECIPES), help="(default: %(default)s)")
    add("--eval-every", type=int, default=5, help="epochs between measurements (default: 5)")
    add("--eval-samples", type=int, default=2000, help="samples a measurement (default: 2000)")
    add("--ema-decay", type=float, default=0.999, help="for the best recipe's EMA run (0: skip)")
    add("--ema-of", metavar="RECIPE", help="train only this recipe with --ema-decay")
    add(
        "--workdir",
        default="runs/recipes",
        help="run folders and curves.json; with --report-only, several comma-separated",
    )
    add("--classifier-dir", default="checkpoints", help="where the digit classifier is kept")
    add("--report", default="RECIPES.md", help="(default: %(default)s)")
    add("--plot", default="docs/recipes.png", help="(default: %(default)s)")
    add("--report-only", action="store_true", help="only rewrite the report from curves.json")
    add("--note", action="append", default=[], help="a line for the report's notes (repeatable)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    if args.report_only:
        bench = load_benches([Path(w) for w in args.workdir.split(",") if w])
    else:
        bench = train_all(args, Path(args.workdir) / "curves.json")
    write_report(bench, Path(args.report), Path(args.plot), args.note)
    print(f"Wrote {args.report} and {args.plot}")
    return 0


def load_benches(workdirs: list[Path]) -> dict:
    """The measurements of one or more bench folders, as one record."""
    benches = []
    for workdir in workdirs:
        path = workdir / "curves.json"
        if not path.exists():
            raise UserError(f"{path}: no measurements yet; run without --report-only")
        benches.append(json.loads(path.read_text()))
    if len({bench["eval_samples"] for bench in benches}) > 1:
        raise UserError("these bench folders measured with different --eval-samples; FIDs differ")
    for bench in benches:  # what each run was asked for, also in curves.json written before
        for run in bench["runs"]:
            run.setdefault("steps", bench["steps"])
            run.setdefault("eval_every_epochs", bench["eval_every_epochs"])
    runs = [run for bench in benches for run in bench["runs"]]
    return {**benches[0], "steps": max(run["steps"] for run in runs), "runs": runs}


def train_all(args: argparse.Namespace, curves_path: Path) -> dict:
    """Train every (recipe, seed), then the best recipe with EMA; return the bench record."""
    recipes = [] if args.ema_of else [name for name in args.recipes.split(",") if name]
    seeds = [int(seed) for seed in args.seeds.split(",") if seed.strip()]
    unknown = [name for name in [*recipes, args.ema_of or "tutorial"] if name not in RECIPES]
    if unknown or not seeds or args.steps < 1:
        raise UserError(f"need known --recipes (not {unknown}), --seeds and --steps of at least 1")
    import_tensorflow()
    from dcgan_tf.classifier import classifier_path, load_or_train_classifier
    from dcgan_tf.data import load_split
    from dcgan_tf.devices import select_device

    select_device("auto")
    classifier = load_or_train_classifier(
        classifier_path(args.classifier_dir, "mnist"), "mnist", args.data_dir
    )
    images, _ = load_split("mnist", args.split, args.data_dir)
    bench = {
        "steps": args.steps,
        "seeds": seeds,
        "data": f"{args.data_dir} split {args.split} ({len(images)} images)",
        "eval_every_epochs": args.eval_every,
        "eval_samples": args.eval_samples,
        "runs": [],
    }
    for name in recipes:
        for seed in seeds:
            train_one(args, bench, name, {}, seed, images, classifier, curves_path)
    if args.ema_decay:
        best = args.ema_of or min(recipes, key=lambda name: final_fid(bench, name))
        extra = {"ema_decay": args.ema_decay}
        for seed in seeds:
            train_one(args, bench, best, extra, seed, images, classifier, curves_path)
    return bench


def train_one(args, bench, recipe, extra, seed, images, classifier, curves_path) -> None:
    """One run; each of its measurements lands in bench (and curves.json) as it is made."""
    from dcgan_tf.best import BestCheckpoint
    from dcgan_tf.evaluation import QualityHook
    from dcgan_tf.hooks import ProgressGrids
    from dcgan_tf.training import train

    label = recipe + "".join(f" +{k.replace('_', '-')} {v}" for k, v in extra.items())
    folder = Path(args.workdir) / f"{label.replace(' +', '_').replace(' ', '')}-s{seed}"
    config = TrainConfig.for_model(
        recipe=recipe,
        steps=args.steps,
        data_dir=args.data_dir,
        split=args.split,
        out=str(folder / "out"),
        checkpoint_dir=str(folder / "ck"),
        fresh=True,
        seed=seed,
        eval_every=args.eval_every,
        eval_samples=args.eval_samples,
        save_every=args.eval_every,
        **extra,
    )
    values = {name: getattr(config, name) for name in RECIPE_FIELDS}
    record = {
        "label": label,
        "recipe": recipe,
        "seed": seed,
        "steps": args.steps,
        "eval_every_epochs": args.eval_every,
        "values": values,
        "points": [],
    }
    bench["runs"].append(record)
    curve = Curve(record, lambda: write_atomic(curves_path, json.dumps(bench, indent=1).encode()))
    listeners = [curve, BestCheckpoint(config)]
    quality = QualityHook(
        classifier, config.out, config.eval_every, config.eval_samples, seed, listeners=listeners
    )
    grids = ProgressGrids(config.out, config.channels)  # each epoch's grid and the GIF
    print(f"== {label}, seed {seed}: {args.steps} steps into {folder}", flush=True)
    train(config, images, hooks=[curve, quality, grids])


class Curve:
    """A hook (first in the list, so it sees the epoch end before the measurement) and a
    listener of the QualityHook: each measurement with the training time before it, measuring
    time left out."""

    def __init__(self, record: dict, save) -> None:
        self.record, self.save = record, save
        self.start = self.epoch_end = time.time()
        self.measuring = 0.0  # seconds spent measuring so far

    def on_train_begin(self, state) -> None:
        self.start = time.time()

    def on_step_end(self, step, epoch, images, losses) -> None:
        pass

    def on_epoch_end(self, epoch: int, state) -> None:
        self.epoch_end = time.time()

    def on_train_end(self, state) -> None:
        pass

    def on_quality(self, epoch: int, state, metrics: dict) -> None:
        histogram = metrics["class_histogram"]
        point = {
            "step": int(state.step),
            "epoch": epoch,
            "train_seconds": round(self.epoch_end - self.start - self.measuring, 1),
            "fid": round(metrics["fid"], 3),
            "classifier_score": round(metrics["classifier_score"], 3),
            "digits_under_5": metrics["rare_classes"],
            "max_share": round(max(histogram), 4),
            "min_share": round(min(histogram), 4),
            "recall": round(metrics["recall"], 3),
            "coverage": round(metrics["coverage"], 3),
        }
        self.record["points"].append(point)
        self.measuring += time.time() - self.epoch_end
        self.save()


def runs_of(bench: dict, label: str) -> list[dict]:
    return [run for run in bench["runs"] if run["label"] == label and run["points"]]


def final_fid(bench: dict, label: str) -> float:
    """The mean over seeds of a run's last FID (infinite when it measured nothing)."""
    finals = [run["points"][-1]["fid"] for run in runs_of(bench, label)]
    return float(np.mean(finals)) if finals else float("inf")


def mean_curve(runs: list[dict], key: str) -> tuple[list[int], list[float]]:
    """Steps measured by every seed, and the mean of `key` there."""
    steps = sorted(set.intersection(*[{p["step"] for p in run["points"]} for run in runs]))
    values = [
        float(np.mean([next(p[key] for p in run["points"] if p["step"] == s) for run in runs]))
        for s in steps
    ]
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
        "Written by `make recipes` (`python -m dcgan_tf.recipes_bench`); recipes are defined in "
        "`dcgan_tf/recipes.py`, the metrics in README.md (Measuring quality).",
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
            f"{np.mean([p['train_seconds'] for p in last]):.0f} s for {last[0]['step']} steps | "
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
            lines.append(
                f"| {run['label']} | {run['seed']} | {p['step']} | {p['train_seconds']:.0f} | "
                f"{p['fid']:.1f} | {p['classifier_score']:.2f} | {rare} | "
                f"{p['max_share']:.0%} / {p['min_share']:.0%} | {p['recall']:.3f} | "
                f"{p['coverage']:.3f} |"
            )
    write_atomic(report, ("\n".join(lines) + "\n").encode())


def changed_values(values: dict) -> str:
    """The values where a run departs from the tutorial's defaults, as flags."""
    default = TrainConfig()
    changed = [
        f"--{name.replace('_', '-')} {value:g}"
        for name, value in values.items()
        if value is not None and value != getattr(default, name)
    ]
    return " ".join(changed) or "the tutorial's (Adam 1e-4, beta1 0.9)"


def draw_plot(bench: dict, labels: list[str], path: Path) -> None:
    """FID (log scale) and classifier score, each against steps and against training time."""
    from dcgan_tf.files import write_atomic_with
    from dcgan_tf.images import plt

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


if __name__ == "__main__":
    sys.exit(main())
