"""The commands that read a run write their default outputs beside the run they were given,
never into a folder its (copied) config.json names, and say where they wrote."""

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import first_then_slow, synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluate import main as evaluate_main
from dcgan_tf.interpolate import main as interpolate_main
from dcgan_tf.run.folders import outputs_folder
from dcgan_tf.sample import main as sample_main
from dcgan_tf.sweep import main as sweep_main
from dcgan_tf.training.loop import train


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """RUN/ck and RUN/out of one step, their absolute paths in RUN/ck/config.json."""
    run = tmp_path_factory.mktemp("trained") / "RUN"
    config = TrainConfig(steps=1, batch_size=16, out=str(run / "out"),
                         checkpoint_dir=str(run / "ck"), tensorboard=False)  # fmt: skip
    train(config, synthetic_digits(16)[0], log=lambda _: None)
    return run


def files_of(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below `folder`: its modification time and bytes."""
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# Each reader with the flags of a small request, and the file it writes by default.
READERS = {
    "sample": (sample_main, ["--num", "4"], "samples.png"),
    "interpolate": (interpolate_main, ["--rows", "1", "--steps", "3"], "interpolation_slerp.png"),
    "sweep": (sweep_main, ["--rows", "1", "--steps", "3"], "sweep_dim0.png"),
    "evaluate": (evaluate_main, ["--num", "10"], "metrics.json"),
}


def read(name: str, copy: Path, classifier: Path) -> int:
    main, flags, _ = READERS[name]
    extra = ["--classifier", str(classifier)] if name == "evaluate" else []
    return main(["--checkpoint-dir", str(copy / "ck"), *flags, *extra])


@pytest.mark.parametrize("name", first_then_slow(READERS))
def test_a_reader_of_a_copied_run_writes_into_the_copy_and_leaves_the_original_alone(
    trained, tmp_path, monkeypatch, capsys, classifier_bundle, name
):
    monkeypatch.chdir(tmp_path)  # nothing is written where the command is started either
    copy = tmp_path / "COPY"
    shutil.copytree(trained, copy, symlinks=True)  # cp -a RUN COPY
    before = files_of(trained)
    assert read(name, copy, classifier_bundle) == 0
    assert files_of(trained) == before
    written = copy / "out" / READERS[name][2]
    assert written.is_file()
    assert str(written) in capsys.readouterr().out  # and it says where
    assert [p.name for p in tmp_path.iterdir()] == ["COPY"]


@contextlib.contextmanager
def read_only(folder: Path):
    """`folder` made read-only for the block: a read-only bind mount as root (a chmod does not
    stop root), else the permission bits."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for path, mode in modes.items():
            path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
        return
    mounted = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({mounted.stderr.decode().strip()})")
    try:
        remount = ["mount", "-o", "remount,ro,bind", str(folder)]
        if subprocess.run(remount, capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.parametrize("name", first_then_slow(list(READERS)[1:] + list(READERS)[:1]))
def test_a_reader_of_a_read_only_copy_fails_in_one_line(
    trained, tmp_path, monkeypatch, capsys, classifier_bundle, name
):
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "COPY"
    shutil.copytree(trained, copy, symlinks=True)
    before = files_of(trained)
    with read_only(copy):
        status = read(name, copy, classifier_bundle)
    err = capsys.readouterr().err
    assert status != 0
    assert err.count("\n") == 1
    assert err.startswith("error: ") and str(copy / "out") in err
    assert files_of(trained) == before


def test_where_it_trained_the_run_writes_into_its_own_output_folder(trained):
    config = TrainConfig(out=str(trained / "out"), checkpoint_dir=str(trained / "ck"))
    assert outputs_folder(trained / "ck", config) == trained / "out"


def test_a_copied_run_whose_folders_were_not_side_by_side_writes_into_its_checkpoint_folder(
    tmp_path,
):
    config = TrainConfig(out="/elsewhere/out", checkpoint_dir="/runs/a/ck")
    assert outputs_folder(tmp_path / "ck", config) == tmp_path / "ck"
    assert outputs_folder(tmp_path / "ck", None) == tmp_path / "ck"  # no config.json
