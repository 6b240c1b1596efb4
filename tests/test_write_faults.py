"""A full disk or a folder that cannot be written: one line naming what and where, exit status 4,
the previous checkpoint intact and still the newest, no temporary file left behind.

Where the machine lets us (root may mount), the disk is a real, tiny tmpfs filled up; the same
faults are also simulated at the write call, so they are tested everywhere.
"""

import errno
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits, write_idx

from dcgan_tf.common import files
from dcgan_tf.common.errors import WriteFailed
from dcgan_tf.common.files import write_atomic, write_atomic_with
from dcgan_tf.common.plots import plot_series
from dcgan_tf.generate import main
from dcgan_tf.run.history import LossHistory
from dcgan_tf.run.recovery import damage
from dcgan_tf.tutorial.images import build_gif, save_image_grid

MB = 1024 * 1024


def mount_tmpfs(folder: Path, size: str, read_only: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()})")


@pytest.fixture
def disk(tmp_path):
    """mount(size, read_only=False) -> a fresh tmpfs folder; unmounted after the test."""
    mounted = []

    def mount(size: str, read_only: bool = False) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        mount_tmpfs(folder, size, read_only)
        mounted.append(folder)
        return folder

    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> None:
    """Write until the file system is full."""
    with (folder / "filler").open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as err:
            assert err.errno == errno.ENOSPC


@pytest.fixture
def digits(tmp_path) -> Path:
    """32 synthetic train digits: 2 steps an epoch at batch 16."""
    folder = tmp_path / "mnist"
    folder.mkdir()
    images, labels = synthetic_digits(32, seed=3)
    write_idx(folder / "train-images-idx3-ubyte", images)
    write_idx(folder / "train-labels-idx1-ubyte", labels)
    return folder


def generate(digits: Path, out: Path, ck: Path, *flags: str) -> int:
    return main(["--data-dir", str(digits), "--batch-size", "16", "--out", str(out),
                 "--checkpoint-dir", str(ck), *flags])  # fmt: skip


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    return line


def leftovers(*folders: Path) -> list[str]:
    found = [p for f in folders for p in f.rglob("*") if "_temp" in p.name or ".tmp-" in p.name]
    return sorted(str(p) for p in found)


def assert_first_checkpoint_is_the_newest_and_intact(ck: Path) -> None:
    assert tf.train.latest_checkpoint(str(ck)) == str(ck / "ckpt-1")
    assert damage(ck / "ckpt-1") is None
    assert not list(ck.glob("ckpt-2*"))


# --- the checkpoint ---------------------------------------------------------------------------


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_disk_filling_up_during_a_checkpoint_save(digits, tmp_path, disk, capsys):
    ck = disk("45m")  # one checkpoint of about 30 MB fits, a second does not
    out = tmp_path / "out"
    assert generate(digits, out, ck, "--epochs", "2") == 4
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: could not write the checkpoint {ck / 'ckpt-2'}: ")
    assert "No space left on device" in line
    assert f"the newest checkpoint is still {ck / 'ckpt-1'}, intact" in line
    assert_first_checkpoint_is_the_newest_and_intact(ck)
    assert leftovers(ck, out) == []


def test_a_checkpoint_save_failing_at_the_write_call(digits, tmp_path, monkeypatch, capsys):
    ck, out = tmp_path / "ck", tmp_path / "out"
    original_save = tf.train.CheckpointManager.save

    def save_then_fail_the_second(manager, checkpoint_number=None, **kwargs):
        if checkpoint_number == 1:
            return original_save(manager, checkpoint_number=checkpoint_number, **kwargs)
        # What SaveV2 leaves when the disk fills: a temporary folder with half a shard.
        temp = Path(manager.directory) / f"ckpt-{checkpoint_number}_temp"
        temp.mkdir()
        (temp / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"\0" * 1000)
        raise tf.errors.ResourceExhaustedError(
            None, None, f"{temp}; No space left on device [Op:SaveV2]"
        )

    monkeypatch.setattr(tf.train.CheckpointManager, "save", save_then_fail_the_second)
    assert generate(digits, out, ck, "--epochs", "2") == 4
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: could not write the checkpoint {ck / 'ckpt-2'}: ")
    assert "No space left on device" in line
    assert_first_checkpoint_is_the_newest_and_intact(ck)
    assert leftovers(ck, out) == []


# --- images, GIF, CSV, plot -------------------------------------------------------------------


def grid(path: Path) -> None:
    save_image_grid(np.full((16, 28, 28, 1), 128, np.uint8), path)


def gif(path: Path) -> None:
    build_gif(path.parent)


def csv(path: Path) -> None:
    history = LossHistory()
    history.append(1, 1, 0.5, 0.5)
    history.save(path.parent)


def plot(path: Path) -> None:
    plot_series([1, 2, 3], {"loss": [3.0, 2.0, 1.0]}, path, ylabel="loss")


WRITERS = {"image_at_epoch_0001.png": grid, "dcgan.gif": gif, "losses.csv": csv, "losses.png": plot}


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True, capture_output=True)


FAULTS = {"full": (fill, "No space left on device"), "read-only": (remount_read_only,
          "Read-only file system")}  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("name", WRITERS)
def test_a_full_or_read_only_disk_while_writing_an_output_file(disk, name, fault):
    folder = disk("1m")
    grid(folder / "image_at_epoch_0001.png")  # the GIF's frame, and an older grid
    path = folder / name
    if not path.exists():
        path.write_bytes(b"the previous version")
    before = path.read_bytes()
    spoil, cause = FAULTS[fault]
    spoil(folder)
    with pytest.raises(WriteFailed) as failed:
        WRITERS[name](path)
    assert str(failed.value) == f"could not write {path}: {cause}"
    assert failed.value.exit_code == 4
    assert path.read_bytes() == before
    assert leftovers(folder) == []


def test_a_write_failing_midway_at_the_write_call(tmp_path):
    path = tmp_path / "losses.csv"
    path.write_text("the previous version")

    def half_then_disk_full(tmp: Path) -> None:
        tmp.write_bytes(b"half a fi")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(WriteFailed, match=f"could not write {path}: No space left on device"):
        write_atomic_with(path, half_then_disk_full)
    assert path.read_text() == "the previous version"
    assert leftovers(tmp_path) == []


def test_a_folder_write_stopped_between_its_two_renames_is_put_back_by_the_next(
    tmp_path, monkeypatch
):
    """Where the system cannot exchange two folders in one step, a folder is replaced by two
    renames; a writer that dies between them leaves the earlier version aside, whole, and the
    next writer puts it back before anything else (here: before its own write fails)."""
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "export.json").write_text("the previous version")
    monkeypatch.setattr(files, "exchange", lambda a, b: False)
    renames = []

    def die_at_the_second_rename(source, target):
        renames.append(target)
        if len(renames) == 2:
            raise KeyboardInterrupt  # as if killed here
        os.replace(source, target)

    monkeypatch.setattr(files.os, "rename", die_at_the_second_rename)
    with pytest.raises(KeyboardInterrupt):
        files.write_folder_atomic(folder, lambda tmp: (tmp / "export.json").write_text("new"))
    assert not folder.exists()
    monkeypatch.setattr(files.os, "rename", os.replace)

    def disk_full(tmp: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(WriteFailed, match=f"could not write {folder}: No space left on device"):
        files.write_folder_atomic(folder, disk_full)
    assert (folder / "export.json").read_text() == "the previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def fail_when_written(monkeypatch, name: str, fault: Callable[[], None]) -> dict[str, bytes]:
    """Make the run's next write of the file `name` meet `fault` (e.g. the disk filling up just
    then); returns {"before": the file's bytes at that moment} once it happened."""
    seen = {}
    original = files.write_atomic_with

    def write_atomic_with(path, write):
        path = Path(path)
        if path.name == name and not seen:
            seen["before"] = path.read_bytes() if path.exists() else None
            fault()
        return original(path, write)

    monkeypatch.setattr(files, "write_atomic_with", write_atomic_with)
    return seen


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_full_output_disk_stops_a_run_with_one_line_and_exit_four(
    digits, disk, tmp_path, monkeypatch, capsys
):
    """The disk fills up just as the run draws its epoch's grid (the config is written)."""
    out = disk("1m")
    path = out / "image_at_epoch_0001.png"
    seen = fail_when_written(monkeypatch, path.name, lambda: fill(out))
    assert generate(digits, out, tmp_path / "ck", "--epochs", "1") == 4
    line = one_error_line(capsys.readouterr().err)
    assert line == f"error: could not write {path}: No space left on device"
    assert seen == {"before": None} and not path.exists()  # no half a grid either
    assert (out / "config.json").exists()
    assert leftovers(out, tmp_path / "ck") == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["losses.csv", "losses.png", "dcgan.gif"])
def test_a_full_output_disk_at_each_output_file_stops_a_run_and_keeps_the_previous_version(
    digits, disk, tmp_path, monkeypatch, capsys, name
):
    """A first run of one epoch, then the same command for two epochs with the disk filling up
    as it rewrites the loss history, its plot or the GIF."""
    out, ck = disk("1m"), tmp_path / "ck"
    assert generate(digits, out, ck, "--epochs", "1") == 0
    path = out / name
    seen = fail_when_written(monkeypatch, name, lambda: fill(out))
    assert generate(digits, out, ck, "--epochs", "2") == 4
    line = one_error_line(capsys.readouterr().err)
    assert line == f"error: could not write {path}: No space left on device"
    assert seen["before"] is not None and path.read_bytes() == seen["before"]
    assert leftovers(out, ck) == []


@pytest.mark.slow
def test_an_output_folder_that_stops_being_writable_stops_a_run(
    digits, tmp_path, monkeypatch, capsys
):
    """Simulated: as root a chmod stops nothing, and a folder the run holds a lock in cannot be
    remounted read-only, so the write of the epoch's grid meets the error instead."""
    out = tmp_path / "out"
    path = out / "image_at_epoch_0001.png"

    def not_writable(tmp: Path) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp))

    original = files.write_atomic_with
    monkeypatch.setattr(
        files,
        "write_atomic_with",
        lambda p, write: original(p, not_writable if Path(p) == path else write),
    )
    assert generate(digits, out, tmp_path / "ck", "--epochs", "1") == 4
    line = one_error_line(capsys.readouterr().err)
    assert line == f"error: could not write {path}: Read-only file system"
    assert not path.exists()
    assert leftovers(out, tmp_path / "ck") == []


# --- folders refused before training ----------------------------------------------------------


@pytest.mark.parametrize("flag", ["--out", "--checkpoint-dir"])
def test_a_read_only_folder_is_refused_before_training(digits, disk, tmp_path, flag, capsys):
    read_only = disk("1m", read_only=True)
    folders = {"--out": tmp_path / "out", "--checkpoint-dir": tmp_path / "ck", flag: read_only}
    assert generate(digits, folders["--out"], folders["--checkpoint-dir"], "--epochs", "1") == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert line == f"error: {flag} {read_only}: cannot write there (Read-only file system)"
    assert "Data:" not in captured.out  # refused before the data was even read


@pytest.mark.parametrize("flag", ["--out", "--checkpoint-dir"])
def test_a_folder_refusing_writes_is_refused_at_the_write_call(digits, tmp_path, flag,
                                                               monkeypatch, capsys):  # fmt: skip
    """The read-only refusal, simulated where the probe file is created (runs everywhere)."""
    folders = {"--out": tmp_path / "out", "--checkpoint-dir": tmp_path / "ck"}
    refusing = folders[flag]
    real_temporary_file = files.tempfile.TemporaryFile

    def temporary_file(*args, dir=None, **kwargs):
        if Path(dir) == refusing:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_temporary_file(*args, dir=dir, **kwargs)

    monkeypatch.setattr(files.tempfile, "TemporaryFile", temporary_file)
    assert generate(digits, folders["--out"], folders["--checkpoint-dir"], "--epochs", "1") == 2
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert line == f"error: {flag} {refusing}: cannot write there (Read-only file system)"
    assert "Data:" not in captured.out


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into any folder whatever its mode")
def test_a_folder_without_write_permission_is_refused_before_training(digits, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    assert generate(digits, locked, tmp_path / "ck", "--epochs", "1") == 2
    line = one_error_line(capsys.readouterr().err)
    assert line == f"error: --out {locked}: cannot write there (Permission denied)"


@pytest.mark.parametrize("flag", ["--out", "--checkpoint-dir"])
def test_a_folder_flag_naming_an_existing_file_is_one_clear_line(digits, tmp_path, flag, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    folders = {"--out": tmp_path / "out", "--checkpoint-dir": tmp_path / "ck", flag: a_file}
    assert generate(digits, folders["--out"], folders["--checkpoint-dir"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line == f"error: {flag} {a_file}: is a file, not a folder; name a folder"
    assert a_file.read_text() == "mine"


def test_write_atomic_still_writes(tmp_path):
    assert write_atomic(tmp_path / "a" / "b.txt", b"ok").read_bytes() == b"ok"
