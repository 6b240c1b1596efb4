"""Going back: --keep-every keeps epochs for good, --resume-from continues from one of them exactly
as the run went the first time, and moves what came after aside instead of deleting it."""

import dataclasses
import shutil
from pathlib import Path

import imageio.v3 as iio
import pytest
import tensorflow as tf
from conftest import TrainingWatch
from test_resume import IMAGES, assert_same_run, config_in, loss_rows, quiet

from dcgan_tf.common.errors import UserError
from dcgan_tf.sample import main as sample_main
from dcgan_tf.training.loop import train


@pytest.fixture(scope="module")
def kept_run(tmp_path_factory):
    """A finished 4-epoch run (3 steps an epoch) keeping every 2nd epoch, and its final state."""
    root = tmp_path_factory.mktemp("kept")
    config = dataclasses.replace(config_in(root, epochs=4), keep_every=2)
    return root, train(config, IMAGES, log=quiet)


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
