"""`make recipes`: train each recipe for the same steps on the same offline data, measure its
quality curve, and write RECIPES.md with a plot (FID and classifier score against steps and
against training time).

    python -m dcgan_tf.tools.recipes_bench --steps 11750 --seeds 0,1       # what the issue asks
    python -m dcgan_tf.tools.recipes_bench --steps 600 --seeds 0 --eval-every 3   # reduced
    python -m dcgan_tf.tools.recipes_bench --report-only                   # redraw from curves.json

Split over processes (each trains its share; then one report of all):

    python -m dcgan_tf.tools.recipes_bench --recipes tutorial,dcgan-paper --ema-decay 0 --workdir A
    python -m dcgan_tf.tools.recipes_bench --recipes ttur,fast-digits --ema-decay 0 --workdir B
    python -m dcgan_tf.tools.recipes_bench --ema-of dcgan-paper --ema-decay 0.999 --workdir C
    python -m dcgan_tf.tools.recipes_bench --report-only --workdir A,B,C

After the recipes, the one with the lowest final FID is trained once more with `--ema-decay`.
Every measurement is appended to WORKDIR/curves.json as it is made, so an interrupted bench
still has its curves and `--report-only` writes the report of what was measured.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from dcgan_tf.cli import (
    Parser,
    add_classifier_dir_flag,
    add_offline_data_flags,
    import_tensorflow,
    path_arg,
    run_command,
)
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic
from dcgan_tf.common.limits import check_seed
from dcgan_tf.config import TrainConfig
from dcgan_tf.config.recipes import RECIPE_FIELDS, RECIPES
from dcgan_tf.tools.recipes_report import TUTORIAL_STEPS, final_fid, write_report


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m dcgan_tf.tools.recipes_bench", description=__doc__)
    add = parser.add_argument
    add_offline_data_flags(parser)
    add("--steps", type=int, default=TUTORIAL_STEPS, help="steps per run (default: %(default)s)")
    add("--seeds", default="0,1", help="comma-separated seeds per recipe (default: %(default)s)")
    add("--recipes", default=",".join(RECIPES), help="(default: %(default)s)")
    add("--eval-every", type=int, default=5, help="epochs between measurements (default: 5)")
    add("--eval-samples", type=int, default=2000, help="samples a measurement (default: 2000)")
    add("--ema-decay", type=float, default=0.999, help="for the best recipe's EMA run (0: skip)")
    add("--ema-of", metavar="RECIPE", help="train only this recipe with --ema-decay")
    add(
        "--workdir",
        type=path_arg,
        default="runs/recipes",
        help="run folders and curves.json; with --report-only, several comma-separated",
    )
    add_classifier_dir_flag(parser)
    add("--report", type=path_arg, default="RECIPES.md", help="(default: %(default)s)")
    add("--plot", type=path_arg, default="docs/recipes.png", help="(default: %(default)s)")
    add("--report-only", action="store_true", help="only rewrite the report from curves.json")
    add(
        "--measure-ends",
        action="store_true",
        help="with --report-only: first measure the final checkpoint of each run that ended "
        "between measurements (curves.json of versions before the end was measured)",
    )
    add("--note", action="append", default=[], help="a line for the report's notes (repeatable)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    if args.report_only:
        workdirs = [Path(w) for w in args.workdir.split(",") if w]
        if args.measure_ends:
            classifier, _ = load_classifier_for(args)
            for workdir in workdirs:
                measure_run_ends(workdir, classifier)
        bench = load_benches(workdirs)
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
    seeds = sorted({run["seed"] for run in runs})
    return {**benches[0], "steps": max(run["steps"] for run in runs), "seeds": seeds, "runs": runs}


def train_all(args: argparse.Namespace, curves_path: Path) -> dict:
    """Train every (recipe, seed), then the best recipe with EMA; return the bench record."""
    recipes = [] if args.ema_of else [name for name in args.recipes.split(",") if name]
    try:
        seeds = [check_seed(int(seed)) for seed in args.seeds.split(",") if seed.strip()]
    except ValueError:
        raise UserError(f"--seeds {args.seeds!r}: not a comma-separated list of seeds") from None
    unknown = [name for name in [*recipes, args.ema_of or "tutorial"] if name not in RECIPES]
    if unknown or not seeds or args.steps < 1:
        raise UserError(f"need known --recipes (not {unknown}), --seeds and --steps of at least 1")
    classifier, _ = load_classifier_for(args)
    from dcgan_tf.data.sources import load_split

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


def load_classifier_for(args: argparse.Namespace):
    """Start TensorFlow on the best device; the digit classifier every measurement uses, and
    that device (its name, for --fast's settings)."""
    import_tensorflow()
    from dcgan_tf.evaluation.classifier import classifier_path, load_or_train_classifier
    from dcgan_tf.options.devices import select_device

    device = select_device("auto")  # before the classifier: a GPU is set up before first use
    path = classifier_path(args.classifier_dir, "mnist")
    return load_or_train_classifier(path, "mnist", args.data_dir), device


def train_one(args, bench, recipe, extra, seed, images, classifier, curves_path) -> None:
    """One run; each of its measurements lands in bench (and curves.json) as it is made."""
    from dcgan_tf.evaluation.measure import QualityHook, measure_generator
    from dcgan_tf.run.best import BestCheckpoint
    from dcgan_tf.tools.curves import RAW_GENERATOR, Curve, RawGeneratorCurve
    from dcgan_tf.training.loop import train

    label = recipe + "".join(f" +{k.replace('_', '-')} {v}" for k, v in extra.items())
    folder = run_folder(Path(args.workdir), label, seed)
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
    if config.ema_decay:  # the raw generator of the same run beside its moving average
        raw = {**record, "label": label + RAW_GENERATOR, "points": []}
        bench["runs"].append(raw)
        measure = partial(
            measure_generator, classifier=classifier, num=config.eval_samples, seed=seed
        )
        listeners.insert(0, RawGeneratorCurve(curve, raw, measure))
    quality = QualityHook(
        classifier, config.out, config.eval_every, config.eval_samples, seed, listeners=listeners
    )
    print(f"== {label}, seed {seed}: {args.steps} steps into {folder}", flush=True)
    train(config, images, hooks=[curve, quality])  # train() adds the grids and the GIF


def run_folder(workdir: Path, label: str, seed: int) -> Path:
    """Where a run keeps its checkpoints (ck/) and pictures (out/)."""
    return workdir / f"{label.replace(' +', '_').replace(' ', '')}-s{seed}"


def measure_run_ends(workdir: Path, classifier) -> None:
    """--measure-ends: a run that ended between two measurements (as runs before the
    QualityHook measured the end did) gets its final checkpoint measured, the same way with the
    same samples, as a point without training time; curves.json is rewritten."""
    from dcgan_tf.evaluation.measure import measure_generator
    from dcgan_tf.generator.sampling import load_run
    from dcgan_tf.tools.curves import RAW_GENERATOR, curve_point

    path = workdir / "curves.json"
    bench = json.loads(path.read_text())
    for run in bench["runs"]:
        points = run["points"]
        if not points or points[-1]["step"] >= run.get("steps", bench["steps"]):
            continue  # measured at its end already (or never measured)
        if run["label"].endswith(RAW_GENERATOR):  # load_run gives the EMA generator
            print(f"{run['label']}: the raw generator is not measured afterwards", flush=True)
            continue
        state, _, checkpoint = load_run(run_folder(workdir, run["label"], run["seed"]) / "ck")
        if int(state.step) <= points[-1]["step"]:
            continue  # stopped before a newer checkpoint: nothing more to measure
        metrics = measure_generator(state, classifier, bench["eval_samples"], run["seed"])
        epoch = int(state.epoch) + (int(state.epoch_step) > 0)  # a partial last epoch counts
        points.append(curve_point(epoch, state, metrics, train_seconds=None))
        print(f"{run['label']}, seed {run['seed']}: FID {metrics['fid']:.3f} at {checkpoint}")
    write_atomic(path, json.dumps(bench, indent=1).encode())


if __name__ == "__main__":
    sys.exit(main())
