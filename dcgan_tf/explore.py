"""Command line: explore a trained generator in the browser.

    python -m dcgan_tf.explore                          # the run in checkpoints/, port 8022
    python -m dcgan_tf.explore --checkpoint-dir CK --best --port 8080
    make explore ARGS="--checkpoint-dir CK"

Starts a local web app (docs/exploring.md) for the run's generator and prints its URL: a grid of
samples to pick from, sliders along the directions that change the picked one most, an
interpolation between two picks, the same noise through each checkpoint the run kept, and under
every image what the digit classifier reads. It serves on 127.0.0.1 (this machine only) unless
--host says otherwise, reads nothing but the run it was started on, and stops on Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from dcgan_tf.cli import Parser, add_checkpoint_flags, path_arg, run_command
from dcgan_tf.common.errors import UserError
from dcgan_tf.trained_run import TrainedRun, open_trained_run

DEFAULT_PORT = 8022


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m dcgan_tf.explore",
        description="Explore a run's generator in the browser: pick, steer, interpolate, and "
        "scrub through the checkpoints it kept. Serves on 127.0.0.1 until Ctrl-C.",
    )
    add = parser.add_argument
    add_checkpoint_flags(parser)
    add("--port", type=int, default=DEFAULT_PORT, help="(default: %(default)s; 0: any free one)")
    add(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default: %(default)s, this machine only). The page answers "
        "only to the names 127.0.0.1, localhost and this one: to show it to your network, give "
        "this machine's address or name as the others will type it (192.168.1.5, say)",
    )
    add(
        "--classifier",
        type=path_arg,
        metavar="PATH",
        help="the digit classifier that reads each image (default: the run's "
        "CHECKPOINT_DIR/classifier-<dataset>.keras, trained there first if missing)",
    )
    add("--no-classifier", action="store_true", help="show no classifier readings")
    add("--verbose", action="store_true", help="log every request on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: run(args))


def run(args: argparse.Namespace, ready=None) -> int:
    """Serve until Ctrl-C; `ready(server)`, if given, is called once the port is open (tests)."""
    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be 0 to 65535, got {args.port}")
    if args.classifier and not Path(args.classifier).exists():
        raise UserError(f"--classifier {args.classifier}: no such file")
    server = build_server(args)
    print(f"Exploring {server.api.engine.path} at {server.url}  (Ctrl-C stops)", flush=True)
    stop_loading = threading.Event()
    loading = threading.Thread(target=preload, args=(server.api.engine, stop_loading), daemon=True)
    loading.start()
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
    finally:
        server.server_close()
        stop_loading.set()
        loading.join()  # the checkpoint being loaded (seconds at most) ends before the process
    return 0


def build_server(args: argparse.Namespace):
    """The run loaded, its classifier and checkpoints found, the port open (not yet serving)."""
    run = open_trained_run(args)
    from dcgan_tf.explorer.api import Api
    from dcgan_tf.explorer.engine import Engine, training_shots
    from dcgan_tf.explorer.server import ExplorerServer

    classifier = load_classifier(args, run)
    shots = training_shots(run.folders.checkpoints)
    engine = Engine(run.state, run.config, run.checkpoint, classifier, shots)
    try:
        return ExplorerServer((args.host, args.port), Api(engine), args.verbose)
    except OSError as err:  # the port is taken, or the address is not this machine's
        raise UserError(f"cannot serve on {args.host}:{args.port}: {err.strerror or err}") from None


def load_classifier(args: argparse.Namespace, run: TrainedRun):
    """The classifier of the readings (the run's, `TrainedRun.classifier`), or None
    (--no-classifier, or images that are no digits)."""
    config = run.config
    if args.no_classifier or config.dataset == "folder" or config.channels != 1:
        return None
    try:
        return run.classifier(args.classifier)
    except UserError as err:  # no data to train it from, say: the pictures still help
        print(f"warning: no classifier readings: {err}", file=sys.stderr)
        return None


def preload(engine, stop: threading.Event) -> None:
    """Load the training scrubber's checkpoints in the background; a failure waits for its use."""
    try:
        engine.preload(stop)
    except Exception as err:  # the request that needs it says so
        print(f"warning: loading the checkpoints for the scrubber: {err}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
