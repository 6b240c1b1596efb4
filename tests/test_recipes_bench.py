"""make recipes' report: each run's curve, the step at which it reaches the tutorial's final FID,
unfinished runs marked as such (the training itself is the code the other tests cover)."""

import json

from dcgan_tf.recipes_bench import first_step_reaching, load_benches, write_report


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
        "short": (80, [run("fast-digits", [500, 390], steps=80)]),
    }
    for name, (steps, runs) in folders.items():
        (tmp_path / name).mkdir()
        bench = {**BENCH, "steps": steps, "runs": runs}
        (tmp_path / name / "curves.json").write_text(json.dumps(bench))
    bench = load_benches([tmp_path / "long", tmp_path / "short"])
    write_report(bench, tmp_path / "R.md", tmp_path / "r.png")
    row = next(line for line in (tmp_path / "R.md").read_text().splitlines()
               if line.startswith("| fast-digits"))  # fmt: skip
    assert "unfinished" not in row and row.endswith("| 80 |")
    assert "80 s for 80 steps" not in row and "48 s for 80 steps" in row
