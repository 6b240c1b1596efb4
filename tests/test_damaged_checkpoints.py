"""A damaged newest checkpoint: resuming and every reader fall back to the newest one that
restores, name the one skipped, and never delete it; an explicit damaged one is one line, exit 2."""

import json
import shutil
from pathlib import Path

import pytest
import tensorflow as tf
from conftest import first_then_slow
from test_resume import IMAGES, config_in, quiet

from dcgan_tf.common.errors import UserError
from dcgan_tf.evaluate import main as evaluate_main
from dcgan_tf.interpolate import main as interpolate_main
from dcgan_tf.run.recovery import damage
from dcgan_tf.sample import main as sample_main
from dcgan_tf.training.loop import train


def truncate_data(ck: Path, number: int) -> None:
    data = ck / f"ckpt-{number}.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])  # a copy that broke off


def remove_data(ck: Path, number: int) -> None:
    (ck / f"ckpt-{number}.data-00000-of-00001").unlink()


def garble_index(ck: Path, number: int) -> None:
    (ck / f"ckpt-{number}.index").write_bytes(b"\x00garbage, not a table\xff" * 40)


DAMAGES = {
    "truncated data": (truncate_data, "its data is truncated or corrupt"),
    "missing shard": (remove_data, "its data file ckpt-3.data-00000-of-00001 is missing"),
    "garbage index": (garble_index, "its index ckpt-3.index is unreadable"),
}


@pytest.fixture(scope="module")
def three_epochs(tmp_path_factory) -> Path:
    """A finished 3-epoch run (3 steps an epoch): ckpt-1, ckpt-2, ckpt-3."""
    root = tmp_path_factory.mktemp("three")
    train(config_in(root, epochs=3), IMAGES, log=quiet)
    return root


@pytest.fixture
def run(three_epochs, tmp_path) -> Path:
    shutil.copytree(three_epochs, tmp_path, dirs_exist_ok=True)
    return tmp_path


def files_of(ck: Path, number: int) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(ck.rglob(f"ckpt-{number}.*"))}


@pytest.mark.parametrize("kind", DAMAGES)
def test_damage_names_what_is_wrong_with_a_checkpoint(run, kind):
    spoil, reason = DAMAGES[kind]
    ck = run / "ck"
    assert damage(ck / "ckpt-3") is None
    spoil(ck, 3)
    assert damage(ck / "ckpt-3").startswith(reason)


@pytest.fixture(scope="module")
def resumed_past(three_epochs, tmp_path_factory):
    """`resumed_past(kind)`: a copy of the 3-epoch run with ckpt-3 damaged so, resumed to epoch
    3 once per kind: (run folder, ckpt-3's damaged files, the lines logged, the final step).
    Shared by the tests that only read what the resume did."""
    resumed = {}

    def get(kind: str):
        if kind not in resumed:
            run = tmp_path_factory.mktemp("resumed")
            shutil.copytree(three_epochs, run, dirs_exist_ok=True)
            DAMAGES[kind][0](run / "ck", 3)
            damaged, lines = files_of(run / "ck", 3), []
            state = train(config_in(run, epochs=3), IMAGES, log=lines.append)
            resumed[kind] = run, damaged, lines, int(state.step)
        return resumed[kind]

    return get


@pytest.mark.parametrize("kind", first_then_slow(DAMAGES))
def test_resuming_falls_back_to_the_newest_checkpoint_that_restores(resumed_past, kind):
    _, reason = DAMAGES[kind]
    run, damaged, lines, step = resumed_past(kind)
    ck = run / "ck"
    assert step == 9  # epoch 3 was trained again from ckpt-2
    skipped = [line for line in lines if "skipping the damaged checkpoint" in line]
    assert len(skipped) == 1 and "ckpt-3" in skipped[0] and reason in skipped[0]
    assert any(line.startswith(f"Resuming from {ck / 'ckpt-2'}") for line in lines)
    # Never deleted: moved aside whole, byte for byte; the new checkpoint has a name of its own.
    (aside,) = ck.glob("damaged-*")
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == damaged
    assert tf.train.latest_checkpoint(str(ck)) == str(ck / "ckpt-4")


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_resumed_run_never_reuses_an_older_checkpoints_name(run):
    train(config_in(run, epochs=4), IMAGES, log=quiet)
    ck = run / "ck"
    assert sorted(p.name for p in ck.glob("ckpt-*.index")) == [
        "ckpt-2.index", "ckpt-3.index", "ckpt-4.index"
    ]  # fmt: skip
    assert tf.train.latest_checkpoint(str(ck)) == str(ck / "ckpt-4")


UNREADABLE_STATES = {
    "garbled text": b"\x00\x01 not a checkpoint state {{{",
    "bytes that are not text": b"\xff\xfe\x00\x80 not UTF-8 \xc3\x28",
}


@pytest.mark.parametrize("kind", first_then_slow(UNREADABLE_STATES))
def test_an_unreadable_state_file_does_not_make_a_run_start_over(run, kind):
    (run / "ck" / "checkpoint").write_bytes(UNREADABLE_STATES[kind])
    lines = []
    state = train(config_in(run, epochs=4), IMAGES, log=lines.append)
    assert int(state.step) == 12
    assert any(line.startswith(f"Resuming from {run / 'ck' / 'ckpt-3'}") for line in lines)
    (aside,) = (run / "ck").glob("damaged-*/checkpoint")  # kept, byte for byte
    assert aside.read_bytes() == UNREADABLE_STATES[kind]
    (line,) = [line for line in lines if "checkpoint is damaged" in line]
    assert str(aside) in line and "rebuilt it from the ckpt-N files" in line
    assert tf.train.latest_checkpoint(str(run / "ck")) == str(run / "ck" / "ckpt-4")


def test_readers_use_the_ckpt_files_when_the_state_file_is_not_text(run, capsys):
    (run / "ck" / "checkpoint").write_bytes(UNREADABLE_STATES["bytes that are not text"])
    out = run / "samples.npy"
    assert sample_main(["--checkpoint-dir", str(run / "ck"), "--format", "npy",
                        "--output", str(out)]) == 0  # fmt: skip
    assert f"of {run / 'ck' / 'ckpt-3'} (dcgan)" in capsys.readouterr().out
    assert (run / "ck" / "checkpoint").read_bytes() == UNREADABLE_STATES["bytes that are not text"]


def test_when_every_checkpoint_is_damaged_resuming_stops_with_one_line(run):
    for number in (1, 2, 3):
        truncate_data(run / "ck", number)
    with pytest.raises(UserError, match="none of the 3 checkpoint"):
        train(config_in(run, epochs=4), IMAGES, log=quiet)
    assert len(list((run / "ck").glob("ckpt-*.index"))) == 3  # nothing moved, nothing deleted


@pytest.mark.parametrize("kind", DAMAGES)
def test_sample_skips_a_damaged_newest_checkpoint_and_leaves_it_alone(run, kind, capsys):
    spoil, reason = DAMAGES[kind]
    ck = run / "ck"
    spoil(ck, 3)
    before = files_of(ck, 3)
    output = run / "s.png"
    assert sample_main(["--checkpoint-dir", str(ck), "--num", "4", "--output", str(output)]) == 0
    captured = capsys.readouterr()
    (warning,) = captured.err.strip().splitlines()
    assert "skipping the damaged checkpoint" in warning and reason in warning
    assert f"of {ck / 'ckpt-2'}" in captured.out
    assert output.exists()
    assert files_of(ck, 3) == before


def test_interpolate_skips_a_damaged_newest_checkpoint_and_leaves_it_alone(run, capsys):
    ck = run / "ck"
    truncate_data(ck, 3)
    before = files_of(ck, 3)
    argv = ["--checkpoint-dir", str(ck), "--rows", "1", "--steps", "2", "--out", str(run)]
    assert interpolate_main(argv) == 0
    captured = capsys.readouterr()
    (warning,) = captured.err.strip().splitlines()
    assert "skipping the damaged checkpoint" in warning and "ckpt-3" in warning
    assert str(ck / "ckpt-2") in captured.out
    assert files_of(ck, 3) == before


def test_evaluate_skips_a_damaged_newest_checkpoint_and_leaves_it_alone(
    run, classifier_bundle, capsys
):
    ck = run / "ck"
    truncate_data(ck, 3)
    before = files_of(ck, 3)
    argv = ["--checkpoint-dir", str(ck), "--num", "10", "--classifier", str(classifier_bundle),
            "--out", str(run / "eval")]  # fmt: skip
    assert evaluate_main(argv) == 0
    (warning,) = capsys.readouterr().err.strip().splitlines()
    assert "skipping the damaged checkpoint" in warning and "ckpt-3" in warning
    report = json.loads((run / "eval" / "metrics.json").read_text())
    assert report["source"].startswith(f"{ck / 'ckpt-2'} (")
    assert files_of(ck, 3) == before


@pytest.mark.parametrize("kind", DAMAGES)
def test_an_explicit_damaged_checkpoint_is_one_line_and_exit_two(run, kind, capsys):
    spoil, reason = DAMAGES[kind]
    spoil(run / "ck", 3)
    path = str(run / "ck" / "ckpt-3")
    assert sample_main(["--checkpoint", path, "--output", str(run / "s.png")]) == 2
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"error: --checkpoint {path}: cannot restore it: ")
    assert reason in err and "Traceback" not in err
    assert not (run / "s.png").exists()


def test_resuming_a_damaged_run_keeps_the_loss_history_consistent(resumed_past):
    run, *_ = resumed_past("truncated data")  # ckpt-3 truncated, epoch 3 trained again
    rows = (run / "out" / "losses.csv").read_text().splitlines()[1:]
    assert [int(row.split(",")[0]) for row in rows] == list(range(1, 10))


def test_a_reader_never_sees_a_checkpoint_still_being_written(run, capsys):
    """What a save in progress looks like on disk: a temporary folder and a data file without
    its index, not yet named by the `checkpoint` state file. Readers go by that file."""
    ck = run / "ck"
    (ck / "ckpt-4_temp").mkdir()
    (ck / "ckpt-4_temp" / "part-00000-of-00001.data-00000-of-00001").write_bytes(b"\0" * 100)
    (ck / "ckpt-4.data-00000-of-00001").write_bytes(b"\0" * 100)
    assert (
        sample_main(["--checkpoint-dir", str(ck), "--num", "4", "--output", str(run / "s.png")])
        == 0
    )
    captured = capsys.readouterr()
    assert f"of {ck / 'ckpt-3'}" in captured.out
    assert captured.err == ""  # nothing skipped: the unfinished one was never a candidate
    assert (ck / "ckpt-4_temp").exists()  # and a reader leaves the writer's files alone
