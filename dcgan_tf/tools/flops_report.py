"""The FLOP count of `flops.py` as BENCHMARKS.md shows it, and this machine's matmul peak to
compare the train step's rate with."""

from __future__ import annotations

import math
import time

import tensorflow as tf

from dcgan_tf.common.errors import UserError
from dcgan_tf.tools.flops import ADAM_FLOPS_PER_PARAMETER, FlopReport


def _mflop(flops: float) -> str:
    return f"{flops / 1e6:,.2f}"


def format_table(report: FlopReport) -> str:
    """The per-layer table in Markdown: forward MFLOP per image and its share of both nets'."""
    both = report.g_forward + report.d_forward
    lines = [
        "| layer | output shape | forward MFLOP / image | share |",
        "|---|---|---:|---:|",
    ]
    for row in report.rows:
        shape = "x".join(str(d) for d in row.output_shape)
        share = row.forward / both if both else 0.0
        lines.append(
            f"| {row.net}/{row.name} ({row.kind}) | {shape} | {_mflop(row.forward)} | {share:.1%} |"
        )
    for label, flops in [("generator", report.g_forward), ("discriminator", report.d_forward)]:
        lines.append(f"| **{label} forward** | | {_mflop(flops)} | {flops / both:.1%} |")
    return "\n".join(lines)


def format_formula(report: FlopReport) -> str:
    """The step's formula, with this report's numbers in it (MFLOP, B = the batch size)."""
    b = report.batch_size
    return "\n".join(
        [
            "step = B * (G_fwd + 2 D_fwd + 2 D_bwd + D_in + G_bwd) + Adam",
            f"     = {b} * ({_mflop(report.g_forward)} + 2 * {_mflop(report.d_forward)}"
            f" + 2 * {_mflop(report.d_backward)} + {_mflop(report.d_input_grad_for_g)}"
            f" + {_mflop(report.g_backward)}) MFLOP"
            f" + {ADAM_FLOPS_PER_PARAMETER} * {report.parameters:,} parameters",
            f"     = {report.total / 1e9:,.2f} GFLOP",
        ]
    )


MATMUL_DTYPES = {"float32": tf.float32, "bfloat16": tf.bfloat16}


def matmul_peak_gflops(dtype: str, n: int = 1024, seconds: float = 2.0) -> float:
    """This machine's n x n matrix-multiply rate in `dtype` (float32, bfloat16): the BEST call.

    A chain of matmuls runs inside one tf.function (a graph loop: dispatch is paid once per call,
    and chaining keeps any of them from being skipped), once to warm up (trace, thread pools) and
    then again until `seconds` have passed (at least 3 timed calls). The fastest call is kept:
    the CPU is shared, and the least disturbed call is the closest to what the hardware can do.
    Each matmul counts 2 n^3 FLOPs.
    """
    if dtype not in MATMUL_DTYPES:
        raise UserError(f"matmul dtype must be one of {sorted(MATMUL_DTYPES)}, not {dtype!r}")
    tf_dtype = MATMUL_DTYPES[dtype]
    flops_per_matmul = 2 * n**3
    # Enough matmuls per call (~0.25 GFLOP, at least 4) that the call overhead does not count.
    count = max(4, math.ceil(2.5e8 / flops_per_matmul))
    rng = tf.random.Generator.from_seed(0)
    # Scaled by 1/sqrt(n) so the chained products keep their size (no overflow, no denormals).
    a = tf.cast(rng.normal([n, n]) / math.sqrt(n), tf_dtype)
    b = tf.cast(rng.normal([n, n]) / math.sqrt(n), tf_dtype)

    @tf.function
    def chain(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
        for _ in tf.range(count):
            x = tf.linalg.matmul(x, y)
        return x

    chain(a, b).numpy()  # warm-up
    best = math.inf
    calls = 0
    deadline = time.perf_counter() + seconds
    while calls < 3 or time.perf_counter() < deadline:
        start = time.perf_counter()
        chain(a, b).numpy()  # .numpy(): the result exists, the work is done
        best = min(best, time.perf_counter() - start)
        calls += 1
    return count * flops_per_matmul / best / 1e9
