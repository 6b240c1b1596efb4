"""`make time-to-quality`: how soon does each recipe and each model give good digits?

Each line (the tutorial's DCGAN under every recipe, and every other model with its preset) trains
alone, one after the other, on the same offline data, measured every `--measure-every` seconds
of training. A line trains at least `--budget` seconds (5 minutes), then until its FID has stayed
at or below `--target` (the tutorial's 11,750-step FID, 18.4) in two measurements in a row, or
until `--cap` seconds. A recipe that decays its learning rate runs its own length instead
(`--decay-steps`). The report gives, per line: the steps, images and seconds of training until
the FID first stays at or below the target, and the FID after the budget; and a plot of FID
against training seconds. Written into RECIPES.md and README.md between their markers.

    python -m dcgan_tf.tools.time_to_quality                      # every line (about 1.5 hours)
    python -m dcgan_tf.tools.time_to_quality --lines dcgan:tutorial,tfexamples --cap 300
    python -m dcgan_tf.tools.time_to_quality --lines dcgan:digits-in-two-minutes --fast
    python -m dcgan_tf.tools.time_to_quality --report-only        # redraw from WORKDIR/race.json

Training seconds leave the measurements out, not the loop's own work (grids, checkpoints).
Every measurement lands in WORKDIR/race.json as it is made; a line already there is skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from dcgan_tf.cli import (
    Parser,
    add_classifier_dir_flag,
    add_offline_data_flags,
    path_arg,
    run_command,
)
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import write_atomic
from dcgan_tf.config import MODELS, RECIPES
from dcgan_tf.config.choices import CONDITIONAL_MODELS
from dcgan_tf.tools.time_to_quality_report import TARGET_FID, write_race_report

# The tutorial's DCGAN under each recipe, then every other model with its own preset.
DEFAULT_LINES = [f"dcgan:{recipe}" for recipe in RECIPES] + [m for m in MODELS if m != "dcgan"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m dcgan_tf.tools.time_to_quality", description=__doc__)
    add = parser.add_argument
    add("--lines", default=",".join(DEFAULT_LINES), help="MODEL or MODEL:RECIPE, comma-separated")
    add_offline_data_flags(parser)
    add("--seed", type=int, default=0, help="(default: 0; another seed's lines are named for it)")
    add("--target", type=float, default=TARGET_FID, help="FID to reach (default: %(default)s)")
    add("--budget", type=float, default=300, help="seconds every line trains (default: 300)")
    add("--cap", type=float, default=600, help="most seconds a line trains (default: 600)")
    add("--measure-every", type=float, default=30, help="training seconds between measurements")
    add("--decay-steps", type=int, default=1175, help="the length of an --lr-decay recipe's run")
    add("--fast", action="store_true", help="every line with generate's --fast (named for it)")
    add("--eval-samples", type=int, default=2000, help="samples a measurement (default: 2000)")
    add(
        "--workdir", type=path_arg, default="runs/time-to-quality", help="run folders and race.json"
    )
    add_classifier_dir_flag(parser)
    add("--report", type=path_arg, default="RECIPES.md", help="(default: %(default)s)")
    add("--readme", type=path_arg, default="README.md", help="(default: %(default)s)")
    add("--plot", type=path_arg, default="docs/time-to-quality.png", help="(default: %(default)s)")
    add("--report-only", action="store_true", help="only rewrite the report from race.json")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    path = Path(args.workdir) / "race.json"
    lines = [parse_line(text) for text in args.lines.split(",") if text.strip()]
    if not 0 < args.budget <= args.cap or args.measure_every <= 0:
        raise UserError("need 0 < --budget <= --cap and a positive --measure-every")
    race = json.loads(path.read_text()) if path.exists() else {"runs": []}
    if not args.report_only:
        from dcgan_tf.tools.recipes_bench import load_classifier_for

        classifier, device = load_classifier_for(args)
        from dcgan_tf.data.sources import load_split

        images, labels = load_split("mnist", args.split, args.data_dir)
        race |= {"data": f"{args.data_dir} split {args.split} ({len(images)} images)"}
        race |= {"eval_samples": args.eval_samples, "target": args.target}
        race |= {"budget": args.budget}
        done = {run["label"] for run in race["runs"]}
        for model, recipe in lines:
            label = line_label(model, recipe, args.seed, args.fast)
            if label in done:
                print(f"== {label}: in {path} already, skipped", flush=True)
                continue
            race_one(args, race, path, model, recipe, images, labels, classifier, device)
    if not race["runs"]:
        raise UserError(f"{path}: no measurements yet; run without --report-only")
    write_race_report(race, Path(args.report), Path(args.readme), Path(args.plot))
    print(f"Wrote {args.report}, {args.readme} and {args.plot}")
    return 0


def parse_line(text: str) -> tuple[str, str | None]:
    """'dcgan:fast-digits' -> ('dcgan', 'fast-digits'); 'gan' -> ('gan', None)."""
    model, _, recipe = text.strip().partition(":")
    if model not in MODELS or (recipe and recipe not in RECIPES):
        raise UserError(f"--lines: unknown line {text!r}; give MODEL or MODEL:RECIPE")
    return model, recipe or None


def line_label(model: str, recipe: str | None, seed: int = 0, fast: bool = False) -> str:
    """'dcgan fast-digits', 'gan (its preset)'; ' --fast' with --fast, ', seed S' for a seed
    other than 0."""
    label = f"{model} {recipe}" if recipe else f"{model} (its preset)"
    label += " --fast" if fast else ""
    return f"{label}, seed {seed}" if seed else label


def race_one(args, race, path, model, recipe, images, labels, classifier, device) -> None:
    """Train one line until its stopping rule holds; each measurement lands in race.json."""
    from dcgan_tf.evaluation.measure import QualityHook
    from dcgan_tf.options.fast import resolve_fast
    from dcgan_tf.tools.curves import Curve
    from dcgan_tf.tools.time_to_quality_report import Race
    from dcgan_tf.training.loop import train

    label = line_label(model, recipe, args.seed, args.fast)
    folder = Path(args.workdir) / "".join(c for c in label.replace(" ", "_") if c not in "(),")
    given = {"model": model, "recipe": recipe} if recipe else {"model": model}
    given |= dict(
        fast=args.fast,
        steps=10**7,  # the race's rule ends the run, not a length
        data_dir=args.data_dir,
        split=args.split,
        out=str(folder / "out"),
        checkpoint_dir=str(folder / "ck"),
        fresh=True,
        seed=args.seed,
        save_every=10**6,  # one checkpoint, at the end: saving is not what is raced
        tensorboard=False,
    )
    config = resolve_fast(given, device)  # --fast: the device's options, as `generate --fast`
    if config.lr_decay != "none":  # a decay needs an end: the recipe's own length
        config = dataclasses.replace(config, steps=args.decay_steps)
    record = {"label": label, "model": model, "recipe": recipe, "seed": args.seed}
    record |= {"batch_size": config.batch_size, "precision": config.precision}
    record |= {"cap": args.cap, "points": []}
    race["runs"].append(record)
    save = lambda: write_atomic(path, json.dumps(race, indent=1).encode())  # noqa: E731
    clock = Curve(record, save)
    never = 10**9  # the Race hook decides when to measure, by training time
    quality = QualityHook(classifier, config.out, never, args.eval_samples, args.seed)
    quality.listeners.append(clock)
    race_hook = Race(quality, clock, args.target, args.budget, args.cap, args.measure_every)
    print(f"== {label}: training into {folder}", flush=True)
    hooks = [clock, quality, race_hook]
    train(config, images, hooks=hooks, image_labels=labels if model in CONDITIONAL_MODELS else None)
    record["stopped"] = race_hook.reason
    save()


if __name__ == "__main__":
    sys.exit(main())
