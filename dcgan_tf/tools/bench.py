"""`make bench`: dcgan_tf's speed beside the tutorial's own loop, measured in one run.

    python -m dcgan_tf.tools.bench --data-dir ../shared/data/mnist      # writes BENCHMARKS.md
    python -m dcgan_tf.tools.bench --quick                              # CI's smoke run, no file

Every case runs in a fresh process (`bench_cases.py`), and the cases take turns round after round,
so a machine that slows down for a while slows every case alike; each ratio compares medians
measured in the same run. The tables:
1. whole epochs as a user runs them: the notebook's loop, `generate`'s default, `--fast`; and
   what makes an epoch slow: deleting an autotuned tf.data iterator waits (`teardown`);
2. the train step alone: the notebook's, dcgan_tf's, and each speed option alone and combined,
   with the work it does (FLOPs from the layer shapes) against this machine's matmul peak;
3. the input pipeline alone against what training consumes;
4. ms/step against batch size, and what it means for the tutorial's 50 epochs of 60,000 images;
5. "Picture sizes" (`bench_sizes.py`, its own marked section of BENCHMARKS.md, also run alone
   with `--only sizes`): dcgan and pytorch at 28, 32, 64 and 128 pixels beside the notebook's step.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dcgan_tf.cli import Parser, import_tensorflow, path_arg, run_command
from dcgan_tf.common.errors import UserError
from dcgan_tf.common.files import keep_marker, kept_below, replace_marked_section, write_atomic
from dcgan_tf.common.progress import ProgressBar
from dcgan_tf.config import TrainConfig

OPTIONS = {  # name -> TrainConfig fields; "default" is the tutorial's float32 step
    "default": {},
    "bfloat16": {"precision": "mixed_bfloat16"},
    "float16": {"precision": "mixed_float16"},
    "xla": {"jit_compile": True},
    "k4": {"steps_per_call": 4},
    "bfloat16+xla": {"precision": "mixed_bfloat16", "jit_compile": True},
    "bfloat16+k4": {"precision": "mixed_bfloat16", "steps_per_call": 4},
    "xla+k4": {"jit_compile": True, "steps_per_call": 4},
}
# Tables measured in the first round only (no ratio across rounds).
ONCE = ("scaling", "teardown", "sizes")
Case = tuple[str, dict, dict]  # (bench_cases case, TrainConfig fields, extra flags)


def run_case(case: Case, args: argparse.Namespace) -> dict:
    """One case in a fresh Python process; its JSON result."""
    name, settings, extra = case
    command = [sys.executable, "-m", "dcgan_tf.tools.bench_cases", name]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    for flag, value in {"images": args.images, "split": args.split, **extra}.items():
        command += [f"--{flag.replace('_', '-')}", str(value)]
    for field, value in settings.items():
        command += ["--set", f"{field}={json.dumps(value)}"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise UserError(f"bench case {name} {settings} failed: {done.stderr.strip()[-500:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result | {"wall_seconds": time.perf_counter() - started}


def run_rounds(
    tables: dict[str, dict[str, Case]], args: argparse.Namespace
) -> dict[str, dict[str, list[dict]]]:
    """Every case once per round, all in turn; results[table][case] = one result per round."""
    results = {table: {name: [] for name in cases} for table, cases in tables.items()}
    total = sum(
        len(cases) * (1 if table in ONCE else args.repeats) for table, cases in tables.items()
    )
    progress, done = ProgressBar(total, "bench cases"), 0
    for round_number in range(args.repeats):
        for table, cases in tables.items():
            if round_number and table in ONCE:
                continue
            for name, case in cases.items():
                results[table][name].append(run_case(case, args))
                done += 1
                progress.update(done, 1, {})
    progress.close(total, {})
    return results


def describe_machine() -> str:
    """CPU model, cores, device, TensorFlow and Python versions."""
    tf = import_tensorflow()
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    gpus = tf.config.list_physical_devices("GPU")
    device = f"GPU {gpus[0].name}" if gpus else "no GPU"
    return (
        f"{cpu}, {os.cpu_count()} cores, {device}; TensorFlow {tf.__version__}, "
        f"Python {platform.python_version()}"
    )


def plan(args: argparse.Namespace, fast: dict) -> dict[str, dict[str, Case]]:
    """The cases of each table of the report (every case runs once per round); `--only`: of
    that table alone."""
    from dcgan_tf.tools.bench_sizes import size_options

    epochs = {"epochs": args.epochs}
    options = {k: OPTIONS[k] for k in ("default", "bfloat16")} if args.quick else OPTIONS
    sizes = (64,) if args.quick else (64, 128, 256, 512, 1024)

    # --fast is timed beside the default only where it differs from it.
    defaults = {name: getattr(TrainConfig(), name) for name in fast}
    fast_differs = fast != defaults
    scaled = {"default": {}} | ({"--fast": fast} if fast_differs else {})
    teardown = {"epochs": 2, "epoch_seconds": 0.3} if args.quick else {"epochs": 8}

    def steps(chosen: dict, repeats: int = args.steps, **extra: object) -> Case:
        return ("steps", {}, {"options": json.dumps(chosen), "repeats": repeats, **extra})

    sizes_table = {  # each model at each size in a process of its own, beside the notebook's step
        name: steps({name: settings}) for name, settings in size_options(args.quick).items()
    }
    if args.only == "sizes":
        return {"sizes": sizes_table}
    return {
        "epochs": {
            "notebook": ("notebook", {}, epochs),
            "default": ("dcgan_tf", {}, epochs),
            **({"--fast": ("dcgan_tf", fast, epochs)} if fast_differs else {}),
            "pipeline": ("pipeline", {}, epochs),
            "duel": ("duel", {}, epochs),
        },
        "teardown": {"teardown": ("teardown", {}, teardown)},
        # Each option in a process of its own, taking turns with the notebook's step: with all
        # of them in one process, the default step ran at 0.92x, alone beside it at 1.00x.
        "steps": {name: steps({name: settings}) for name, settings in options.items()},
        "scaling": {str(size): steps(scaled, batch_size=size) for size in sizes},
        "sizes": sizes_table,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(
        prog="python -m dcgan_tf.tools.bench",
        description="Time dcgan_tf beside the tutorial's own loop and step, with each speed "
        "option alone and combined, in one run, and write BENCHMARKS.md (keeping what it "
        "holds below its marker line). Takes about 26 minutes on 2 cores with the MNIST test "
        "split, and the picture sizes' table (--only sizes) 12 to 25 more on 2 busy cores.",
    )
    parser.add_argument(
        "--data-dir", type=path_arg, help="MNIST IDX files (default: random pixels)"
    )
    parser.add_argument("--split", default="test", help="(default: %(default)s)")
    parser.add_argument("--images", type=int, default=0, help="first N images (0: the split)")
    parser.add_argument(
        "--epochs", type=int, default=4, help="epochs per run, the first is warm-up (default: 4)"
    )
    parser.add_argument("--repeats", type=int, default=2, help="rounds of every case (default: 2)")
    parser.add_argument(
        "--steps", type=int, default=4, help="timed calls of each step per round (default: 4)"
    )
    parser.add_argument(
        "--out", type=path_arg, default="BENCHMARKS.md", help="the report (default: %(default)s)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one tiny round of a few cases; no report file (CI)"
    )
    parser.add_argument(
        "--only",
        choices=("sizes",),
        help="one table alone: sizes = the train step at 28, 32, 64 and 128 pixels beside the "
        "notebook's (rewrites only its section of the report; 12 to 25 minutes on 2 busy cores)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.images, args.epochs, args.repeats, args.steps = 512, 2, 1, 2
    return run_command(lambda: bench(args))


def bench(args: argparse.Namespace) -> int:
    from dcgan_tf.options.fast import fast_settings
    from dcgan_tf.tools.bench_report import render_report
    from dcgan_tf.tools.bench_sizes import SECTION, render_sizes
    from dcgan_tf.tools.flops import train_step_flops
    from dcgan_tf.tools.flops_report import matmul_peak_gflops
    from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model

    started = time.time()
    machine = describe_machine()
    print(machine)
    fast = fast_settings("/CPU:0")
    results = run_rounds(plan(args, fast), args)
    flops = train_step_flops(make_generator_model(), make_discriminator_model(), 256)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    sizes = render_sizes(results.pop("sizes"), command_line(args), when, machine, flops.total)
    report = ""
    if not args.only:
        peak_seconds = 0.5 if args.quick else 3.0
        peaks = {dtype: matmul_peak_gflops(dtype, seconds=peak_seconds) for dtype in PEAK_DTYPES}
        report = render_report(machine, args, fast, results, flops, peaks, time.time() - started)
        print(report)
    print(sizes)
    if not args.quick:
        if report:
            kept = kept_below(Path(args.out), keep_marker("make bench"))  # notes on the numbers
            write_atomic(args.out, (report + kept).encode())
        replace_marked_section(Path(args.out), SECTION, sizes)
        print(f"Wrote {args.out}")
    return 0


def command_line(args: argparse.Namespace) -> str:
    """The command that measured this run's numbers, as the report shows it."""
    flags = ["--only sizes"] if args.only else [f"--repeats {args.repeats}"]
    flags += [] if args.only else [f"--epochs {args.epochs}"]
    flags += [f"--steps {args.steps}"]
    flags += [f"--data-dir {args.data_dir}"] if args.data_dir else []
    flags += [f"--split {args.split}"] if args.data_dir and args.split != "test" else []
    flags += [f"--images {args.images}"] if args.images else []
    return " ".join(["python -m dcgan_tf.tools.bench", *flags, *(["--quick"] * args.quick)])


PEAK_DTYPES = ("float32", "bfloat16")

if __name__ == "__main__":
    sys.exit(main())
