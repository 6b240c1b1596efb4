"""The command line, end to end on a few hundred synthetic digits."""

import csv
import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import pytest
from conftest import idx_bytes, synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.generate import main

REPO = Path(__file__).resolve().parents[1]
ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}  # a command as a user starts it


def run_cli(mnist_dir: Path, run: Path, *flags: str) -> int:
    """Train on the 200 synthetic train images, 64 per batch: 4 steps an epoch."""
    return main(
        ["--data-dir", str(mnist_dir), "--batch-size", "64", "--out", str(run / "out"),
         "--checkpoint-dir", str(run / "ck"), *flags]
    )  # fmt: skip


@pytest.fixture(scope="module")
def two_epochs(tmp_path_factory) -> Path:
    """One CLI run of 2 epochs, shared by the tests that only read its outputs."""
    root = tmp_path_factory.mktemp("cli")
    folder = root / "mnist"
    folder.mkdir()
    images, labels = synthetic_digits(200, seed=1)
    (folder / "train-images-idx3-ubyte").write_bytes(idx_bytes(images))
    (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    assert run_cli(folder, root / "run", "--epochs", "2") == 0
    return root


def loss_rows(out: Path) -> list[dict]:
    with (out / "losses.csv").open() as f:
        return list(csv.DictReader(f))


def test_two_epochs_write_two_grids_and_a_gif_of_both(two_epochs):
    out = two_epochs / "run" / "out"
    assert sorted(p.name for p in out.glob("image_at_epoch_*.png")) == [
        "image_at_epoch_0001.png",
        "image_at_epoch_0002.png",
    ]
    gif = iio.imread(out / "dcgan.gif", index=None)
    assert gif.shape[0] == 2


def test_losses_are_logged_per_step_and_plotted(two_epochs):
    out = two_epochs / "run" / "out"
    rows = loss_rows(out)
    assert [int(r["step"]) for r in rows] == list(range(1, 9))
    assert [int(r["epoch"]) for r in rows] == [1] * 4 + [2] * 4
    assert all(float(r["gen_loss"]) > 0 and float(r["disc_loss"]) > 0 for r in rows)
    assert iio.imread(out / "losses.png").ndim == 3


def test_the_config_is_saved_as_json_beside_images_and_checkpoints(two_epochs):
    run = two_epochs / "run"
    saved = json.loads((run / "out" / "config.json").read_text())
    assert (saved["epochs"], saved["batch_size"], saved["noise_dim"]) == (2, 64, 100)
    assert saved["data_dir"] == str(two_epochs / "mnist")
    assert json.loads((run / "ck" / "config.json").read_text()) == saved


def test_a_checkpoint_is_written_with_the_tutorials_prefix(two_epochs):
    ck = two_epochs / "run" / "ck"
    assert (ck / "checkpoint").exists()
    assert sorted(p.name for p in ck.glob("ckpt-*.index")) == ["ckpt-1.index", "ckpt-2.index"]


def test_rerunning_with_more_epochs_trains_exactly_the_missing_one(two_epochs, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(two_epochs / "run", run)
    first_grid = (run / "out" / "image_at_epoch_0001.png").read_bytes()
    assert run_cli(two_epochs / "mnist", run, "--epochs", "3") == 0
    printed = capsys.readouterr().out
    assert "Resuming from" in printed
    assert "Time for epoch 3 is" in printed
    assert "Time for epoch 1 " not in printed and "Time for epoch 2 " not in printed
    assert [int(r["step"]) for r in loss_rows(run / "out")] == list(range(1, 13))
    assert len(list((run / "out").glob("image_at_epoch_*.png"))) == 3
    assert (run / "out" / "image_at_epoch_0001.png").read_bytes() == first_grid
    assert iio.imread(run / "out" / "dcgan.gif", index=None).shape[0] == 3


def test_rerunning_a_finished_run_trains_nothing(two_epochs, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(two_epochs / "run", run)
    assert run_cli(two_epochs / "mnist", run, "--epochs", "2") == 0
    assert "Time for epoch" not in capsys.readouterr().out
    assert len(loss_rows(run / "out")) == 8


def test_fresh_moves_the_old_run_aside_and_starts_over(two_epochs, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(two_epochs / "run", run)
    before = {str(p.relative_to(run)): p.read_bytes() for p in run.glob("*/*") if p.is_file()}
    assert run_cli(two_epochs / "mnist", run, "--epochs", "1", "--fresh") == 0
    # It started over: one epoch of 4 steps, one grid, a GIF of one frame ...
    assert [int(r["step"]) for r in loss_rows(run / "out")] == [1, 2, 3, 4]
    assert not (run / "out" / "image_at_epoch_0002.png").exists()
    assert iio.imread(run / "out" / "dcgan.gif", index=None).shape[0] == 1
    # ... and every checkpoint and output of the 2-epoch run is in an old-* folder, unchanged.
    (old_ck,) = (run / "ck").glob("old-*")
    for name in ("checkpoint", "ckpt-1.index", "ckpt-2.index", "config.json"):
        assert (old_ck / name).read_bytes() == before[f"ck/{name}"], name
    (old_out,) = (run / "out").glob("old-*")
    for name in ("image_at_epoch_0001.png", "image_at_epoch_0002.png", "dcgan.gif", "losses.csv",
                 "losses.png", "config.json"):  # fmt: skip
        assert (old_out / name).read_bytes() == before[f"out/{name}"], name


def test_gif_only_rebuilds_the_gif_from_the_images_there(two_epochs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(two_epochs / "run" / "out", out)
    (out / "dcgan.gif").unlink()
    assert main(["--gif-only", "--out", str(out)]) == 0
    assert iio.imread(out / "dcgan.gif", index=None).shape[0] == 2


def test_asking_for_a_gpu_without_one_is_a_clear_error(capsys, mnist_dir, tmp_path):
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    folders = ["--out", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ck")]
    assert main(["--device", "gpu", "--data-dir", str(mnist_dir), *folders]) == 2
    assert "TensorFlow sees no GPU" in capsys.readouterr().err


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dcgan_tf.generate", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
        env=ENV,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "-1"], "error: --epochs must be at least 1, got -1"),
        (["--batch-size", "0"], "error: --batch-size must be at least 1, got 0"),
        (["--data-dir", "empty"], "error: --data-dir empty: found neither train-images-idx3"),
        (["--data-dir", "broken"], "error: broken/train-images-idx3-ubyte.gz: named .gz but is"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_status_two(tmp_path, flags, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip at all")
    (tmp_path / "broken" / "train-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    result = cli(*flags, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(message)
    assert "Traceback" not in result.stderr + result.stdout


def test_help_explains_every_flag():
    result = cli("--help", cwd=REPO)
    assert result.returncode == 0
    for field in dataclasses.fields(TrainConfig):
        assert "--" + field.name.replace("_", "-") in result.stdout
    assert "--gif-only" in result.stdout


def test_commands_load_tensorflow_only_when_they_run():
    """--help and flag errors answer at once: importing a command does not import TensorFlow."""
    code = (
        "import sys; import dcgan_tf.generate, dcgan_tf.evaluate, dcgan_tf.sample, "
        "dcgan_tf.interpolate, dcgan_tf.report, dcgan_tf.export, dcgan_tf.explore, "
        "dcgan_tf.tools.quality, dcgan_tf.tools.bench, dcgan_tf.tools.recipes_bench, "
        "dcgan_tf.tools.time_to_quality, dcgan_tf.tools.explore_bench; "
        "print('tensorflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_a_bad_data_folder_is_refused_before_tensorflow_loads(tmp_path):
    """The folder's files are read first, with numpy only: the error comes in a second."""
    (tmp_path / "empty").mkdir()
    code = (
        "import sys; from dcgan_tf.generate import main; "
        "status = main(['--data-dir', 'empty', '--out', 'o', '--checkpoint-dir', 'c']); "
        "print(status, 'tensorflow' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
        env=ENV,
    )  # fmt: skip
    assert result.stdout.strip() == "2 False", result.stderr
    assert result.stderr.startswith("error: --data-dir empty: found neither")
