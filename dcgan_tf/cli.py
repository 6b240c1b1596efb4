"""What every command shares: a quiet TensorFlow start and one-line errors with an exit status."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from types import ModuleType

from dcgan_tf.errors import UserError


def run_command(command: Callable[[], int]) -> int:
    """Run `command`; a UserError becomes `error: ...` on stderr and its exit status."""
    try:
        return command()
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code


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
