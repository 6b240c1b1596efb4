"""The explorer's page in a real browser: headless Chromium driven by Selenium
(dcgan_tf/tools/browser.py). The page's own `selfTest` moves the sliders and scrubbers as a user
would (their `input` events) and reports what it saw: each slider move's time from the event to
the new image decoded, whether the pixels changed, what the classifier read, and every resource
fetched from outside the server. The speed is measured by `make bench-explore` (BENCHMARKS.md),
not here."""

from __future__ import annotations

import threading

import keras
import numpy as np
import pytest
from conftest import synthetic_digits
from test_explore import make_engine, train_runs

from dcgan_tf.explorer.api import Api
from dcgan_tf.explorer.server import ExplorerServer
from dcgan_tf.tools.browser import missing, open_page, screenshot
from dcgan_tf.tutorial.dataset import to_model_range

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        missing() is not None, reason=f"needs chromium and chromedriver ({missing()})"
    ),
]


def serve(engine):
    server = ExplorerServer(("127.0.0.1", 0), Api(engine))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return train_runs(tmp_path_factory.mktemp("runs"))


def test_sliders_and_scrubbers_change_the_pictures(runs, classifier_bundle, tmp_path):
    engine = make_engine(runs, "dcgan", classifier_bundle)
    server = serve(engine)
    try:
        with open_page(server.url, tmp_path / "profile") as page:
            seen = page.execute_script("return selfTest(30)")
            screenshot(page, tmp_path / "explore.png")
    finally:
        server.shutdown()
        server.server_close()
    assert seen["slider_changed"] and seen["training_changed"] and seen["interpolation_changed"]
    assert seen["checkpoints"] == 6
    assert seen["external"] == []
    assert len(seen["slider_ms"]) >= 1  # moves made while one is in flight collapse into one
    assert (tmp_path / "explore.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def digit_generator(noise_dim: int = 100) -> keras.Model:
    """A stand-in for a well-trained conditional generator: draws one synthetic digit of the
    label asked for (the kind the test classifier learned), plus a small linear trace of the
    noise, so that the sliders still move pixels."""
    images, labels = synthetic_digits(200, seed=3)
    table = np.stack([to_model_range(images[labels == d][:1])[0].reshape(-1) for d in range(10)])
    noise = keras.Input((noise_dim,))
    label = keras.Input((), dtype="int32")
    embedding = keras.layers.Embedding(10, 784)
    trace = keras.layers.Dense(784, use_bias=False)
    out = keras.layers.Add()([embedding(label), trace(noise)])
    model = keras.Model([noise, label], keras.layers.Reshape((28, 28, 1))(out))
    embedding.set_weights([table])
    trace.set_weights([np.random.default_rng(0).normal(0, 0.01, (noise_dim, 784))])
    return model


def test_picking_digit_7_draws_sevens_the_classifier_reads(runs, classifier_bundle, tmp_path):
    engine = make_engine(runs, "cdcgan", classifier_bundle)
    engine.state.generator = digit_generator()
    server = serve(engine)
    try:
        with open_page(server.url, tmp_path / "profile") as page:
            assert page.execute_script("return !document.getElementById('digitbox').hidden")
            seen = page.execute_script("return selfTest(5, 7)")
    finally:
        server.shutdown()
        server.server_close()
    readings = seen["readings"]
    assert len(readings) == 16 and readings.count(7) > len(readings) / 2, readings
    assert seen["slider_changed"]


def test_bench_explore_times_the_moves_and_writes_its_section(runs, classifier_bundle, tmp_path):
    from dcgan_tf.tools import explore_bench

    ck = runs / "dcgan" / "ck"
    for part in classifier_bundle.parent.glob("classifier-mnist.*"):  # found there: no training
        (ck / part.name).write_bytes(part.read_bytes())
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nmake bench's tables\n")
    argv = ["--checkpoint-dir", str(ck), "--moves", "5", "--report", str(report)]
    assert explore_bench.main(argv) == 0
    assert explore_bench.main(argv) == 0  # a second run replaces its section, nothing else
    text = report.read_text()
    assert text.startswith("# Benchmarks\n\nmake bench's tables\n")
    assert text.count(explore_bench.START) == 1 and text.count(explore_bench.END) == 1
    assert "| 5 | " in text and "Fetched from outside the server while the page loaded" in text
