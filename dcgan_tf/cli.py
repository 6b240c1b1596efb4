"""What every command shares: a quiet TensorFlow start, one-line errors with an exit status, and
the flags of the commands that read a trained run (which they open with
`trained_run.open_trained_run`)."""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import NoReturn

from dcgan_tf.common.errors import UserError
from dcgan_tf.common.limits import is_out_of_memory, out_of_memory_line
from dcgan_tf.config import MODELS
from dcgan_tf.run.folders import RunFolders, find_run


class Parser(argparse.ArgumentParser):
    """argparse, with a bad flag reported as one line like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def path_arg(text: str) -> str:
    """A path flag's value: an empty one would silently mean the current folder or the default."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path names no file or folder")
    return text


def run_command(command: Callable[[], int], sizes: Mapping[str, object] | None = None) -> int:
    """Run `command`: a UserError becomes `error: ...` on stderr and its exit status, and so
    does a failing file operation (a folder that cannot be written, a full disk); Ctrl-C 130.

    Running out of memory anywhere is one line too (exit 2), naming the flag of `sizes` (the
    command's flags that size memory, with their values) that asked for it: the last resort
    behind the checks each command makes up front where the size can be computed.
    """
    try:
        return command()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if not is_out_of_memory(err):
            raise
        print(f"error: {out_of_memory_line(err, sizes or {})}", file=sys.stderr)
        return 2


def add_classifier_dir_flag(parser: argparse.ArgumentParser) -> None:
    """--classifier-dir: where the measuring commands keep (or first train) the digit classifier."""
    parser.add_argument(
        "--classifier-dir",
        type=path_arg,
        default="checkpoints",
        help="where the digit classifier is kept (default: %(default)s)",
    )


def add_offline_data_flags(parser: argparse.ArgumentParser) -> None:
    """--data-dir and --split of the maintainers' measuring commands: the offline MNIST files."""
    parser.add_argument(
        "--data-dir",
        type=path_arg,
        default="../shared/data/mnist",
        help="offline data (default: %(default)s)",
    )
    parser.add_argument(
        "--split", default="test", choices=("train", "test"), help="(default: %(default)s)"
    )


def add_checkpoint_flags(parser: argparse.ArgumentParser) -> None:
    """--checkpoint-dir, --checkpoint, --best and --model: which run's generator a command uses."""
    parser.add_argument(
        "--checkpoint-dir",
        type=path_arg,
        default="checkpoints",
        metavar="DIR",
        help="the run: its newest checkpoint and its config.json (default: %(default)s)",
    )
    parser.add_argument(
        "--checkpoint",
        type=path_arg,
        metavar="PATH",
        help="a checkpoint prefix such as checkpoints/ckpt-3",
    )
    parser.add_argument(
        "--best",
        action="store_true",
        help="use the run's best-FID checkpoint (CHECKPOINT_DIR/best/, kept by --eval-every)",
    )
    parser.add_argument(
        "--model",
        choices=MODELS,
        help="the model type you expect; a checkpoint of another type is an error "
        "(default: whatever the checkpoint holds)",
    )


def add_label_flag(parser: argparse.ArgumentParser, help: str) -> None:
    """--label 0-9: the digit a conditional model (cdcgan, carpedm20) draws."""
    parser.add_argument("--label", type=int, choices=range(10), metavar="0-9", help=help)


def add_out_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """--out DIR of a command that reads a run: by default, the run's own output folder."""
    parser.add_argument(
        "--out",
        type=path_arg,
        metavar="DIR",
        help=f"where {what} go (default: the output folder of the run given, beside its "
        "checkpoint folder)",
    )


def locate_run(args: argparse.Namespace) -> RunFolders:
    """The run the checkpoint flags name and where its outputs go, before TensorFlow starts."""
    return find_run(args.checkpoint_dir, args.checkpoint)


@functools.cache  # once a process: a GPU's settings cannot change once it is in use
def start_tensorflow() -> None:
    """Import TensorFlow (quietly, `import_tensorflow`) and place the work on the best device."""
    import_tensorflow()
    from dcgan_tf.options.devices import select_device

    select_device("auto")


def import_tensorflow() -> ModuleType:
    """Import TensorFlow late, so that --help and flag errors answer at once.

    Its C++ start-up chatter (oneDNN, CUDA probing, grappler) is hidden unless the import fails;
    TF_CPP_MIN_LOG_LEVEL=0 brings it back.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with quiet_stderr():
            import tensorflow as tf
    except ImportError as err:
        raise UserError(
            f"{err}: this Python lacks the requirements; run `make setup` and use .venv/bin/python"
        ) from None
    logging.getLogger("absl").setLevel(logging.ERROR)  # tfds' notes on an empty cache folder
    return tf


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to a temporary file; replay it only if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
