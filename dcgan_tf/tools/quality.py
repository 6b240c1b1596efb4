"""`make quality`: train the tutorial's DCGAN for a fixed number of epochs on offline data and write
QUALITY.md: its metrics beside uniform noise and the real data, with seeds, counts and timings.

    python -m dcgan_tf.tools.quality --data-dir ../shared/data/mnist --split test --epochs 10
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dcgan_tf.cli import (
    Parser,
    add_classifier_dir_flag,
    add_offline_data_flags,
    import_tensorflow,
    path_arg,
    run_command,
)
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import keep_marker, kept_below, write_atomic
from dcgan_tf.config import TrainConfig


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m dcgan_tf.tools.quality", description=__doc__)
    add = parser.add_argument
    add_offline_data_flags(parser)
    add("--epochs", type=int, default=25, help="epochs to train (default: %(default)s)")
    add("--eval-every", type=int, default=5, help="epochs between measurements (default: 5)")
    add("--num", type=int, default=10000, help="samples of the final evaluation (default: 10000)")
    add(
        "--workdir",
        type=path_arg,
        default="runs/quality",
        help="run folder, started afresh (default: %(default)s)",
    )
    add_classifier_dir_flag(parser)
    add("--report", type=path_arg, default="QUALITY.md", help="(default: %(default)s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.eval_every <= args.epochs or args.num < 10:
        raise UserError("need 1 <= --eval-every <= --epochs and --num of at least 10")
    import_tensorflow()
    from dcgan_tf.data.sources import load_split
    from dcgan_tf.evaluation.classifier import classifier_path, load_or_train_classifier
    from dcgan_tf.evaluation.measure import (
        GeneratorSampler,
        QualityHook,
        Samples,
        evaluate_samples,
        real_data_metrics,
    )
    from dcgan_tf.options.devices import select_device
    from dcgan_tf.training.loop import train
    from dcgan_tf.tutorial.dataset import to_model_range

    select_device("auto")
    workdir = Path(args.workdir)
    config = TrainConfig(
        epochs=args.epochs,
        data_dir=args.data_dir,
        split=args.split,
        out=str(workdir / "out"),
        checkpoint_dir=str(workdir / "ck"),
        fresh=True,
        eval_every=args.eval_every,
        eval_samples=2000,
    )
    started = time.time()
    path = classifier_path(args.classifier_dir, config.dataset)
    classifier = load_or_train_classifier(path, config.dataset, config.data_dir)
    images, _ = load_split(config.dataset, config.split, config.data_dir)
    quality = QualityHook(
        classifier, config.out, config.eval_every, config.eval_samples, config.seed
    )
    state = train(config, images, hooks=[quality])
    trained = time.time()
    samples = GeneratorSampler(state).sample(args.num, seed=config.seed)
    model = evaluate_samples(samples, classifier)
    noise_images = np.random.default_rng(config.seed).integers(0, 256, (args.num, 28, 28))
    noise_samples = Samples(to_model_range(noise_images.astype(np.uint8)))
    noise = evaluate_samples(noise_samples, classifier)
    real = real_data_metrics(classifier, seed=config.seed)
    evaluated = time.time()
    report = render_report(
        args,
        config,
        classifier.info,
        int(state.step),
        (noise, model, real),
        (trained - started, evaluated - trained),
        workdir,
    )
    kept = kept_below(Path(args.report), keep_marker("make quality"))  # the full-length runs
    write_atomic(args.report, (report + kept).encode())
    print(f"Wrote {args.report}")
    return 0


READING_NOTES = """## Reading the numbers

- Real data sets the floor of every metric at this sample size; a generator that matches the
  data gets close to that column.
- A few hundred steps into the tutorial's recipe the samples are blobs: the classifier reads most
  of them as one or two digits (high KL, several digits under 5%), and FID can still be as high
  as uniform noise's, or higher. Noise is no digit at all but lands near the middle of the
  feature space, where its FID is about the spread of the real features.
- Precision alone can be fooled: noise maps onto a tight cluster that a few atypical real digits'
  neighbourhoods contain. Read it with recall and coverage, which are 0 for noise.
"""


def render_report(args, config, classifier_info, steps, columns, seconds, workdir) -> str:
    """QUALITY.md: what was trained and measured, the table, and how to read it."""
    from dcgan_tf.evaluation.tables import TABLE_ROWS, table_cell

    noise, model, _ = columns

    head = f"| metric | uniform noise | DCGAN after {steps} steps | real data |"
    table = [head, "| --- | --- | --- | --- |"]
    for title, key, fmt in TABLE_ROWS:
        cells = " | ".join(table_cell(column, key, fmt) for column in columns)
        table.append(f"| {title} | {cells} |")
    quality_csv = (workdir / "out" / "quality.csv").read_text().strip().splitlines()
    history = ["| epoch | step | FID | classifier score |", "| --- | --- | --- | --- |"]
    history += ["| " + " | ".join(line.split(",")) + " |" for line in quality_csv[1:]]
    return "\n".join(
        [
            "# Sample quality of the tutorial's DCGAN",
            "",
            "Written by `make quality` (`python -m dcgan_tf.tools.quality`); metrics are defined "
            "in `dcgan_tf/evaluation/metrics.py` and docs/quality.md.",
            "",
            f"- Training: the tutorial's model and recipe (batch {config.batch_size}, Adam "
            f"{config.learning_rate}), {config.epochs} epochs = {steps} steps on "
            f"`{config.data_dir}` split `{config.split}`, seed {config.seed}.",
            f"- Classifier: {classifier_info['trained_on']}; held-out accuracy "
            f"{classifier_info['held_out_accuracy']:.2%}. Metrics compare against its "
            f"{classifier_info['held_out_images']} held-out images.",
            f"- Samples: {model['num_samples']} from noise seed {config.seed}; uniform noise: "
            f"{noise['num_samples']} images of uniform random pixels; real data: one half of the "
            "held-out images against the other half (the floor at this sample size).",
            f"- Time on a 2-core CPU: {seconds[0]:.0f} s training (with the measurements below), "
            f"{seconds[1]:.0f} s for the final evaluation of all three columns.",
            "",
            *table,
            "",
            f"During training ({config.eval_samples} samples each, so FID runs higher than "
            f"with {model['num_samples']}):",
            "",
            *history,
            "",
            f"The last epoch's grid: `{workdir}/out/image_at_epoch_{config.epochs:04d}.png`.",
            "",
            READING_NOTES,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
