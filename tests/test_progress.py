"""The per-epoch progress line."""

import io
from typing import ClassVar

from dcgan_tf.common.progress import ProgressBar, format_seconds


def test_in_a_log_the_bar_writes_one_line_per_epoch_with_losses_rate_and_eta():
    stream = io.StringIO()
    bar = ProgressBar(total=4, title="Epoch 1/2", stream=stream)
    for step in range(1, 5):
        bar.update(step, 256, {"gen_loss": 0.5, "disc_loss": 1.25})
    assert stream.getvalue() == ""
    bar.close(4, {"gen_loss": 0.5, "disc_loss": 1.25})
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("Epoch 1/2 [####################] 4/4 gen_loss 0.5000 disc_loss 1.2500")
    assert " img/s ETA 0s" in line


def test_eta_counts_only_the_steps_of_this_session():
    bar = ProgressBar(total=10, title="Epoch 1", first_step=8, stream=io.StringIO())
    # Resumed at step 8: one step in 2 s, so the one step left takes 2 s more.
    assert bar.line(9, {}, bar.start + 2.0).endswith("ETA 2s")


def test_seconds_are_formatted_for_humans():
    assert [format_seconds(s) for s in (3, 123, 3723)] == ["3s", "2m03s", "1h02m03s"]
    assert format_seconds(float("nan")) == "?"


class RecordedLine:
    """Stands for a notebook's output line: what it was first given and each rewrite."""

    shown: ClassVar[list[str]] = []

    def __init__(self, text: str = "") -> None:
        RecordedLine.shown = [text]

    def update(self, text: str) -> None:
        RecordedLine.shown.append(text)


def test_in_a_notebook_the_bar_rewrites_one_output_line_and_writes_no_carriage_return(
    monkeypatch, capsys
):
    from dcgan_tf.common import progress

    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "LiveLine", RecordedLine)
    bar = ProgressBar(total=2, title="Epoch 1/1", min_interval=0.0)
    bar.update(1, 16, {"gen_loss": 0.5})
    bar.update(2, 16, {"gen_loss": 0.25})
    bar.close(2, {"gen_loss": 0.25})
    assert capsys.readouterr().out == ""
    first, *rewrites = RecordedLine.shown
    assert first == "Epoch 1/1" and len(rewrites) == 3
    assert rewrites[-1].startswith("Epoch 1/1 [####################] 2/2 gen_loss 0.2500")
    assert not any("\r" in line or "\n" in line for line in rewrites)
