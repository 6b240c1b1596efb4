"""`make bench` in CI: one tiny round of every kind of case, each in its own process."""

import subprocess
import sys

import pytest

from dcgan_tf.tools.bench_cases import parse_settings


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
    for heading in ("## 1.", "## 2.", "## 3.", "## 4.", "## 5."):
        assert heading in report
    for row in ("| notebook |", "| default |", "| notebook step |", "| bfloat16 |"):
        assert row in report
    assert "| --fast |" in report or "`--fast` is the default path on this CPU" in report
    assert "What made epochs slow" in report and "waited in" in report
    assert "nan" not in report.lower()
