"""`make bench` in CI: one tiny round of every kind of case, each in its own process; the picture
sizes' table (`--only sizes`) from its parts."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from dcgan_tf.common.files import replace_marked_section
from dcgan_tf.config import TrainConfig
from dcgan_tf.tools.bench import plan
from dcgan_tf.tools.bench_cases import parse_settings
from dcgan_tf.tools.bench_sizes import render_sizes, size_options, step_flops


def test_case_settings_are_json_values_for_config_fields():
    settings = parse_settings(
        ['precision="mixed_bfloat16"', "jit_compile=true", "steps_per_call=4"]
    )
    assert settings == {"precision": "mixed_bfloat16", "jit_compile": True, "steps_per_call": 4}


@pytest.mark.slow  # a minute of benchmark processes: `make test-slow` and CI
def test_a_quick_bench_run_fills_every_table_of_the_report():
    done = subprocess.run(
        [sys.executable, "-m", "dcgan_tf.tools.bench", "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = done.stdout
    for heading in ("## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## Picture sizes"):
        assert heading in report
    rows = ("| notebook |", "| default |", "| notebook step |", "| bfloat16 |")
    for row in (*rows, "| dcgan | 32x32x1 | 256 |", "| pytorch | 32x32x1 | 128 |"):
        assert row in report
    assert "| --fast |" in report or "`--fast` is the default path on this CPU" in report
    assert "What made epochs slow" in report and "waited in" in report
    assert "nan" not in report.lower()


def test_the_sizes_table_times_both_models_gray_at_every_size_and_colour_at_64_at_their_batch():
    options = size_options()
    shapes = {(o["model"], o["image_size"], o["channels"]) for o in options.values()}
    gray = {(m, s, 1) for m in ("dcgan", "pytorch") for s in (28, 32, 64, 128)}
    assert shapes == gray | {("dcgan", 64, 3), ("pytorch", 64, 3)}
    batches = {o["model"]: o["batch_size"] for o in options.values()}
    assert batches == {"dcgan": 256, "pytorch": 128}  # the tutorial's, the PyTorch recipe's
    for settings in options.values():  # each a config a user could train
        TrainConfig.for_model(**settings)


def test_only_sizes_plans_the_sizes_table_alone_each_step_in_a_process_of_its_own():
    args = argparse.Namespace(epochs=4, quick=False, steps=3, only="sizes")
    tables = plan(args, {"precision": "float32"})
    assert list(tables) == ["sizes"]
    for name, (case, _, extra) in tables["sizes"].items():
        assert case == "steps" and list(json.loads(extra["options"])) == [name]
        assert extra["repeats"] == 3


def sizes_result(notebook: list[float], ours: list[float], batch: int) -> dict:
    return {
        "step_seconds": {"notebook step": notebook, "pytorch 64x64x3": ours},
        "batch_size": {"notebook step": 256, "pytorch 64x64x3": batch},
        "flops": {"pytorch 64x64x3": 40 * 10**9},
        "tf_peak_mb": {"notebook step": 300.0, "pytorch 64x64x3": 700.4},
        "rss_growth_mb": {"notebook step": 10.0, "pytorch 64x64x3": 950.0},
        "load_average": 3.5,
        "wall_seconds": 60.0,
    }


def test_a_size_is_compared_with_the_notebook_call_beside_it_then_the_median():
    # pairs of calls: 3/1, 10/2, 11/10 -> median 3 (the ratio of the medians would be 10/2 = 5)
    result = sizes_result([1.0, 2.0, 10.0], [3.0, 10.0, 11.0], batch=128)
    section = render_sizes({"pytorch 64x64x3": [result]}, "the command", "today", "a CPU", 10**9)
    row = next(line for line in section.splitlines() if line.startswith("| pytorch |"))
    # ms/step, images/s, x tutorial step, x per image (256 / 128), GFLOP, GFLOP/s, memory
    assert (
        row == "| pytorch | 64x64x3 | 128 | 10000 | 13 | 3.00 | 6.00 | 40.0 | 4 | 700 MB | 950 MB |"
    )
    assert "`the command`" in section and "3.5 to 3.5" in section


def test_the_alternating_step_counts_one_more_generator_and_discriminator_forward():
    tutorial = TrainConfig()
    pytorch = TrainConfig.for_model(model="pytorch", batch_size=2)
    from dcgan_tf.run.state import build_state_for
    from dcgan_tf.tools.flops import train_step_flops
    from dcgan_tf.tutorial.models import make_discriminator_model, make_generator_model

    notebook = train_step_flops(make_generator_model(), make_discriminator_model(), 256)
    assert step_flops(build_state_for(tutorial), tutorial) == notebook.total
    state = build_state_for(pytorch)
    simultaneous = train_step_flops(state.generator, state.discriminator, 2)
    extra = 2 * (simultaneous.g_forward + simultaneous.d_forward)
    assert step_flops(state, pytorch) == simultaneous.total + extra


def test_a_marked_section_is_replaced_in_place_and_appended_when_missing(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# top\n<!-- s:start -->\nold\n<!-- s:end -->\n\nnotes\n")
    replace_marked_section(report, "s", "new")
    assert report.read_text() == "# top\n<!-- s:start -->\nnew\n<!-- s:end -->\n\nnotes\n"
    replace_marked_section(report, "t", "more")
    assert report.read_text().endswith("notes\n\n<!-- t:start -->\nmore\n<!-- t:end -->\n")


@pytest.mark.slow  # two traced train steps in this process: 10 s quiet, 40 s on a loaded machine
def test_a_steps_case_gives_each_steps_seconds_memory_and_work():
    from dcgan_tf.tools.bench_steps import run_steps

    settings = {"model": "dcgan", "image_size": 32, "channels": 1, "batch_size": 2}
    args = argparse.Namespace(options=json.dumps({"small": settings}), batch_size=2, repeats=2)
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28)).astype(np.uint8)
    result = run_steps(images, args)
    assert {name: len(s) for name, s in result["step_seconds"].items()} == {
        "notebook step": 2,
        "small": 2,
    }
    assert result["batch_size"] == {"notebook step": 2, "small": 2}
    assert result["tf_peak_mb"]["small"] > 0 and result["rss_growth_mb"]["small"] >= 0
    assert result["flops"]["small"] > 0
