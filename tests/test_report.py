"""The run report: one self-contained page with the run's pictures, times, history and config."""

import base64
import dataclasses
import json
import os
import re
import shutil
import signal
from pathlib import Path

import imageio.v3 as iio
import pytest
from conftest import synthetic_digits
from selenium.webdriver.support.wait import WebDriverWait

from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.measure import QualityLog
from dcgan_tf.report import main as report_main
from dcgan_tf.reporting.journal import RunJournal
from dcgan_tf.tools.browser import headless_chromium
from dcgan_tf.training import loop as training
from dcgan_tf.training.loop import TrainingInterrupted, train

IMAGES = synthetic_digits(40, seed=4)[0]  # 16 a batch: 3 steps an epoch, one partial


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A run in three parts: epoch 1; epoch 2 stopped by Ctrl-C after its 2nd step; the rest."""
    root = tmp_path_factory.mktemp("report")
    config = TrainConfig(
        epochs=1, batch_size=16, out=str(root / "out"), checkpoint_dir=str(root / "ck")
    )

    def run(epochs: int) -> None:
        hooks = [RunJournal(config.out, "the test CPU", "40 synthetic digits", log=quiet)]
        train(dataclasses.replace(config, epochs=epochs), IMAGES, quiet, hooks)

    run(1)
    original_update = training.ProgressBar.update

    def press_ctrl_c_at_step_two_of_epoch_two(bar, step, *args):
        original_update(bar, step, *args)
        if bar.title.startswith("Epoch 2") and step == 2:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training.ProgressBar, "update", press_ctrl_c_at_step_two_of_epoch_two)
        with pytest.raises(TrainingInterrupted):
            run(2)
    run(2)
    return root / "out"


def image_sources(page: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', page)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_training_writes_the_report_with_config_device_and_data(run_dir):
    page = (run_dir / "report.html").read_text()
    assert "the test CPU" in page
    assert "40 synthetic digits" in page
    assert "<td>batch_size</td><td>16</td>" in page
    assert "dcgan on mnist/train: 6 steps, 2 epoch(s), 3 part(s), completed" in page


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_report_shows_when_each_part_of_the_run_ran(run_dir):
    journal = json.loads((run_dir / "journal.json").read_text())
    parts = [(s["first_step"], s["last_step"], s["completed"]) for s in journal["segments"]]
    assert parts == [(0, 3, True), (3, 5, False), (5, 6, True)]
    page = (run_dir / "report.html").read_text()
    assert "0 → 3</td><td>completed" in page
    assert "3 → 5</td><td>stopped (Ctrl-C or killed); resumed" in page
    assert "5 → 6</td><td>completed" in page


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_rerunning_a_finished_run_adds_no_part_to_the_history(run_dir, tmp_path):
    shutil.copytree(run_dir.parent, tmp_path / "run")
    out, ck = tmp_path / "run" / "out", tmp_path / "run" / "ck"
    config = TrainConfig(epochs=2, batch_size=16, out=str(out), checkpoint_dir=str(ck))
    train(config, IMAGES, quiet, [RunJournal(out, log=quiet)])
    assert len(json.loads((out / "journal.json").read_text())["segments"]) == 3


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_report_shows_the_time_of_each_epoch(run_dir):
    epochs = json.loads((run_dir / "journal.json").read_text())["epochs"]
    assert [(e["epoch"], e["step"], e.get("partial", False)) for e in epochs] == [
        (1, 3, False),
        (2, 6, True),  # resumed after its 2nd step: only its last step was timed
    ]
    assert all(e["seconds"] > 0 for e in epochs)
    page = (run_dir / "report.html").read_text()
    assert f"<td class=num>{epochs[0]['seconds']:.1f}</td>" in page
    assert "(resumed midway)" in page


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_every_picture_is_inlined_as_a_png_or_gif_that_decodes(run_dir):
    sources = image_sources((run_dir / "report.html").read_text())
    assert len(sources) == 3  # the last grid, the GIF, the loss plot
    kinds = []
    for source in sources:
        match = re.fullmatch(r"data:image/(png|gif);base64,([A-Za-z0-9+/=]+)", source)
        assert match, source[:60]
        picture = iio.imread(base64.b64decode(match.group(2)), extension=f".{match.group(1)}")
        assert picture.size > 0
        kinds.append(match.group(1))
    assert kinds == ["png", "gif", "png"]


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_report_links_to_nothing_outside_itself(run_dir):
    page = (run_dir / "report.html").read_text()
    for value in re.findall(r'(?:src|href)\s*=\s*"?([^" >]*)', page):
        assert value.startswith("data:"), value[:60]
    assert not re.search(r"https?:|<script|<link|@import|url\(", page)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_report_command_adds_the_quality_curve_and_table_when_measured(run_dir, tmp_path):
    copy = tmp_path / "out"
    shutil.copytree(run_dir, copy)
    QualityLog(copy).record(2, 6, {"fid": 123.25, "classifier_score": 4.5})
    assert report_main([str(copy)]) == 0
    page = (copy / "report.html").read_text()
    assert "<h2>Quality</h2>" in page
    assert "<td class=num>123.2500</td><td class=num>4.5000</td>" in page
    assert len(image_sources(page)) == 4  # and quality.png


def test_the_report_of_a_folder_without_a_run_is_a_one_line_error(tmp_path, capsys):
    assert report_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no config.json" in err


PROBE = """<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<script>
const blocked = [];
document.addEventListener('securitypolicyviolation', e => blocked.push(e.blockedURI));
window.addEventListener('load', () => {
  const images = [...document.images].map(i => i.naturalWidth);
  const fetched = performance.getEntriesByType('resource').map(e => e.name);
  const pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify({images, fetched, blocked});
  document.body.appendChild(pre);
});
</script>"""


def open_in_chromium(page: Path, tmp_path: Path) -> dict:
    """Open `page` in headless Chromium with a probe in its head; what the probe saw on load:
    each image's natural width, the resources fetched, the requests the page's own content
    security policy (images from data: only, nothing else from anywhere) blocked."""
    probed = tmp_path / f"probed-{page.name}"
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    with headless_chromium(tmp_path / "profile") as browser:
        browser.get(probed.as_uri())  # returns once the page has loaded
        seen = WebDriverWait(browser, 30).until(
            lambda b: b.execute_script(
                "return (document.getElementById('probe') || {}).textContent"
            )
        )
    return json.loads(seen)


@pytest.mark.slow
def test_chromium_decodes_every_picture_and_fetches_nothing(run_dir, tmp_path):
    seen = open_in_chromium(run_dir / "report.html", tmp_path)
    assert len(seen["images"]) == 3
    assert all(width > 0 for width in seen["images"])
    assert seen["fetched"] == [] and seen["blocked"] == []
    # The probe sees a page that does fetch: an image and a style sheet from the network.
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        (run_dir / "report.html")
        .read_text()
        .replace("</body>", '<img src="http://example.invalid/x.png"></body>')
        .replace("</head>", '<link rel=stylesheet href="https://example.invalid/s.css"></head>')
    )
    seen = open_in_chromium(leaky, tmp_path)
    assert 0 in seen["images"]
    assert len(seen["blocked"]) == 2
