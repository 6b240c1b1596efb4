"""The best-FID checkpoint kept apart (best/, best.json) and picked by --best; the collapse
warning on a generator that draws one digit or whose FID doubles."""

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import synthetic_digits

from dcgan_tf.config import TrainConfig, save_config
from dcgan_tf.evaluation.classifier import load_classifier
from dcgan_tf.evaluation.collapse import CollapseWarning
from dcgan_tf.evaluation.measure import QualityHook
from dcgan_tf.export import main as export_main
from dcgan_tf.generator.sampling import load_run
from dcgan_tf.interpolate import main as interpolate_main
from dcgan_tf.run.best import BestCheckpoint, best_checkpoint
from dcgan_tf.run.state import build_state
from dcgan_tf.sample import main as sample_main
from dcgan_tf.sweep import main as sweep_main
from dcgan_tf.tutorial.dataset import to_model_range


def mark(state, step: int) -> None:
    """Make the state recognisable: the generator's first kernel filled with `step`."""
    kernel = state.generator.weights[0]
    kernel.assign(np.full(kernel.shape, float(step), np.float32))
    state.step.assign(step)


@pytest.fixture
def run_with_best(tmp_path):
    """A run measured three times, FIDs 50, 30 and 40 at steps 1, 2 and 3."""
    config = TrainConfig(checkpoint_dir=str(tmp_path / "ck"), out=str(tmp_path / "out"))
    save_config(config, config.checkpoint_dir)
    state = build_state(100, 1e-4, 0)
    best = BestCheckpoint(config, log=lambda _: None)
    for step, fid in ((1, 50.0), (2, 30.0), (3, 40.0)):
        mark(state, step)
        best.on_quality(step, state, {"fid": fid})
    return config


def test_the_best_fid_checkpoint_is_kept_with_its_step_and_fid(run_with_best):
    folder = f"{run_with_best.checkpoint_dir}/best"
    record = json.loads(Path(folder, "best.json").read_text())
    assert record == {"checkpoint": "ckpt-2", "step": 2, "epoch": 2, "fid": 30.0}
    assert best_checkpoint(run_with_best.checkpoint_dir) == f"{folder}/ckpt-2"


def test_best_loads_the_best_fid_checkpoint_not_a_later_one(run_with_best):
    state, _, path = load_run(run_with_best.checkpoint_dir, best=True)
    assert path.endswith("best/ckpt-2")
    assert int(state.step) == 2
    assert float(state.generator.weights[0].numpy().flat[0]) == 2.0


def test_only_one_best_is_kept_on_disk(run_with_best):
    folder = Path(run_with_best.checkpoint_dir) / "best"
    assert {path.name.split(".")[0] for path in folder.glob("ckpt-*")} == {"ckpt-2"}


def test_a_resumed_run_keeps_the_best_it_had_until_beaten(run_with_best):
    state = build_state(100, 1e-4, 0)
    best = BestCheckpoint(run_with_best, log=lambda _: None)
    mark(state, 4)
    best.on_quality(4, state, {"fid": 35.0})  # worse than the 30 in best.json
    assert best_checkpoint(run_with_best.checkpoint_dir).endswith("ckpt-2")
    mark(state, 5)
    best.on_quality(5, state, {"fid": 20.0})
    assert best_checkpoint(run_with_best.checkpoint_dir).endswith("ckpt-5")


def test_a_damaged_best_record_never_deletes_the_checkpoint_it_described(run_with_best):
    folder = Path(run_with_best.checkpoint_dir) / "best"
    described = {p.name: p.read_bytes() for p in folder.glob("ckpt-2.*")}
    assert described  # the best so far: step 2, FID 30
    (folder / "best.json").write_bytes(np.random.default_rng(0).bytes(200))
    lines = []
    state = build_state(100, 1e-4, 0)
    mark(state, 4)
    BestCheckpoint(run_with_best, log=lines.append).on_quality(4, state, {"fid": 35.0})
    # The record and the checkpoint it named moved aside together, byte for byte, and say so.
    (aside,) = folder.glob("damaged-*")
    assert {p.name: p.read_bytes() for p in aside.glob("ckpt-2.*")} == described
    assert (aside / "best.json").exists()
    assert f"moved it to {aside / 'best.json'} (with ckpt-2." in lines[0]
    # Still a checkpoint that `--checkpoint` reads (its config.json went with it).
    kept, _, _ = load_run(aside, checkpoint=str(aside / "ckpt-2"))
    assert float(kept.generator.weights[0].numpy().flat[0]) == 2.0
    # The measurement after it became the best, as with any damaged record.
    assert best_checkpoint(run_with_best.checkpoint_dir) == f"{folder}/ckpt-4"


@pytest.mark.parametrize(
    ("main", "flags"),
    [
        (sample_main, ["--num", "2", "--output", "{tmp}/s.png"]),
        (interpolate_main, ["--rows", "1", "--steps", "2", "--out", "{tmp}"]),
        (sweep_main, ["--rows", "1", "--steps", "2", "--out", "{tmp}"]),
        (export_main, ["--out", "{tmp}/export"]),
    ],
    ids=["sample", "interpolate", "sweep", "export"],
)
def test_every_command_with_best_uses_the_best_checkpoint(
    run_with_best, capsys, tmp_path, main, flags
):
    flags = [flag.format(tmp=tmp_path) for flag in flags]
    assert main(["--checkpoint-dir", run_with_best.checkpoint_dir, "--best", *flags]) == 0
    assert "best/ckpt-2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "no best checkpoint in"),
        (["--checkpoint", "x/ckpt-1"], "--best and --checkpoint each name a checkpoint"),
    ],
)
def test_best_without_a_best_or_with_checkpoint_is_a_one_line_error(
    tmp_path, capsys, extra, message
):
    assert sample_main(["--checkpoint-dir", str(tmp_path), "--best", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


@pytest.fixture(scope="module")
def classifier(classifier_bundle):
    """Trained on 600 of 1000 synthetic test digits (seed 7), 4 epochs: see conftest."""
    return load_classifier(classifier_bundle)


def one_digit_generator(digit_image: np.ndarray) -> keras.Model:
    """A generator that ignores its noise and always draws the same digit: a zero kernel and
    the digit's pixels as the bias."""
    pixels = to_model_range(digit_image[None])[0].reshape(-1)  # (784,) in [-1, 1]
    dense = keras.layers.Dense(784, kernel_initializer="zeros")
    model = keras.Sequential([keras.Input((100,)), dense, keras.layers.Reshape((28, 28, 1))])
    dense.bias.assign(pixels)
    return model


def test_the_collapse_warning_fires_on_a_generator_that_draws_one_digit(classifier, tmp_path):
    images, labels = synthetic_digits(20, seed=11)
    state = build_state(100, 1e-4, 0)
    state.generator = one_digit_generator(images[0])
    warnings, measured = [], []
    hook = QualityHook(
        classifier, tmp_path, every=1, num=50, seed=0, log=measured.append,
        listeners=[CollapseWarning(log=warnings.append)],
    )  # fmt: skip
    hook.on_epoch_end(1, state)
    assert len(warnings) == 1
    assert f"digit {labels[0]} is 100% of the samples" in warnings[0]
    assert hook.latest[2]["class_histogram"][labels[0]] == 1.0


def test_no_collapse_warning_for_evenly_drawn_digits():
    warnings = []
    CollapseWarning(log=warnings.append).on_quality(1, build_state(100, 1e-4, 0), {
        "fid": 10.0, "class_histogram": [0.1] * 10})  # fmt: skip
    assert warnings == []


def test_the_collapse_warning_fires_when_fid_doubles_its_best():
    state, warnings = build_state(100, 1e-4, 0), []
    watch = CollapseWarning(log=warnings.append)
    for step, fid in ((1, 100.0), (2, 60.0), (3, 110.0), (4, 120.0), (5, 130.0)):
        state.step.assign(step)
        watch.on_quality(step, state, {"fid": fid, "class_histogram": [0.1] * 10})
    assert len(warnings) == 1  # step 4 starts the rise; step 5 continues it without a new line
    assert warnings[0].startswith("Warning: step 4 (epoch 4): FID 120.0 is at least twice")


def test_the_one_digit_warning_is_one_line_per_episode_not_per_measurement():
    state, warnings = build_state(100, 1e-4, 0), []
    watch = CollapseWarning(log=warnings.append)
    one_digit, even = [0.9] + [0.1 / 9] * 9, [0.1] * 10
    for step, histogram in enumerate([one_digit, one_digit, one_digit, even, one_digit], 1):
        state.step.assign(step)
        watch.on_quality(step, state, {"fid": 100.0, "class_histogram": histogram})
    assert [line.split(":")[0] for line in warnings] == ["Warning", "Warning"]
    assert "step 1 " in warnings[0] and "step 5 " in warnings[1]


def test_fresh_moves_the_previous_best_aside(run_with_best):
    fresh = dataclasses.replace(run_with_best, fresh=True)
    BestCheckpoint(fresh, log=lambda _: None)
    moved = list(Path(run_with_best.checkpoint_dir).glob("best-old-*/best.json"))
    assert len(moved) == 1 and json.loads(moved[0].read_text())["step"] == 2
    assert not (Path(run_with_best.checkpoint_dir) / "best").exists()


def test_a_run_with_eval_every_keeps_its_best_checkpoint_and_watches_for_collapse(
    tmp_path, classifier_bundle
):
    """`generate`'s hooks feed every measurement to both watchers (its classifier kept in ck/)."""
    from dcgan_tf.reporting.standard_hooks import standard_hooks

    ck = tmp_path / "ck"
    ck.mkdir()
    for part in classifier_bundle.parent.glob(f"{classifier_bundle.stem}.*"):
        (ck / part.name).write_bytes(part.read_bytes())
    config = TrainConfig(eval_every=1, checkpoint_dir=str(ck), out=str(tmp_path / "out"))
    (quality,) = [h for h in standard_hooks(config, "cpu", "data") if isinstance(h, QualityHook)]
    assert sorted(type(watcher).__name__ for watcher in quality.listeners) == [
        "BestCheckpoint",
        "CollapseWarning",
    ]
