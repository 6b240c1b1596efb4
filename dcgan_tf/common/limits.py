"""What a flag may ask for: a seed numpy and Keras accept, memory the machine has, room on disk.

A request that cannot be met is refused before the work starts, in one line naming the flag and
the size it asked for; an allocation that fails anyway (a size nobody could compute up front)
becomes the same kind of line through `out_of_memory_line`, never a traceback.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from dcgan_tf.common.errors import UserError

# numpy's legacy seeding and keras.utils.set_random_seed take 0 to 2**32 - 1; every command's
# --seed follows the narrowest rule, so a seed that works for one command works for all.
SEED_MAX = 2**32 - 1
# TensorFlow counts steps in 64-bit integers (the optimizers' `iterations`): a larger count
# cannot enter a traced step (`--disc-steps 10**30` was an OverflowError inside the trace).
INT64_MAX = 2**63 - 1
# "shape[100000000,100] and type float" (TensorFlow), "shape (100000000, 100) and data type
# float64" (numpy's MemoryError).
ALLOCATION = re.compile(r"shape ?[\[(]([\d, ]*)[\])] and (?:data )?type (\w+)")
DTYPE_BYTES = {"float": 4, "float32": 4, "double": 8, "float64": 8, "half": 2, "float16": 2}
DTYPE_BYTES |= {"bfloat16": 2, "int32": 4, "int64": 8, "uint8": 1, "int8": 1, "bool": 1}


def check_seed(seed: int, flag: str = "--seed") -> int:
    """`seed`, or a UserError when numpy or Keras would refuse it."""
    if not 0 <= seed <= SEED_MAX:
        raise UserError(f"{flag} must be 0 to {SEED_MAX} (2**32 - 1), got {seed}")
    return seed


def size_text(nbytes: float) -> str:
    """1234567890 -> '1.2 GB'."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{max(nbytes, 0) / 1e3:.1f} kB"


def available_memory() -> int | None:
    """Bytes of memory the machine can still give a process (MemAvailable), None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def require_memory(nbytes: int, request: str, advice: str = "ask for less") -> None:
    """Refuse `request` (e.g. '--num 100000000: the grid') when it needs more memory than the
    machine has available now."""
    available = available_memory()
    if available is not None and nbytes > available:
        raise UserError(
            f"{request} needs about {size_text(nbytes)} of memory; {size_text(available)} is "
            f"available; {advice}"
        )


def require_disk(nbytes: int, path: str | Path, request: str) -> None:
    """Refuse `request` when the file system of `path` has less room than `nbytes`."""
    folder = Path(path).absolute()
    while not folder.exists():  # the folders to be created are on their first existing parent
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    if nbytes > free:
        raise UserError(
            f"{request} would take about {size_text(nbytes)} on disk; {folder} has "
            f"{size_text(free)} free"
        )


def is_out_of_memory(err: BaseException) -> bool:
    """A MemoryError, or TensorFlow's ResourceExhaustedError when TensorFlow is loaded."""
    if isinstance(err, MemoryError):
        return True
    tf = sys.modules.get("tensorflow")
    errors = getattr(tf, "errors", None)
    return errors is not None and isinstance(err, errors.ResourceExhaustedError)


def out_of_memory_line(err: BaseException, sizes: Mapping[str, object]) -> str:
    """One line for a failed allocation: which flag asked for it, and how much it wanted.

    `sizes` maps the command's flags that size memory to their values: the flag whose value is
    a dimension of the failing allocation is named with it, else all of them are.
    """
    text = str(getattr(err, "message", "") or err)
    match = ALLOCATION.search(text)
    dims = [int(d) for d in match.group(1).replace(" ", "").split(",") if d] if match else []
    wanted = "an allocation"
    if match:
        nbytes = math.prod(dims) * DTYPE_BYTES.get(match.group(2), 4)
        wanted = f"an array of shape {tuple(dims)} ({size_text(nbytes)})"
    named = [f"{flag} {value}" for flag, value in sizes.items() if value in dims and value != 1]
    if named:
        return f"out of memory: {' and '.join(named)} asked for {wanted}; ask for less"
    flags = list(sizes)
    lower = ", ".join(flags[:-1]) + f" or {flags[-1]}" if len(flags) > 1 else "".join(flags)
    return f"out of memory: {wanted} did not fit; lower {lower or 'what you asked for'}"
