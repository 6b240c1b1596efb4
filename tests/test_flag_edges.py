"""Every command's flags at their edge values (issue 21), generated with Hypothesis: negative,
zero, huge, NaN, empty, a file where a folder is expected and the reverse, paths with spaces and
non-ASCII characters. Whatever the values, a command exits 0 or 2 (generate also 3: a learning
rate of 1e308 may train into a NaN loss, which stops a run by design), prints no traceback, says
what is wrong in one `error:` line, and touches no file outside the folders it was given.

The flags are read from each command's own parser, so a new flag is fuzzed without a change
here. The commands run in this process (`main(argv)`, what `python -m` calls), each example in a
fresh folder holding a copy of a finished one-step run. Left out in-process, because a process
may set them only once before TensorFlow starts: generate's --device, --strategy,
--sync-batch-norm and the speed options (--precision, --jit-compile, --fast), which the real
processes of test_devices, test_distribute and test_speed_options cover. Left out of the values:
a huge --steps or --gen-steps, which is a valid request to train for a very long time.
The maintainers' commands in `dcgan_tf/tools/` (quality, bench, recipes_bench, time_to_quality)
are `make` targets that train for minutes to hours on any valid value; they are not fuzzed.

`make test` runs a fixed (derandomized) set of examples; `make test-slow` a larger random one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import synthetic_digits, write_mnist_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from dcgan_tf import evaluate, export, generate, interpolate, report, sample, sweep
from dcgan_tf.evaluation.classifier import train_classifier

REPO = Path(__file__).resolve().parents[1]
# Hypothesis keeps caches in ./.hypothesis by default: never in the checkout.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "dcgan_tf-hypothesis"))
# Each kind of flag: edge values, and ordinary ones, drawn as often, so that examples with
# every flag valid run the command through (half the time, with one flag).
INTS = ["-1", "0", str(2**31), str(2**63), str(10**30), "nan", "", "2.5", "-0"]
HUGE = {str(2**31), str(2**63), str(10**30)}
FLOATS = ["nan", "inf", "-inf", "-1", "0", "1e308", "1e-308", "1", ""]
INT_LISTS = ["-1", "", "a,b", str(10**30), "0,,2"]
# Relative to each example's folder: nothing there, a file, a folder, a path through a file.
PATHS = ["", " ", "missing", "a file", "a folder", "a file/below"]
# Paths with spaces and non-ASCII characters: new folders for an output, missing for an input.
NEW_PATHS = ["new dir/with space", "ünï/дир"]
# The valid values a path flag may also take, beside PATHS.
VALID = {
    "--checkpoint-dir": ["run/ck"],
    "--checkpoint": ["run/ck/ckpt-1", "run/ck/ckpt-9"],
    "--resume-from": ["run/ck/ckpt-1"],
    "--data-dir": ["mnist"],
    "--images": ["images.npy", "run/ck/config.json"],
    "--classifier": ["classifier/classifier-mnist.keras"],
    "run_dir": ["run/out"],
}
IN_PROCESS_ONLY_ONCE = {"--device", "--strategy", "--sync-batch-norm", "--precision"}
IN_PROCESS_ONLY_ONCE |= {"--jit-compile", "--fast"}
LONG_WHEN_HUGE = {"--steps", "--gen-steps"}  # generate's; sample's and interpolate's are images
# Each command's valid flags, to which the fuzzed ones are added (the last of a flag wins).
BASE = {
    "generate": ["--data-dir=mnist", "--batch-size=64", "--steps=1", "--out=run/out",
                 "--checkpoint-dir=run/ck", "--eval-samples=10"],
    "sample": ["--checkpoint-dir=run/ck", "--output=samples.png"],
    "interpolate": ["--checkpoint-dir=run/ck", "--out=walks", "--rows=2", "--steps=3"],
    "sweep": ["--checkpoint-dir=run/ck", "--out=sweeps", "--rows=2", "--steps=3"],
    "evaluate": ["--checkpoint-dir=run/ck", "--classifier=classifier/classifier-mnist.keras",
                 "--num=10", "--out=metrics"],
    "export": ["--checkpoint-dir=run/ck", "--out=export"],
    "report": [],
}  # fmt: skip
COMMANDS: dict[str, tuple[Callable, Callable]] = {
    "generate": (generate.main, generate.build_parser),
    "sample": (sample.main, sample.build_parser),
    "interpolate": (interpolate.main, interpolate.build_parser),
    "sweep": (sweep.main, sweep.build_parser),
    "evaluate": (evaluate.main, evaluate.build_parser),
    "export": (export.main, export.build_parser),
    "report": (report.main, report.build_parser),
}


@dataclass(frozen=True)
class Flag:
    command: str
    option: str  # "--num", or the positional's name
    edges: tuple[str | None, ...]  # None: a switch, given alone
    ordinary: tuple[str, ...]
    path: bool  # its values name files or folders

    def values(self) -> st.SearchStrategy:
        edges = st.sampled_from(self.edges)
        return st.one_of(edges, st.sampled_from(self.ordinary)) if self.ordinary else edges

    def argv(self, value: str | None) -> list[str]:
        if value is None:
            return [self.option]
        return [value] if not self.option.startswith("-") else [f"{self.option}={value}"]


def flags_of(command: str) -> list[Flag]:
    """Every flag of `command`'s parser with its edge values, by its type."""
    found = []
    for action in COMMANDS[command][1]()._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        option = max(action.option_strings, key=len) if action.option_strings else action.dest
        if command == "generate" and option in IN_PROCESS_ONLY_ONCE:
            continue
        ordinary: list[str] = []
        path = False
        if action.nargs == 0:  # a switch: --fresh, --no-tensorboard
            edges: list[str | None] = [None]
        elif action.choices is not None:
            edges, ordinary = ["nope", "", "-1"], [*map(str, action.choices)]
        elif action.type is int:
            long = command == "generate" and option in LONG_WHEN_HUGE
            edges, ordinary = [v for v in INTS if not (long and v in HUGE)], ["1", "3"]
        elif action.type is float:
            edges, ordinary = FLOATS, ["0.5", "0.01"]
        elif action.type is generate.int_list:
            edges, ordinary = INT_LISTS, ["0,1"]
        else:
            edges, ordinary, path = PATHS, [*NEW_PATHS, *VALID.get(option, [])], True
        found.append(Flag(command, option, tuple(edges), tuple(ordinary), path))
    return found


FLAGS = {command: flags_of(command) for command in COMMANDS}


@st.composite
def invocations(draw, train: bool = False) -> tuple[str, list[Flag], list[str]]:
    """A command, one to three of its flags at edge values, and its whole argv. With `train`,
    generate trains one more step (else its run is finished: it checks and stops)."""
    command = draw(st.sampled_from(sorted(COMMANDS)))
    count = min(draw(st.sampled_from([1, 1, 2, 3])), len(FLAGS[command]))  # mostly one
    chosen = draw(st.lists(st.sampled_from(FLAGS[command]), min_size=count, max_size=count,
                           unique_by=lambda flag: flag.option))  # fmt: skip
    argv = list(BASE[command]) + (["--steps=2"] if train and command == "generate" else [])
    given = []
    for flag in chosen:
        value = draw(flag.values())
        argv += flag.argv(value)
        given.append((flag, value))
    if command == "report" and not any(flag.option == "run_dir" for flag, _ in given):
        argv.append("run/out")
    return command, given, argv


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """What each example starts from: a finished one-step run, its data, a classifier bundle
    (one epoch on the same digits), 12 images as .npy, a file and a folder."""
    root = tmp_path_factory.mktemp("template")
    write_mnist_dir(root / "mnist")
    run = ["--data-dir", str(root / "mnist"), "--batch-size", "64", "--steps", "1"]
    folders = ["--out", str(root / "run" / "out"), "--checkpoint-dir", str(root / "run" / "ck")]
    assert generate.main([*run, *folders]) == 0
    bundle = root / "classifier" / "classifier-mnist.keras"
    train_classifier("mnist", str(root / "mnist"), bundle, epochs=1, log=lambda _: None)
    np.save(root / "images.npy", synthetic_digits(12, seed=5)[0])
    (root / "a file").write_text("a file, not a folder")
    (root / "a folder").mkdir()
    # Relative paths, as a person would give them in that folder.
    for name in ("out", "ck"):
        config = root / "run" / name / "config.json"
        config.write_text(config.read_text().replace(str(root) + "/", ""))
    return root


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every path under `folder`: (is a folder, size, modification time)."""
    found = {}
    for path in folder.rglob("*"):
        stat = path.lstat()
        found[str(path.relative_to(folder))] = (path.is_dir(), stat.st_size, stat.st_mtime_ns)
    return found


@contextlib.contextmanager
def inside(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def named_paths(command: str, given: list, argv: list[str]) -> list[str]:
    """The files and folders the command was told to use: its path flags' values."""
    named = [arg.split("=", 1)[1] for arg in BASE[command] if "=" in arg]
    named += [value for flag, value in given if flag.path and value]
    if command == "report":
        named.append(argv[-1])
    return [os.path.normpath(name) for name in named if name.strip()]


def outside_named(changed: set[str], named: list[str]) -> list[str]:
    """The changed paths that are neither in a named path nor a folder leading to one."""

    def allowed(path: str) -> bool:
        return any(
            path == name or path.startswith(name + os.sep) or name.startswith(path + os.sep)
            for name in named
        )

    return sorted(path for path in changed if not allowed(path))


def copy_or_link(source: str, target: str) -> None:
    """Checkpoint data are linked, not copied (30 MB an example): TensorFlow never rewrites
    them in place, it writes new ones."""
    if ".data-" in Path(source).name:
        os.link(source, target)
    else:
        shutil.copy2(source, target)


def check_example(template: Path, folder: Path, example, capsys) -> None:
    command, given, argv = example
    shutil.copytree(template, folder, copy_function=copy_or_link)
    before = snapshot(folder)
    capsys.readouterr()
    with inside(folder):
        try:
            status = COMMANDS[command][0](argv)
        except SystemExit as stop:  # argparse's own errors
            status = stop.code
    captured = capsys.readouterr()
    allowed = {0, 2, 3} if command == "generate" else {0, 2}
    assert status in allowed, (command, argv, captured.err[-2000:])
    assert "Traceback" not in captured.err + captured.out, (command, argv, captured.err)
    if status:
        errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, (command, argv, captured.err)
    after = snapshot(folder)
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert outside_named(changed, named_paths(command, given, argv)) == [], (command, argv)


QUICK = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
@QUICK
@given(example=invocations())
def test_every_command_at_its_flags_edges_exits_0_or_2_in_one_line(
    template, tmp_path_factory, capsys, example
):
    check_example(template, tmp_path_factory.mktemp("example") / "here", example, capsys)


@pytest.mark.slow
@settings(QUICK, max_examples=400, derandomize=False)
@given(example=invocations(train=True))
def test_many_more_edge_values_exit_0_or_2_in_one_line(template, tmp_path_factory, capsys, example):
    check_example(template, tmp_path_factory.mktemp("example") / "here", example, capsys)


def test_the_edge_values_write_nothing_into_the_checkout():
    """Run after the examples: the checkout is as git knows it (tests write only in tmp)."""
    status = subprocess.run(["git", "status", "--porcelain", "--ignored", "--", "."],
                            cwd=REPO, capture_output=True, text=True).stdout  # fmt: skip
    assert not [line for line in status.splitlines() if "hypothesis" in line or "ünï" in line]
