"""Bad input and odd states through the real commands (issue 21): one clear line on stderr, the
right exit status, nothing lost."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from conftest import write_idx, write_mnist_dir

from dcgan_tf import evaluate, export, generate, interpolate, report, sample, sweep
from dcgan_tf.cli import run_command
from dcgan_tf.common.limits import SEED_MAX
from dcgan_tf.generator import sampling
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, load_run, noise_parts

REPO = Path(__file__).resolve().parents[1]
COMMANDS = {
    "generate": generate.main,
    "sample": sample.main,
    "interpolate": interpolate.main,
    "sweep": sweep.main,
    "evaluate": evaluate.main,
    "export": export.main,
    "report": report.main,
}


def train_flags(root: Path, *flags: str) -> list[str]:
    """generate's flags for the run in `root`: 200 synthetic digits, 4 steps an epoch."""
    folders = ["--out", str(root / "run" / "out"), "--checkpoint-dir", str(root / "run" / "ck")]
    return ["--data-dir", str(root / "mnist"), "--batch-size", "64", *folders, *flags]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run of 2 epochs (8 steps), trained by `generate`; tests only read it."""
    root = tmp_path_factory.mktemp("finished")
    write_mnist_dir(root / "mnist")
    assert generate.main(train_flags(root, "--epochs", "2")) == 0
    return root


@pytest.fixture
def run(finished, tmp_path) -> Path:
    """A copy of the finished run (times of the files kept) that a test may change."""
    shutil.copytree(finished, tmp_path, dirs_exist_ok=True)
    return tmp_path


def exit_status(command: str, argv: list[str]) -> int:
    """A command's exit status, whether it returns it or argparse exits with it."""
    try:
        return COMMANDS[command](argv)
    except SystemExit as stop:
        return stop.code


def the_error_line(capsys) -> str:
    """The one line on stderr, which must be an `error: ...` line."""
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def reader_flags(root: Path) -> list[str]:
    return ["--checkpoint-dir", str(root / "run" / "ck")]


def files_and_times(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and time but the locks' (each start takes them anew)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}  # fmt: skip


@pytest.mark.parametrize("seed", ["-1", str(SEED_MAX + 1)])
@pytest.mark.parametrize("command", ["generate", "sample", "interpolate", "sweep", "evaluate"])
def test_a_seed_outside_0_to_2_to_the_32_is_one_line_in_every_command(
    finished, command, seed, capsys
):
    flags = train_flags(finished, "--epochs", "3") if command == "generate" else []
    argv = [*(flags or reader_flags(finished)), "--seed", seed]
    assert exit_status(command, argv) == 2
    assert (
        the_error_line(capsys) == f"error: --seed must be 0 to {SEED_MAX} (2**32 - 1), got {seed}"
    )


def test_the_largest_seed_is_taken_by_sample_and_by_a_new_run(finished, tmp_path):
    from dcgan_tf.run.state import build_state

    output = tmp_path / "s.npy"
    argv = [*reader_flags(finished), "--seed", str(SEED_MAX), "--format", "npy", "--output"]
    assert exit_status("sample", [*argv, str(output)]) == 0
    assert np.load(output).shape == (16, 28, 28)
    assert int(build_state(noise_dim=4, learning_rate=1e-4, seed=SEED_MAX).step) == 0


def test_sample_draws_in_parts_and_writes_npy_through_a_memory_map(finished, tmp_path, monkeypatch):
    monkeypatch.setattr(sampling, "NOISE_PART", 10)  # 25 images: parts of 10, 10 and 5
    output = tmp_path / "s.npy"
    argv = [*reader_flags(finished), "--num", "25", "--format", "npy", "--output", str(output)]
    assert exit_status("sample", argv) == 0
    state, _, _ = load_run(finished / "run" / "ck")
    parts = [generate_pixels(state, noise) for noise in noise_parts(state.spec, 25, 100, 0)]
    np.testing.assert_array_equal(np.load(output), np.concatenate(parts)[..., 0])
    # Up to one part, a seed draws the images of one draw, as before parts.
    np.testing.assert_array_equal(
        parts[0], generate_pixels(state, draw_noise(state.spec, 10, 100, 0))
    )
    assert [p.name for p in tmp_path.iterdir()] == ["s.npy"]  # no temporary file left


def test_sample_num_beyond_the_disk_is_one_line_naming_it(finished, tmp_path, capsys):
    argv = [*reader_flags(finished), "--num", str(10**12), "--format", "npy"]
    assert exit_status("sample", [*argv, "--output", str(tmp_path / "s.npy")]) == 2
    line = the_error_line(capsys)
    assert line.startswith(f"error: --num 1000000000000: {tmp_path / 's.npy'} would take about")
    assert "TB on disk" in line
    assert list(tmp_path.iterdir()) == []


def test_a_grid_beyond_the_memory_is_one_line_naming_it(finished, tmp_path, capsys):
    argv = [*reader_flags(finished), "--num", "100000000", "--output", str(tmp_path / "g.png")]
    assert exit_status("sample", argv) == 2
    assert the_error_line(capsys).startswith(
        "error: --num 100000000: a grid of 100000000 images needs about 2.0 TB of memory; "
    )


@pytest.mark.parametrize("command", ["interpolate", "sweep"])
def test_a_walk_beyond_the_memory_is_one_line_naming_its_flags(finished, tmp_path, command, capsys):
    argv = [*reader_flags(finished), "--rows", str(10**9), "--out", str(tmp_path)]
    assert exit_status(command, argv) == 2
    assert the_error_line(capsys).startswith(f"error: --rows {10**9} x --steps 10: ")


def test_evaluate_num_beyond_the_memory_is_one_line_before_anything_loads(finished, capsys):
    assert exit_status("evaluate", [*reader_flags(finished), "--num", str(10**12)]) == 2
    assert the_error_line(capsys).startswith(
        "error: --num 1000000000000: evaluating 1000000000000 samples needs about 8192.0 TB"
    )


def test_eval_samples_beyond_the_memory_is_refused_before_training(finished, tmp_path, capsys):
    flags = ["--data-dir", str(finished / "mnist"), "--out", str(tmp_path / "out"),
             "--checkpoint-dir", str(tmp_path / "ck"), "--eval-every", "1"]  # fmt: skip
    assert exit_status("generate", [*flags, "--eval-samples", str(10**12)]) == 2
    assert the_error_line(capsys).startswith(
        "error: --eval-samples 1000000000000: each measurement"
    )
    assert not list((tmp_path / "ck").glob("ckpt-*"))


def test_a_data_folder_too_big_to_hold_is_refused_before_it_is_read(tmp_path, capsys):
    data = tmp_path / "big data"
    data.mkdir()
    header = np.zeros((1, 28, 28), np.uint8)
    write_idx(data / "train-images-idx3-ubyte", header)
    raw = bytearray((data / "train-images-idx3-ubyte").read_bytes())
    raw[4:8] = (10**9).to_bytes(4, "big")  # its header announces a billion images
    (data / "train-images-idx3-ubyte").write_bytes(bytes(raw))
    write_idx(data / "train-labels-idx1-ubyte", np.zeros(1, np.uint8))
    flags = ["--data-dir", str(data), "--out", str(tmp_path / "o"), "--checkpoint-dir"]
    assert exit_status("generate", [*flags, str(tmp_path / "c")]) == 2
    assert the_error_line(capsys).startswith(
        f"error: --data-dir {data}: 1000000000 images needs about 7.1 TB of memory; "
    )


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_an_allocation_failing_anywhere_is_one_line_naming_the_flag_that_asked(capsys):
    def allocate() -> int:
        np.empty((10**7, 10**7))  # numpy's MemoryError, at once: 800 TB
        return 0

    assert run_command(allocate, {"--batch-size": 256, "--num": 10**7}) == 2
    assert the_error_line(capsys) == (
        "error: out of memory: --num 10000000 asked for an array of shape (10000000, 10000000) "
        "(800.0 TB); ask for less"
    )

    def allocate_in_tensorflow() -> int:
        tf.zeros([2**20, 2**20, 2**10])  # TensorFlow's ResourceExhaustedError
        return 0

    assert run_command(allocate_in_tensorflow, {"--batch-size": 256, "--noise-dim": 100}) == 2
    assert the_error_line(capsys) == (
        "error: out of memory: an array of shape (1048576, 1048576, 1024) (4503.6 TB) did not "
        "fit; lower --batch-size or --noise-dim"
    )


def cli(module: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", f"dcgan_tf.{module}", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_sample_num_100000000_through_the_real_command_is_one_line(finished, tmp_path):
    done = cli("sample", *reader_flags(finished), "--num", "100000000", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --num 100000000: a grid of 100000000 images needs")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_generate_noise_dim_100000000_through_the_real_command_is_one_line(finished, tmp_path):
    flags = ["--data-dir", str(finished / "mnist"), "--noise-dim", "100000000", "--steps", "1"]
    done = cli("generate", *flags, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(
        "error: --noise-dim 100000000: holding the models' 1,254,401,289,409 parameters needs "
        "about 25.1 TB of memory; "
    )
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []  # no output/ nor checkpoints/ holding only .lock


def test_a_batch_beyond_the_memory_is_refused_before_the_models_are_built(
    finished, tmp_path, monkeypatch, capsys
):
    from dcgan_tf.common import limits
    from dcgan_tf.run import budget

    monkeypatch.setattr(limits, "available_memory", lambda: 100_000_000)  # a 100 MB machine
    monkeypatch.setattr(budget, "ORDINARY_BATCH", 0)  # 200 images are no ordinary batch now
    flags = ["--data-dir", str(finished / "mnist"), "--out", str(tmp_path / "out")]
    assert exit_status("generate", [*flags, "--checkpoint-dir", str(tmp_path / "ck")]) == 2
    assert the_error_line(capsys) == (
        "error: --batch-size 256: a train step on 200 images needs about 186.3 MB of memory; "
        "100.0 MB is available; ask for less"
    )
    assert not list((tmp_path / "ck").glob("ckpt-*"))


def test_a_run_refused_up_front_leaves_no_folder_it_created(
    finished, tmp_path, monkeypatch, capsys
):
    from dcgan_tf.common import limits
    from dcgan_tf.run import budget

    monkeypatch.setattr(limits, "available_memory", lambda: 100_000_000)  # a 100 MB machine
    monkeypatch.setattr(budget, "ORDINARY_BATCH", 0)
    (tmp_path / "existed").mkdir()
    out, ck = tmp_path / "new" / "deeper" / "out", tmp_path / "existed" / "ck"
    argv = ["--data-dir", str(finished / "mnist"), "--out", str(out), "--checkpoint-dir", str(ck)]
    assert exit_status("generate", argv) == 2
    assert the_error_line(capsys).startswith("error: --batch-size 256: a train step on 200")
    assert [p.name for p in tmp_path.rglob("*")] == ["existed"]  # as before the run, .lock gone


def test_a_batch_larger_than_the_data_trains_on_all_of_it_each_step_and_says_so(
    finished, tmp_path, capsys
):
    out = tmp_path / "out"
    argv = ["--data-dir", str(finished / "mnist"), "--batch-size", "10000000", "--steps", "1"]
    argv += ["--out", str(out), "--checkpoint-dir", str(tmp_path / "ck")]
    assert exit_status("generate", argv) == 0
    note = "Note: --batch-size 10000000 is more than the 200 images: each step trains on all 200"
    assert [line for line in capsys.readouterr().out.splitlines() if "--batch-size" in line] == [
        f"{note} of them, one step an epoch"
    ]
    assert len((out / "losses.csv").read_text().splitlines()) == 1 + 1  # header, one step
    assert (out / "image_at_epoch_0001.png").exists()  # which was the whole first epoch


def test_export_to_an_existing_file_is_one_line_and_exit_two(finished, tmp_path, capsys):
    (tmp_path / "taken").write_text("mine")
    assert exit_status("export", [*reader_flags(finished), "--out", str(tmp_path / "taken")]) == 2
    expected = f"error: --out {tmp_path / 'taken'}: is a file, not a folder; name a folder"
    assert the_error_line(capsys) == expected
    assert (tmp_path / "taken").read_text() == "mine"


@pytest.mark.parametrize(
    ("command", "flags", "message"),
    [
        ("sample", ["--output", "{folder}"], "--output {folder}: is a folder, not a file"),
        ("sample", ["--format", "png", "--output", "{file}"], "--output {file}: is a file, not a"),
        ("sample", ["--output", "{file}/s.png"], "--output {file}/s.png: cannot write there"),
        ("interpolate", ["--out", "{file}"], "--out {file}: is a file, not a folder"),
        ("sweep", ["--out", "{file}"], "--out {file}: is a file, not a folder"),
        ("evaluate", ["--out", "{file}"], "--out {file}: is a file, not a folder"),
    ],
)
def test_an_output_path_of_the_wrong_kind_is_one_line(
    finished, tmp_path, command, flags, message, capsys
):
    (tmp_path / "a folder").mkdir()
    (tmp_path / "a file").write_text("mine")
    names = {"folder": tmp_path / "a folder", "file": tmp_path / "a file"}
    argv = [*reader_flags(finished), *(flag.format(**names) for flag in flags)]
    assert exit_status(command, argv) == 2
    assert the_error_line(capsys).startswith("error: " + message.format(**names))
    assert (tmp_path / "a file").read_text() == "mine"


@pytest.mark.parametrize(
    ("command", "flags", "message"),
    [
        ("generate", ["--out", ""], "error: --out is empty; name a folder"),
        ("generate", ["--data-dir", " "], "error: --data-dir is empty; name a folder"),
        ("sample", ["--output", ""], "error: argument --output: an empty path names no file"),
        ("evaluate", ["--images", ""], "error: argument --images: an empty path names no file"),
        ("export", ["--out", ""], "error: argument --out: an empty path names no file"),
        ("report", [""], "error: argument RUN_DIR: an empty path names no file"),
        ("interpolate", ["--checkpoint-dir", ""], "error: argument --checkpoint-dir: an empty"),
    ],
)
def test_an_empty_path_is_one_line_in_every_command(
    tmp_path, monkeypatch, command, flags, message, capsys
):
    monkeypatch.chdir(tmp_path)  # an empty path must not quietly mean this folder
    assert exit_status(command, flags) == 2
    assert the_error_line(capsys).startswith(message)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("flags", "line"), [
    (["--epochs", "1"], "2 epochs done already; nothing to train. Ask for more with --epochs N"),
    (["--steps", "5"], "8 steps done already; nothing to train. Ask for more with --steps N"),
])  # fmt: skip
def test_a_finished_run_asked_for_less_says_so_and_rewrites_nothing(run, flags, line, capsys):
    before = files_and_times(run / "run")
    assert exit_status("generate", train_flags(run, *flags)) == 0
    assert line in capsys.readouterr().out.splitlines()
    assert files_and_times(run / "run") == before  # neither the GIF nor the report rewritten


@pytest.mark.parametrize("text", ["[]", '{"noise_dim": "100"}', '{"epochs": true}', "\udcff"])
def test_a_checkpoint_config_of_the_wrong_shape_is_refused_with_one_line(run, text, capsys):
    config = run / "run" / "ck" / "config.json"
    config.write_bytes(text.encode(errors="surrogateescape"))
    assert exit_status("generate", train_flags(run, "--epochs", "3")) == 2
    assert the_error_line(capsys).startswith(f"error: {config}: not a readable run config (")
    assert exit_status("sample", [*reader_flags(run), "--output", str(run / "s.png")]) == 2
    assert the_error_line(capsys).startswith(f"error: {config}: not a readable run config (")
    assert config.read_bytes() == text.encode(errors="surrogateescape")  # refused, not replaced


def test_the_report_of_a_run_whose_journal_is_damaged_is_one_line(run, capsys):
    (run / "run" / "out" / "journal.json").write_text('{"segments": [1], "epochs": []}')
    assert exit_status("report", [str(run / "run" / "out")]) == 2
    assert the_error_line(capsys).startswith(
        f"error: {run / 'run' / 'out' / 'journal.json'}: not a readable run journal (TypeError: "
    )
