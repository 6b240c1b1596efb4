"""Side files a run only appends to or rebuilds (the journal, the loss and quality histories,
TensorBoard's record, best.json, what the report is built from) never block it: a damaged one is
moved into damaged-<time>/ beside it, byte for byte, with one line naming where, and the run goes
on. Readers outside a run (report, --best) refuse it in one line and move nothing."""

import csv
import json
import shutil
from pathlib import Path

import pytest
from conftest import write_mnist_dir

from dcgan_tf import generate, report, sample
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.measure import QualityLog
from dcgan_tf.generator.sampling import load_run
from dcgan_tf.run.best import BestCheckpoint

# Each damage as a person or a crash could leave it. losses.csv: text without a header or rows,
# which used to be read as an empty history and overwritten without a word.
DAMAGES = {
    "journal.json": b'{"segments": [{"started": 5',
    "losses.csv": b"oops, not a csv",
    "tensorboard/written.json": b"\xff\xfe not text",
    "quality.csv": b"epoch,step\n1,x\n",
    "metrics.json": b'{"samples": 3}',
}


def train_flags(root: Path, *flags: str) -> list[str]:
    folders = ["--out", str(root / "run" / "out"), "--checkpoint-dir", str(root / "run" / "ck")]
    return ["--data-dir", str(root / "mnist"), "--batch-size", "64", *folders, *flags]


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory) -> Path:
    """A run of 1 epoch (4 steps) trained by `generate`, TensorBoard on; tests only read it."""
    root = tmp_path_factory.mktemp("side")
    write_mnist_dir(root / "mnist")
    assert generate.main(train_flags(root, "--epochs", "1")) == 0
    return root


@pytest.fixture
def run(one_epoch, tmp_path) -> Path:
    shutil.copytree(one_epoch, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_damaged_side_files_are_moved_aside_and_the_run_goes_on(run, capsys):
    out = run / "run" / "out"
    for name, data in DAMAGES.items():
        (out / name).write_bytes(data)
    assert generate.main(train_flags(run, "--epochs", "2")) == 0
    printed = capsys.readouterr().out.splitlines()
    for name, data in DAMAGES.items():
        (aside,) = (out / name).parent.glob(f"damaged-*/{Path(name).name}")
        assert aside.read_bytes() == data, name  # never deleted
        (line,) = [line for line in printed if line.startswith(f"warning: {out / name} is dama")]
        assert f"moved it to {aside} and " in line
    # The run went on: epoch 2 trained and logged, its part journaled, its report written.
    with (out / "losses.csv").open() as f:
        assert [int(row["step"]) for row in csv.DictReader(f)] == [5, 6, 7, 8]
    journal = json.loads((out / "journal.json").read_text())
    assert [row["epoch"] for row in journal["epochs"]] == [2] and len(journal["segments"]) == 1
    assert "epoch(s)" in (out / "report.html").read_text()


def test_the_report_command_refuses_a_damaged_journal_and_moves_nothing(run, capsys):
    out = run / "run" / "out"
    (out / "journal.json").write_bytes(DAMAGES["journal.json"])
    assert report.main([str(out)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {out / 'journal.json'}: not a readable run journal (")
    assert (out / "journal.json").read_bytes() == DAMAGES["journal.json"]


def test_a_damaged_quality_history_is_moved_aside_at_the_next_measurement(tmp_path, capsys):
    (tmp_path / "quality.csv").write_bytes(DAMAGES["quality.csv"])
    QualityLog(tmp_path).record(3, 30, {"fid": 12.5, "classifier_score": 7.25})
    assert (
        tmp_path / "quality.csv"
    ).read_text() == "epoch,step,fid,classifier_score\n3,30,12.5000,7.2500\n"
    (aside,) = tmp_path.glob("damaged-*/quality.csv")
    assert aside.read_bytes() == DAMAGES["quality.csv"]
    assert f"moved it to {aside} and started a new one" in capsys.readouterr().out


def damage_best(ck: Path) -> bytes:
    (ck / "best").mkdir()
    (ck / "best" / "best.json").write_bytes(b'{"checkpoint": 3, "fid": "low"}')
    return (ck / "best" / "best.json").read_bytes()


def test_a_damaged_best_record_is_moved_aside_and_the_next_measurement_is_the_best(run):
    ck = run / "run" / "ck"
    damaged = damage_best(ck)
    state, _, _ = load_run(ck)
    lines = []
    config = TrainConfig(out=str(run / "run" / "out"), checkpoint_dir=str(ck))
    BestCheckpoint(config, log=lines.append).on_quality(1, state, {"fid": 40.0})
    (aside,) = (ck / "best").glob("damaged-*/best.json")
    assert aside.read_bytes() == damaged
    assert lines[0].startswith(f"warning: {ck / 'best' / 'best.json'} is damaged (")
    record = json.loads((ck / "best" / "best.json").read_text())
    assert (record["checkpoint"], record["fid"]) == ("ckpt-4", 40.0)


def test_sample_best_refuses_a_damaged_best_record_with_one_line(run, capsys):
    ck = run / "run" / "ck"
    damaged = damage_best(ck)
    assert sample.main(["--checkpoint-dir", str(ck), "--best", "--output", str(run / "s.png")]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {ck / 'best' / 'best.json'}: not a readable best-checkpoint")
    assert (ck / "best" / "best.json").read_bytes() == damaged
