"""Command line: one self-contained page of a run, OUT/report.html, to keep or to share.

    python -m dcgan_tf.report output            # the run whose --out was output/

The page shows the config, device and data, the time per epoch, the last progress grid, the
GIF, the loss plot, the quality curve and metrics when there are any, and the resume history.
Images are inlined as data: URIs and the style sheet is inline: the file opens offline and
fetches nothing. Training writes it at the end of every completed run (journal.RunJournal).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dcgan_tf.cli import Parser, path_arg, run_command
from dcgan_tf.common.errors import UserError
from dcgan_tf.reporting.page import write_report


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.report",
        description="Write RUN_DIR/report.html: one self-contained page of a training run.",
    )
    parser.add_argument(
        "run_dir", type=path_arg, metavar="RUN_DIR", help="the run's --out folder (e.g. output)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def run() -> int:
        if not Path(args.run_dir).is_dir():
            raise UserError(f"{args.run_dir}: no such folder")
        print(f"Wrote {write_report(args.run_dir)}")
        return 0

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
