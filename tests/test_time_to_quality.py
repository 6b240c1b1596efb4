"""`make time-to-quality`: the race's stopping rule, its table and where the report goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcgan_tf.common.errors import UserError
from dcgan_tf.tools.time_to_quality import DEFAULT_LINES, line_label, parse_line
from dcgan_tf.tools.time_to_quality_report import (
    END,
    START,
    Race,
    at_budget,
    first_stay,
    race_table,
    replace_section,
)


def point(step: int, seconds: float, fid: float) -> dict:
    return {"step": step, "train_seconds": seconds, "fid": fid}


class FakeClock:
    """The race reads training seconds and the measured points from the run's Curve."""

    def __init__(self) -> None:
        self.seconds, self.record = 0.0, {"points": []}

    def train_seconds(self) -> float:
        return self.seconds


class FakeQuality:
    """Measures by appending the next FID of a script to the clock's points."""

    def __init__(self, clock: FakeClock, fids: list[float]) -> None:
        self.clock, self.fids, self.measured_at = clock, list(fids), []

    def measure(self, epoch: int, state: object) -> None:
        self.measured_at.append(self.clock.seconds)
        points = self.clock.record["points"]
        points.append(point(len(points), self.clock.seconds, self.fids.pop(0)))


def race_through(seconds: list[float], fids: list[float], **rule: float) -> tuple[Race, list]:
    """Epoch ends at these training seconds; returns the race and when it measured."""
    clock = FakeClock()
    quality = FakeQuality(clock, fids)
    race = Race(quality, clock, **{"target": 18.4, "budget": 60, "cap": 120, "every": 15, **rule})
    for epoch, now in enumerate(seconds, start=1):
        clock.seconds = now
        race.on_epoch_end(epoch, state=None)
        if race.stop_requested:
            break
    return race, quality.measured_at


def test_first_stay_is_the_first_of_two_measurements_in_a_row_at_or_below_the_target():
    points = [point(1, 1, 30), point(2, 2, 18), point(3, 3, 25), point(4, 4, 18.4), point(5, 5, 9)]
    assert first_stay(points, 18.4)["step"] == 4
    assert first_stay(points[:4], 18.4) is None  # the last one has no next measurement yet


def test_the_budget_point_is_the_first_measurement_after_the_budget():
    points = [point(1, 290, 40), point(2, 305, 30), point(3, 320, 20)]
    assert at_budget(points, 300)["step"] == 2
    assert at_budget(points[:1], 300) is None


def test_the_race_measures_every_interval_of_training_and_right_after_the_budget():
    _, measured = race_through([10, 16, 25, 31, 47, 61], [99] * 6)
    assert measured == [16, 31, 47, 61]  # 61: the budget (60) was crossed, though 14 s after 47


def test_the_race_trains_on_past_the_budget_until_the_fid_stays_at_the_target():
    race, measured = race_through([20, 40, 62, 80, 100, 119], [50, 30, 17, 19, 18, 10])
    assert race.stop_requested and race.reason == "stayed at or below the target"
    assert measured[-1] == 119  # 17 then 19: not yet; 18 then 10: stayed


def test_the_race_does_not_stop_before_the_budget_even_when_the_target_is_reached():
    race, measured = race_through([20, 40, 50, 59], [10, 9, 8])
    assert not race.stop_requested and measured == [20, 40, 59]  # 59 - 40 >= 15


def test_the_race_stops_at_the_cap_when_the_target_is_never_reached():
    race, measured = race_through([30, 60, 90, 121, 150], [90, 80, 70, 60, 50])
    assert race.stop_requested and race.reason == "cap"
    assert measured[-1] == 121  # measured at the cap, then stopped


def test_the_table_gives_steps_images_and_seconds_to_the_target_and_the_fid_at_the_budget():
    race = {"target": 18.4, "budget": 300, "runs": []}
    fast = [point(400, 80, 19), point(500, 100, 17), point(600, 120, 16), point(1500, 301, 12)]
    race["runs"].append({"label": "tfexamples (its preset)", "batch_size": 128, "points": fast})
    race["runs"].append(
        {"label": "dcgan tutorial", "batch_size": 256, "points": [point(800, 301, 219.9)]}
    )
    rows = race_table(race).splitlines()
    assert "| tfexamples (its preset) | 128 | 500 | 64,000 | 100 | 12.0 (1,500) |" in rows[2]
    assert "| dcgan tutorial | 256 | not within 800 | - | > 301 | 219.9 (800) |" in rows[3]


def test_the_report_replaces_its_own_section_and_keeps_the_rest_of_the_page(tmp_path: Path):
    page = tmp_path / "README.md"
    page.write_text(f"# Title\n\n{START}\nold table\n{END}\n\n## After\n")
    replace_section(page, "new table")
    assert page.read_text() == f"# Title\n\n{START}\nnew table\n{END}\n\n## After\n"
    bare = tmp_path / "RECIPES.md"
    bare.write_text("# Recipes\n")
    replace_section(bare, "the table")
    assert bare.read_text() == f"# Recipes\n\n{START}\nthe table\n{END}\n"


def test_every_recipe_and_every_model_is_a_line_by_default():
    assert "dcgan:tutorial" in DEFAULT_LINES and "dcgan:fast-digits" in DEFAULT_LINES
    for model in ("cdcgan", "gan", "tfexamples", "carpedm20", "pytorch"):
        assert model in DEFAULT_LINES
    assert parse_line("dcgan:ttur") == ("dcgan", "ttur") and parse_line("gan") == ("gan", None)
    with pytest.raises(UserError, match="unknown line"):
        parse_line("dcgan:fastest")


def test_a_line_of_another_seed_is_named_for_its_seed():
    assert line_label("dcgan", "ttur") == "dcgan ttur"
    assert line_label("dcgan", "ttur", seed=1) == "dcgan ttur, seed 1"
    assert line_label("gan", None, seed=2) == "gan (its preset), seed 2"


def test_a_line_raced_with_fast_is_named_for_it():
    label = line_label("dcgan", "digits-in-two-minutes", seed=1, fast=True)
    assert label == "dcgan digits-in-two-minutes --fast, seed 1"


def test_make_recipes_keeps_the_marked_sections_of_the_report_it_rewrites(tmp_path: Path):
    from dcgan_tf.tools.recipes_report import kept_sections

    report = tmp_path / "RECIPES.md"
    report.write_text(f"# old table\n\n{START}\nthe race\n{END}\n\nold notes\n")
    assert kept_sections(report) == ["", f"{START}\nthe race\n{END}"]
    report.write_text("# no marked section\n")
    assert kept_sections(report) == []
