"""make recipes: each recipe trained and measured end to end on tiny data; the report's curves,
the step at which each run reaches the tutorial's final FID, unfinished runs marked as such."""

import json
import shutil

import pytest
from conftest import write_mnist_dir

from dcgan_tf.tools.recipes_bench import load_benches, main
from dcgan_tf.tools.recipes_report import first_step_reaching, write_report


def point(step: int, fid: float) -> dict:
    return {
        "step": step,
        "epoch": step // 40,
        "train_seconds": step * 0.6,
        "fid": fid,
        "classifier_score": 1000 / fid,
        "digits_under_5": [],
        "max_share": 0.12,
        "min_share": 0.08,
        "recall": 0.5,
        "coverage": 0.5,
    }


def run(label: str, fids: list[float], steps: int = 160) -> dict:
    points = [point(40 * (i + 1), fid) for i, fid in enumerate(fids)]
    return {
        "label": label,
        "recipe": label,
        "seed": 0,
        "steps": steps,
        "eval_every_epochs": 1,
        "values": {},
        "points": points,
    }


BENCH = {
    "steps": 160,
    "seeds": [0],
    "data": "mnist test",
    "eval_every_epochs": 1,
    "eval_samples": 2000,
    "runs": [run("tutorial", [700, 600, 500, 400]), run("dcgan-paper", [650, 380, 300])],
}


def test_the_first_step_reaching_a_target_fid():
    assert first_step_reaching([BENCH["runs"][1]], 400.0) == 80
    assert first_step_reaching([BENCH["runs"][0]], 100.0) is None


def test_the_report_names_the_step_each_recipe_reaches_the_tutorials_final_fid(tmp_path):
    write_report(BENCH, tmp_path / "R.md", tmp_path / "r.png", ["a reduced run"])
    text = (tmp_path / "R.md").read_text()
    assert "tutorial recipe's FID after 160 steps (400.0)" in text
    row = next(line for line in text.splitlines() if line.startswith("| dcgan-paper"))
    assert row.endswith("| 80 |")
    assert "unfinished: stopped at step 120" in row
    assert "- a reduced run" in text
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_folders_of_different_lengths_report_together_each_run_against_its_own_length(tmp_path):
    """The tutorial trained its full length in one folder, a recipe a third of it in another."""
    folders = {
        "long": (160, [run("tutorial", [700, 600, 500, 400])]),
        "short": (80, [run("fast-digits", [500, 390], steps=80) | {"seed": 1}]),
    }
    for name, (steps, runs) in folders.items():
        (tmp_path / name).mkdir()
        bench = {**BENCH, "steps": steps, "runs": runs}
        (tmp_path / name / "curves.json").write_text(json.dumps(bench))
    bench = load_benches([tmp_path / "long", tmp_path / "short"])
    assert bench["seeds"] == [0, 1]  # every folder's
    write_report(bench, tmp_path / "R.md", tmp_path / "r.png")
    row = next(line for line in (tmp_path / "R.md").read_text().splitlines()
               if line.startswith("| fast-digits"))  # fmt: skip
    assert "unfinished" not in row and row.endswith("| 80 |")
    assert "80 s for 80 steps" not in row and "48 s for 80 steps" in row


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory, classifier_bundle):
    """`make recipes` on 50 tiny test images (one partial batch an epoch): the tutorial recipe,
    then the same with EMA, 3 steps each, measured at epoch 2 and at the end. The digit
    classifier is already kept in --classifier-dir (conftest's bundle), as after a first bench."""
    tmp = tmp_path_factory.mktemp("bench")
    for part in classifier_bundle.parent.glob(f"{classifier_bundle.stem}.*"):
        shutil.copy(part, tmp / part.name)  # .keras, .json, .reference.npz
    argv = ["--data-dir", str(write_mnist_dir(tmp / "mnist")), "--recipes", "tutorial",
            "--steps", "3", "--seeds", "0", "--eval-every", "2", "--eval-samples", "10",
            "--ema-decay", "0.5", "--workdir", str(tmp / "work"), "--classifier-dir", str(tmp),
            "--report", str(tmp / "R.md"), "--plot", str(tmp / "r.png")]  # fmt: skip
    assert main(argv) == 0
    return tmp, argv


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_make_recipes_trains_measures_and_reports_each_run_end_to_end(tiny_bench):
    tmp, _ = tiny_bench
    runs = json.loads((tmp / "work" / "curves.json").read_text())["runs"]
    assert [(run["label"], [p["step"] for p in run["points"]]) for run in runs] == [
        ("tutorial", [2, 3]),
        ("tutorial +ema-decay 0.5", [2, 3]),
        ("tutorial +ema-decay 0.5 (raw generator)", [2, 3]),
    ]
    for folder in ("tutorial-s0", "tutorial_ema-decay0.5-s0"):
        assert (tmp / "work" / folder / "ck" / "best" / "best.json").exists()
        assert (tmp / "work" / folder / "out" / "dcgan.gif").exists()
    assert "| tutorial +ema-decay 0.5 (raw generator) |" in (tmp / "R.md").read_text()


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_an_ema_run_also_measures_its_raw_generator_at_the_same_times(tiny_bench):
    tmp, _ = tiny_bench
    _, ema, raw = json.loads((tmp / "work" / "curves.json").read_text())["runs"]
    assert [p["train_seconds"] for p in ema["points"]] == [
        p["train_seconds"] for p in raw["points"]
    ]
    assert [p["fid"] for p in ema["points"]] != [p["fid"] for p in raw["points"]]


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_measure_ends_measures_the_final_checkpoint_of_a_run_that_ended_unmeasured(tiny_bench):
    tmp, argv = tiny_bench
    curves = tmp / "work" / "curves.json"
    bench = json.loads(curves.read_text())
    measured_end = bench["runs"][0]["points"].pop()  # as if the run had ended unmeasured
    curves.write_text(json.dumps(bench))
    assert main([*argv, "--report-only", "--measure-ends"]) == 0
    end = json.loads(curves.read_text())["runs"][0]["points"][-1]
    assert (end["step"], end["fid"]) == (3, measured_end["fid"])  # the same measurement
    assert end["train_seconds"] is None
    assert "| tutorial | 0 | 3 | measured after training |" in (tmp / "R.md").read_text()
