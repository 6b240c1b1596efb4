"""Going back: --keep-every keeps epochs for good, --resume-from continues from one of them exactly
as the run went the first time, and moves what came after aside instead of deleting it; a kill
at any moment of going back, then a rerun with or without --resume-from, loses nothing."""

import dataclasses
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import pytest
import tensorflow as tf
from conftest import TrainingWatch, first_then_slow
from test_resume import IMAGES, assert_same_run, config_in, loss_rows, quiet
from test_summaries import summaries

from dcgan_tf.common.errors import UserError
from dcgan_tf.reporting.summaries import TensorBoardHook
from dcgan_tf.run.going_back import checkpoint_counters, go_back
from dcgan_tf.run.recovery import write_checkpoint_state
from dcgan_tf.sample import main as sample_main
from dcgan_tf.training.loop import train


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory):
    """A finished 4-epoch run (3 steps an epoch) keeping every 2nd epoch, with its TensorBoard
    summaries, and its final state."""
    root = tmp_path_factory.mktemp("kept")
    config = dataclasses.replace(config_in(root, epochs=4), keep_every=2)
    return root, train(config, IMAGES, log=quiet, hooks=[TensorBoardHook(config, log=quiet)])


@pytest.fixture
def run(kept_run, tmp_path) -> Path:
    shutil.copytree(kept_run[0], tmp_path, dirs_exist_ok=True)
    return tmp_path


def steps_in(csv_path: Path) -> list[int]:
    return [int(line.split(",")[0]) for line in csv_path.read_text().splitlines()[1:]]


def test_keep_every_keeps_every_nth_epoch_besides_the_newest_three(kept_run):
    ck = kept_run[0] / "ck"
    assert sorted(p.name for p in (ck / "kept").glob("*.index")) == [
        "epoch-0002.index", "epoch-0004.index"
    ]  # fmt: skip
    assert sorted(p.name for p in ck.glob("ckpt-*.index")) == [
        "ckpt-2.index", "ckpt-3.index", "ckpt-4.index"
    ]  # fmt: skip
    assert (ck / "kept" / "config.json").read_text() == (ck / "config.json").read_text()


def test_resume_from_a_kept_epoch_trains_on_exactly_as_the_first_time(kept_run, run):
    _, four_epochs = kept_run
    lines = []
    first_rows = loss_rows(run / "out")
    config = dataclasses.replace(
        config_in(run, epochs=4), resume_from=str(run / "ck/kept/epoch-0002")
    )
    watch = TrainingWatch()
    resumed = train(config, IMAGES, log=lines.append, hooks=[watch])
    assert any("continuing from epoch 2, step 6" in line for line in lines)
    # It went on from epoch 2 and trained epochs 3 and 4 only, not all four again.
    assert watch.began_at == (2, 6)
    assert watch.trained == [(3, 7), (3, 8), (3, 9), (4, 10), (4, 11), (4, 12)]
    assert int(resumed.step) == 12 and int(resumed.epoch) == 4
    assert_same_run(resumed, four_epochs)  # same weights, optimizer slots, data order, noise
    # Epochs 1 and 2 kept their logged losses; 3 and 4 were logged again, as the first time.
    assert loss_rows(run / "out") == first_rows


def test_resume_from_moves_newer_checkpoints_and_later_images_aside(run):
    ck, out = run / "ck", run / "out"
    # What evaluating the 4-epoch run left (quality.csv has a row per epoch), and snapshot grids
    # from before and after step 6.
    quality = "epoch,step,fid,classifier_score\n" + "".join(
        f"{epoch},{3 * epoch},{90 - epoch}.0000,{1 + epoch}.0000\n" for epoch in range(1, 5)
    )
    (out / "quality.csv").write_text(quality)
    for name in ("quality.png", "metrics.json", "interpolation_slerp.png"):
        (out / name).write_text("of the 4-epoch run")
    for step in (4, 9):
        (out / f"image_at_step_{step:06d}.png").write_text("a snapshot")
    old_losses = (out / "losses.csv").read_text()
    config = dataclasses.replace(config_in(run, epochs=2), resume_from=str(ck / "kept/epoch-0002"))
    train(config, IMAGES, log=quiet)  # epoch 2 is done: it only goes back
    (old_ck,) = ck.glob("old-*")
    assert sorted(p.name for p in old_ck.glob("*.index")) == [
        "ckpt-2.index", "ckpt-3.index", "ckpt-4.index"
    ]  # fmt: skip
    (old_out,) = out.glob("old-*")
    assert sorted(p.name for p in old_out.glob("image_at_*")) == [
        "image_at_epoch_0003.png", "image_at_epoch_0004.png", "image_at_step_000009.png"
    ]  # fmt: skip
    assert sorted(p.name for p in out.glob("image_at_*")) == [
        "image_at_epoch_0001.png", "image_at_epoch_0002.png", "image_at_step_000004.png"
    ]  # fmt: skip
    # The GIF of all 4 epochs is kept aside; the one in out/ is drawn again from epochs 1 and 2.
    assert iio.imread(old_out / "dcgan.gif", index=None).shape[0] == 4
    assert iio.imread(out / "dcgan.gif", index=None).shape[0] == 2
    # The evaluation files describe the later generator: aside, none left in out/.
    for name in ("quality.png", "metrics.json", "interpolation_slerp.png"):
        assert (old_out / name).read_text() == "of the 4-epoch run"
        assert not (out / name).exists()
    # The histories: cut back to epoch 2 (step 6), their full copies kept.
    assert (old_out / "losses.csv").read_text() == old_losses
    assert steps_in(out / "losses.csv") == list(range(1, 7))
    assert (old_out / "quality.csv").read_text() == quality
    assert (out / "quality.csv").read_text() == "".join(quality.splitlines(keepends=True)[:3])
    # Kept epochs up to PATH stay; later ones move aside, or the new run would overwrite them.
    assert [p.name for p in (ck / "kept").glob("*.index")] == ["epoch-0002.index"]
    assert [p.name for p in (old_ck / "kept").glob("*.index")] == ["epoch-0004.index"]


def test_resume_from_keeps_the_abandoned_tensorboard_events_in_old(run):
    config = dataclasses.replace(config_in(run, 2), resume_from=str(run / "ck/kept/epoch-0002"))
    lines = []
    train(config, IMAGES, log=lines.append, hooks=[TensorBoardHook(config, log=quiet)])
    (old_out,) = (run / "out").glob("old-*")
    assert summaries(old_out)["loss/generator"] == list(range(1, 13))  # all of the later run
    assert summaries(run / "out")["loss/generator"] == list(range(1, 7))  # up to epoch 2
    assert any(line.endswith("(nothing deleted)") for line in lines)


def test_resume_from_one_of_the_newest_three_checkpoints(run):
    ck = run / "ck"
    config = dataclasses.replace(config_in(run, epochs=3), resume_from=str(ck / "ckpt-3"))
    lines = []
    state = train(config, IMAGES, log=lines.append)
    assert int(state.step) == 9
    assert any("continuing from epoch 3, step 9" in line for line in lines)
    assert tf.train.latest_checkpoint(str(ck)) == str(ck / "ckpt-5")  # the copy, a new number
    (old_ck,) = ck.glob("old-*")
    assert (old_ck / "ckpt-3.index").exists()


def test_resume_from_a_damaged_checkpoint_is_refused_and_moves_nothing(run):
    kept = run / "ck" / "kept" / "epoch-0002"
    data = Path(f"{kept}.data-00000-of-00001")
    data.write_bytes(data.read_bytes()[:1000])
    before = sorted(p.relative_to(run) for p in run.rglob("*"))
    config = dataclasses.replace(config_in(run, 4), resume_from=str(kept))
    with pytest.raises(UserError, match="cannot restore it: its data is truncated or corrupt"):
        train(config, IMAGES, log=quiet)
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == before  # in ck/ and out/


def test_resume_from_with_fresh_is_refused():
    with pytest.raises(UserError, match="--resume-from and --fresh"):
        dataclasses.replace(config_in(Path("x"), 1), fresh=True, resume_from="x/kept/epoch-0001")


def test_sample_reads_a_kept_checkpoint(run, capsys):
    kept = run / "ck" / "kept" / "epoch-0004"
    output = run / "s.png"
    assert sample_main(["--checkpoint", str(kept), "--num", "4", "--output", str(output)]) == 0
    assert f"of {kept}" in capsys.readouterr().out
    assert output.exists()


# A kill at any moment of --resume-from. The run is one of 4 epochs (3 steps each) with every
# file going back touches, its checkpoints holding only the counters (what going back reads).
class Killed(BaseException):
    """kill -9, in-process: nothing catches it and nothing after it runs."""


def tiny_checkpoint(prefix: Path, epoch: int) -> None:
    counters = {name: tf.Variable(value, dtype=tf.int64) for name, value in
                (("epoch", epoch), ("step", 3 * epoch))}  # fmt: skip
    tf.train.Checkpoint(**counters).write(str(prefix))


@pytest.fixture(scope="module")
def four_epochs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("four_epochs")
    ck, out = root / "ck", root / "out"
    for epoch in (2, 3, 4):
        tiny_checkpoint(ck / f"ckpt-{epoch}", epoch)
    write_checkpoint_state(ck, ["ckpt-2", "ckpt-3", "ckpt-4"])
    for epoch in (2, 4):
        tiny_checkpoint(ck / "kept" / f"epoch-{epoch:04d}", epoch)
    out.mkdir()
    for folder in (ck, ck / "kept", out):
        (folder / "config.json").write_text('{"epochs": 4}')
    for epoch in range(1, 5):
        (out / f"image_at_epoch_{epoch:04d}.png").write_text(f"grid of epoch {epoch}")
    for step in (4, 9):
        (out / f"image_at_step_{step:06d}.png").write_text(f"grid of step {step}")
    for name in ("dcgan.gif", "quality.png", "metrics.json", "interpolation_slerp.png"):
        (out / name).write_text("of the 4-epoch run")
    rows = "".join(f"{step},{(step + 2) // 3},1.0,2.0\n" for step in range(1, 13))
    (out / "losses.csv").write_text("step,epoch,gen_loss,disc_loss\n" + rows)
    rows = "".join(f"{epoch},{3 * epoch},{90 - epoch}.0,1.0\n" for epoch in range(1, 5))
    (out / "quality.csv").write_text("epoch,step,fid,classifier_score\n" + rows)
    (out / "tensorboard").mkdir()
    (out / "tensorboard" / "events.out.tfevents.1.host").write_bytes(b"steps 1 to 12")
    (out / "tensorboard" / "written.json").write_text('{"step": 12}')
    return root


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def kill_after_change(monkeypatch, k: int) -> list[str]:
    """Make the k-th change to the folders (a rename, or an atomic write's) the last one; returns
    the list of changes made, for counting. k = 0: never."""
    changes = []

    def killing(real):
        def change(source, target, *args):
            result = real(source, target, *args)
            changes.append(f"{source} -> {target}")
            if len(changes) == k:
                raise Killed
            return result

        return change

    monkeypatch.setattr(os, "replace", killing(os.replace))
    monkeypatch.setattr(shutil, "move", killing(shutil.move))
    return changes


def assert_gone_back_losing_nothing(root: Path, before: dict[str, bytes], epoch: int) -> None:
    ck, out, step = root / "ck", root / "out", 3 * epoch
    assert not (ck / "going-back.json").exists()
    # It resumes from the checkpoint gone back to, the only one the folder names.
    state = tf.train.get_checkpoint_state(str(ck))
    assert len(state.all_model_checkpoint_paths) == 1
    assert checkpoint_counters(state.model_checkpoint_path) == (epoch, step)
    # Every file of the later run is still there, byte for byte: in place, or in old-*/.
    (old_ck,), (old_out,) = ck.glob("old-*"), out.glob("old-*")
    after = files_of(root)
    for name, data in before.items():
        folder, _, rest = name.partition("/")
        old = (old_ck if folder == "ck" else old_out).relative_to(root) / rest
        assert data in (after.get(name), after.get(str(old))) or name == "ck/checkpoint", name
    # What came after is aside, what came before in place: the histories cut back to it (the
    # TensorBoard events are cut by its hook), the grids up to it.
    assert steps_in(out / "losses.csv") == list(range(1, step + 1))
    assert steps_in(out / "quality.csv") == list(range(1, epoch + 1))  # (its epoch column)
    assert (old_out / "tensorboard" / "events.out.tfevents.1.host").read_bytes() == b"steps 1 to 12"
    grids = {p.name for p in out.glob("image_at_*")}
    assert grids == {f"image_at_epoch_{e:04d}.png" for e in range(1, epoch + 1)} | {
        f"image_at_step_{s:06d}.png" for s in (4, 9) if s <= step
    }
    assert not any((out / name).exists() for name in ("dcgan.gif", "metrics.json"))
    assert sorted(p.name for p in (ck / "kept").glob("*.index"))[-1] <= f"epoch-{epoch:04d}.index"


@pytest.mark.parametrize(
    "case",
    first_then_slow(
        [
            ("kept/epoch-0002", 2, "plain"),
            ("ckpt-3", 3, "with the same --resume-from"),
            ("kept/epoch-0002", 2, "with the same --resume-from"),
            ("ckpt-3", 3, "plain"),
        ]
    ),
)
def test_a_kill_at_any_moment_of_going_back_then_a_rerun_loses_nothing(
    four_epochs, tmp_path, monkeypatch, case
):
    source, epoch, rerun = case
    changes = kill_after_change(monkeypatch, 0)
    root = tmp_path / "all"
    shutil.copytree(four_epochs, root)
    go_back(root / "ck", root / "out", quiet, str(root / "ck" / source))
    monkeypatch.undo()
    assert len(changes) > 20  # copies, moves, cuts and the journal's counts: each a kill point
    for k in range(1, len(changes) + 1):
        root = tmp_path / str(k)
        shutil.copytree(four_epochs, root)
        before = files_of(root)
        kill_after_change(monkeypatch, k)
        with pytest.raises(Killed):
            go_back(root / "ck", root / "out", quiet, str(root / "ck" / source))
        monkeypatch.undo()
        again = str(root / "ck" / source) if rerun != "plain" else None
        assert go_back(root / "ck", root / "out", quiet, again) == str(root / "ck" / source)
        assert_gone_back_losing_nothing(root, before, epoch)


def test_a_plain_rerun_after_a_kill_during_resume_from_loses_nothing(run, monkeypatch):
    ck, out = run / "ck", run / "out"
    quality = "epoch,step,fid,classifier_score\n" + "".join(
        f"{epoch},{3 * epoch},{90 - epoch}.0000,{1 + epoch}.0000\n" for epoch in range(1, 5)
    )
    (out / "quality.csv").write_text(quality)
    later_run = files_of(out)
    real_move = shutil.move

    def killed_once_old_appears(source, target, *args):  # kill -9 the moment CK/old-* appears
        real_move(source, target, *args)
        if Path(target).parent.name.startswith("old-") and Path(target).parent.parent == ck:
            raise Killed

    monkeypatch.setattr(shutil, "move", killed_once_old_appears)
    config = config_in(run, epochs=4)
    going_back = dataclasses.replace(config, resume_from=str(ck / "kept/epoch-0002"))
    with pytest.raises(Killed):
        train(going_back, IMAGES, log=quiet, hooks=[TensorBoardHook(going_back, log=quiet)])
    monkeypatch.undo()
    watch, lines = TrainingWatch(), []
    train(config, IMAGES, log=lines.append, hooks=[watch, TensorBoardHook(config, log=quiet)])
    # Steps 7-12, the epoch 3 and 4 measurements, grids and events of the later run: in old-*/.
    (old_out,) = out.glob("old-*")
    for name in ("losses.csv", "quality.csv", "image_at_epoch_0003.png", "dcgan.gif"):
        assert (old_out / name).read_bytes() == later_run[name], name
    assert summaries(old_out)["loss/generator"] == list(range(1, 13))
    # The kept part stayed in place, and the new epochs 3 and 4 were logged after it, once.
    assert (out / "quality.csv").read_text() == "".join(quality.splitlines(keepends=True)[:3])
    assert steps_in(out / "losses.csv") == list(range(1, 13))
    assert summaries(out)["loss/generator"] == list(range(1, 13))
    # The rerun completed going back (one line says so) and trained on from epoch 2.
    assert watch.began_at == (2, 6)
    assert any(line.startswith("Completed the --resume-from") for line in lines)


JOURNALS_DAMAGED = {
    "random bytes": random.Random(1).randbytes(100),
    "a step of the wrong shape": b'{"source": "/x", "epoch": 2, "step": 6, "checkpoint": "ckpt-5",'
    b' "old": "old-1", "steps": [{"do": "move", "from": 3, "to": "ck:x"}], "done": 0}',
}


@pytest.mark.parametrize("damage", JOURNALS_DAMAGED)
def test_a_damaged_journal_stops_a_plain_rerun_with_one_line_and_moves_nothing(
    four_epochs, tmp_path, damage
):
    shutil.copytree(four_epochs, tmp_path, dirs_exist_ok=True)
    (tmp_path / "ck" / "going-back.json").write_bytes(JOURNALS_DAMAGED[damage])
    before = files_of(tmp_path)
    refusal = r"going-back.json: not a readable record of a --resume-from \(.*\): a --resume-from "
    refusal += r"was cut short; rerun with the same --resume-from PATH"
    with pytest.raises(UserError, match=refusal):
        go_back(tmp_path / "ck", tmp_path / "out", quiet)
    assert files_of(tmp_path) == before


def test_the_same_resume_from_sets_a_damaged_journal_aside_and_goes_back_again(
    four_epochs, tmp_path
):
    shutil.copytree(four_epochs, tmp_path, dirs_exist_ok=True)
    ck, before = tmp_path / "ck", files_of(tmp_path)
    damaged = JOURNALS_DAMAGED["random bytes"]
    (ck / "going-back.json").write_bytes(damaged)
    lines = []
    go_back(ck, tmp_path / "out", lines.append, str(ck / "kept/epoch-0002"))
    (aside,) = ck.glob("damaged-*/going-back.json")
    assert aside.read_bytes() == damaged
    assert lines[0].startswith(f"warning: {ck / 'going-back.json'} is damaged (")
    assert_gone_back_losing_nothing(tmp_path, before, 2)


# In a real process: stops the moment CK/old-* appears and waits there to be killed.
STOP_ONCE_OLD_APPEARS = """
import shutil, sys, time
real_move = shutil.move
def move(source, target, *args):
    real_move(source, target, *args)
    if "/ck/old-" in str(target):
        print("moved into CK/old-*", flush=True)
        time.sleep(600)
shutil.move = move
from dcgan_tf.generate import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_kill_9_during_resume_from_then_the_plain_rerun_loses_nothing(run, mnist_dir):
    ck, out = run / "ck", run / "out"
    later_run = files_of(out)
    flags = ["--data-dir", str(mnist_dir), "--batch-size", "16", "--seed", "11",
             "--epochs", "4", "--out", str(out), "--checkpoint-dir", str(ck)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    going_back = [sys.executable, "-c", STOP_ONCE_OLD_APPEARS, *flags]
    going_back += ["--resume-from", str(ck / "kept/epoch-0002")]
    process = subprocess.Popen(going_back, env=env, stdout=subprocess.PIPE, text=True)
    assert "moved into CK/old-*\n" in iter(process.stdout.readline, "")  # stops at EOF too
    process.kill()  # SIGKILL
    process.wait()
    assert (ck / "going-back.json").exists()  # cut short
    command = [sys.executable, "-m", "dcgan_tf.generate", *flags]
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr
    assert "Completed the --resume-from" in rerun.stdout
    assert "2 epoch(s) done, step 6" in rerun.stdout  # resumed from the epoch gone back to
    (old_out,) = out.glob("old-*")
    for name in ("losses.csv", "image_at_epoch_0003.png", "image_at_epoch_0004.png", "dcgan.gif"):
        assert (old_out / name).read_bytes() == later_run[name], name
    assert summaries(old_out)["loss/generator"] == list(range(1, 13))
    # The kept steps 1-6 in place, then epochs 3 and 4 of the rerun (13 steps each on its data).
    assert loss_rows(out)[:6] == later_run["losses.csv"].decode().splitlines()[1:7]
    assert steps_in(out / "losses.csv") == list(range(1, 33))
