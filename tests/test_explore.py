"""`python -m dcgan_tf.explore` (issue 22): the API on tiny trained runs, requests that must be
refused (path traversal, bad and oversized ones), the real server under a bounded load, and the
command's start and stop. The page in a real browser: test_explore_browser.py."""

from __future__ import annotations

import base64
import http.client
import io
import json
import socket
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from conftest import synthetic_digits
from PIL import Image

from dcgan_tf import explore
from dcgan_tf.config import TrainConfig
from dcgan_tf.evaluation.classifier import load_classifier
from dcgan_tf.explorer.api import MAX_BODY, Api
from dcgan_tf.explorer.engine import Engine, training_shots
from dcgan_tf.explorer.server import ExplorerServer
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, load_run
from dcgan_tf.run.folders import run_folder
from dcgan_tf.training.loop import train


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return train_runs(tmp_path_factory.mktemp("runs"))


def train_runs(root: Path) -> Path:
    """dcgan: 3 epochs of 2 steps, each epoch also kept (kept/epoch-000N); cdcgan: 1 epoch."""
    images, labels = synthetic_digits(64)
    for model, epochs in (("dcgan", 3), ("cdcgan", 1)):
        run = root / model
        config = TrainConfig(model=model, epochs=epochs, batch_size=32, keep_every=1,
                             out=str(run / "out"), checkpoint_dir=str(run / "ck"))  # fmt: skip
        train(config, images, log=lambda _: None, image_labels=labels)
    return root


def make_engine(runs, model, classifier_bundle) -> Engine:
    state, config, path = load_run(runs / model / "ck")
    folder = run_folder(runs / model / "ck", None)
    shots = training_shots(folder, log=lambda _: None)
    return Engine(state, config, path, load_classifier(classifier_bundle), shots)


@pytest.fixture(scope="module")
def api(runs, classifier_bundle) -> Api:
    return Api(make_engine(runs, "dcgan", classifier_bundle))


@pytest.fixture(scope="module")
def conditional_api(runs, classifier_bundle) -> Api:
    return Api(make_engine(runs, "cdcgan", classifier_bundle))


def call(api: Api, method: str, target: str, body=None) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body else b""
    status, kind, content = api.handle(method, target, raw)
    return status, json.loads(content) if kind == "application/json" else content


def pixels_of(image: dict) -> np.ndarray:
    head, data = image["png"].split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_info_lists_every_checkpoint_the_run_kept_oldest_first(api):
    status, info = call(api, "GET", "/api/info")
    assert status == 200
    assert (info["model"], info["noise_dim"], info["conditional"]) == ("dcgan", 100, False)
    names = {c["name"] for c in info["checkpoints"]}
    assert names == {"ckpt-1", "ckpt-2", "ckpt-3", *(f"kept/epoch-{e:04d}" for e in (1, 2, 3))}
    steps = [c["step"] for c in info["checkpoints"]]
    assert steps == sorted(steps) and steps[-1] == 6


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_samples_are_the_sample_commands_for_the_same_seed(api):
    status, first = call(api, "GET", "/api/samples?seed=3&n=4")
    assert status == 200 and len(first["images"]) == 4
    engine = api.engine
    noise = draw_noise(engine.spec, 4, 100, 3)
    np.testing.assert_allclose(first["z"], noise.numpy(), atol=1e-5)
    expected = generate_pixels(engine.state, noise)[..., 0]
    np.testing.assert_array_equal(np.stack([pixels_of(i) for i in first["images"]]), expected)
    for image in first["images"]:
        assert 0 <= image["digit"] <= 9 and 0 <= image["confidence"] <= 1
    assert call(api, "GET", "/api/samples?seed=3&n=4")[1] == first
    assert call(api, "GET", "/api/samples?seed=4&n=4")[1]["z"] != first["z"]


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_an_image_follows_its_noise_and_the_checkpoint_asked_for(api):
    z = call(api, "GET", "/api/samples?seed=0&n=1")[1]["z"][0]
    status, image = call(api, "POST", "/api/image", {"z": z})
    assert status == 200
    moved = call(api, "POST", "/api/image", {"z": [v + 0.5 for v in z]})[1]
    assert not np.array_equal(pixels_of(image), pixels_of(moved))
    oldest = call(api, "POST", "/api/image", {"z": z, "ckpt": 0})[1]
    assert not np.array_equal(pixels_of(image), pixels_of(oldest))


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_directions_are_orthonormal_strongest_first_and_move_the_image_most(api):
    z = np.asarray(call(api, "GET", "/api/samples?seed=1&n=1")[1]["z"][0])
    status, found = call(api, "POST", "/api/directions", {"z": z.tolist(), "k": 4})
    assert status == 200
    directions, strengths = np.asarray(found["directions"]), found["strengths"]
    assert directions.shape == (4, 100)
    np.testing.assert_allclose(directions @ directions.T, np.eye(4), atol=1e-4)
    assert strengths == sorted(strengths, reverse=True) and strengths[0] > 0

    def change(direction: np.ndarray) -> float:
        generator = api.engine.state.image_generator
        out = generator(np.stack([z, z + 0.05 * direction]).astype(np.float32), training=False)
        return float(np.abs(np.asarray(out[1]) - np.asarray(out[0])).sum())

    random = np.random.default_rng(0).normal(size=100)
    assert change(directions[0]) > change(random / np.linalg.norm(random))


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_interpolation_runs_from_one_end_to_the_other(api):
    z0, z1 = call(api, "GET", "/api/samples?seed=2&n=2")[1]["z"]
    ends = [pixels_of(call(api, "POST", "/api/image", {"z": z})[1]) for z in (z0, z1)]
    middles = []
    for method in ("lerp", "slerp"):
        status, walk = call(api, "POST", "/api/interpolate",
                            {"z0": z0, "z1": z1, "steps": 5, "method": method})  # fmt: skip
        assert status == 200 and len(walk["images"]) == 5
        np.testing.assert_array_equal(pixels_of(walk["images"][0]), ends[0])
        np.testing.assert_array_equal(pixels_of(walk["images"][-1]), ends[1])
        middles.append(pixels_of(walk["images"][2]))
    assert not np.array_equal(*middles)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_training_shows_the_same_noise_through_every_checkpoint(api):
    z = call(api, "GET", "/api/samples?seed=0&n=1")[1]["z"][0]
    status, found = call(api, "POST", "/api/training", {"z": z})
    frames = found["frames"]
    assert status == 200 and len(frames) == len(api.engine.shots) == 6
    by_name = {f["name"]: pixels_of(f) for f in frames}
    np.testing.assert_array_equal(by_name["ckpt-3"], by_name["kept/epoch-0003"])  # same state
    assert not np.array_equal(by_name["kept/epoch-0001"], by_name["kept/epoch-0003"])


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_conditional_run_draws_the_digit_asked_for(conditional_api):
    status, info = call(conditional_api, "GET", "/api/info")
    assert info["conditional"] is True
    status, sevens = call(conditional_api, "GET", "/api/samples?seed=0&n=3&label=7")
    assert status == 200 and sevens["labels"] == [7, 7, 7]
    mixed = call(conditional_api, "GET", "/api/samples?seed=0&n=3")[1]
    assert mixed["labels"] == [0, 1, 2]
    assert not np.array_equal(pixels_of(sevens["images"][0]), pixels_of(mixed["images"][0]))
    z = sevens["z"][0]
    assert call(conditional_api, "POST", "/api/image", {"z": z, "label": 7})[0] == 200
    assert call(conditional_api, "POST", "/api/directions", {"z": z, "label": 7})[0] == 200
    assert call(conditional_api, "POST", "/api/image", {"z": z})[0] == 400  # no label


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gan", "tfexamples", "carpedm20", "pytorch"])
def test_every_other_model_answers_every_route(model, tmp_path, classifier_bundle):
    images, labels = synthetic_digits(32)
    config = TrainConfig(model=model, epochs=1, batch_size=32, out=str(tmp_path / "out"),
                         checkpoint_dir=str(tmp_path / "ck"))  # fmt: skip
    train(config, images, log=lambda _: None, image_labels=labels)
    state, config, path = load_run(tmp_path / "ck")
    api = Api(Engine(state, config, path, load_classifier(classifier_bundle)))
    label = 7 if api.engine.conditional else None
    samples = call(api, "GET", "/api/samples?seed=1&n=2" + ("&label=7" if label else ""))[1]
    z0, z1 = samples["z"]
    assert len(samples["images"]) == 2
    for route, body in [
        ("/api/image", {"z": z0, "label": label}),
        ("/api/directions", {"z": z0, "label": label, "k": 3}),
        ("/api/interpolate", {"z0": z0, "z1": z1, "steps": 3, "label": label}),
    ]:
        status, answer = call(api, "POST", route, body)
        assert status == 200, (route, answer)


Z = [0.0] * 100
BAD = [
    ("GET", "/../../etc/passwd", None, 404),
    ("GET", "/%2e%2e/%2e%2e/etc/passwd", None, 404),
    ("GET", "/api/../../../etc/passwd", None, 404),
    ("GET", "/page.html", None, 404),
    ("GET", "/dcgan_tf/explorer/api.py", None, 404),
    ("GET", "/api/samples?seed=-1", None, 400),
    ("GET", "/api/samples?seed=99999999999999999999", None, 400),
    ("GET", "/api/samples?seed=abc", None, 400),
    ("GET", "/api/samples?n=0", None, 400),
    ("GET", "/api/samples?n=65", None, 400),
    ("GET", "/api/samples?n=2.5", None, 400),
    ("GET", "/api/samples?n=1&n=2", None, 400),
    ("GET", "/api/samples?label=7", None, 400),  # dcgan takes no digit
    ("GET", "/api/image", None, 405),
    ("POST", "/api/image", b"", 400),
    ("POST", "/api/image", b"not json", 400),
    ("POST", "/api/image", b"[1, 2]", 400),
    ("POST", "/api/image", b"[" * 200_000, 400),  # nested past Python's recursion limit
    ("POST", "/api/image", b'{"z": "../../etc/passwd"}', 400),
    ("POST", "/api/image", {"z": [0.0] * 99}, 400),
    ("POST", "/api/image", {"z": [0.0] * 101}, 400),
    ("POST", "/api/image", {"z": ["a"] * 100}, 400),
    ("POST", "/api/image", {"z": [True] * 100}, 400),
    ("POST", "/api/image", b'{"z": [NaN' + b", 0" * 99 + b"]}", 400),
    ("POST", "/api/image", b'{"z": [1e400' + b", 0" * 99 + b"]}", 400),
    ("POST", "/api/image", {"z": [1e3] * 100}, 400),
    ("POST", "/api/image", {"z": Z, "label": 3}, 400),  # dcgan takes no digit
    ("POST", "/api/image", {"z": Z, "ckpt": -1}, 400),
    ("POST", "/api/image", {"z": Z, "ckpt": 6}, 400),
    ("POST", "/api/image", {"z": Z, "ckpt": "../../etc/passwd"}, 400),
    ("POST", "/api/image", {"z": Z, "ckpt": "ckpt-1"}, 400),
    ("POST", "/api/image", b"{" + b" " * MAX_BODY + b"}", 413),
    ("POST", "/api/directions", {"z": Z, "k": 0}, 400),
    ("POST", "/api/directions", {"z": Z, "k": 9}, 400),
    ("POST", "/api/interpolate", {"z0": Z, "z1": Z, "steps": 1}, 400),
    ("POST", "/api/interpolate", {"z0": Z, "z1": Z, "steps": 65}, 400),
    ("POST", "/api/interpolate", {"z0": Z, "z1": Z, "method": "cubic"}, 400),
    ("POST", "/api/interpolate", {"z0": Z, "z1": Z, "method": "slerp"}, 400),  # zero norm
    ("POST", "/api/training", {"z": Z[:3]}, 400),
    ("POST", "/", b"{}", 405),
]


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
@pytest.mark.parametrize("method,target,body,status", BAD)
def test_a_bad_request_is_a_4xx_with_a_message(api, method, target, body, status):
    got, answer = call(api, method, target, body)
    assert (got, bool(answer["error"])) == (status, True)


@pytest.fixture(scope="module")
def server(api):
    server = ExplorerServer(("127.0.0.1", 0), api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def raw_request(server, data: bytes) -> bytes:
    """Send `data` as it is (no client library tidying the path) and read the whole answer."""
    with socket.create_connection(server.server_address[:2], timeout=10) as conn:
        conn.sendall(data)
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:  # closed with our request unread (431): fine, if answered
            pass
    return b"".join(chunks)


def get(server, target: str, method: str = "GET", body: bytes | None = None):
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, target, body=body, headers=headers)
    try:
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()  # a kept-alive connection would hold one of the server's threads


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_page_is_served_whole_and_fetches_nothing_from_elsewhere(server):
    status, headers, page = get(server, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert b"http://" not in page and b"https://" not in page and b"//cdn" not in page


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
@pytest.mark.parametrize(
    "request_line,status",
    [
        (b"GET /../../etc/passwd HTTP/1.1", 404),
        (b"GET /..%2f..%2fetc%2fpasswd HTTP/1.1", 404),
        (b"GET //etc/passwd HTTP/1.1", 404),
        (b"GET /api/samples/../../../etc/passwd HTTP/1.1", 404),
        (b"POST /api/image HTTP/1.1\r\nContent-Length: 99999999999", 413),
        (b"POST /api/image HTTP/1.1", 411),
        (b"GARBAGE", 400),
        (b"GET / HTTP/1.1\r\n" + b"X-Long: " + b"a" * 70000, 431),
    ],
)
def test_the_server_refuses_raw_requests_and_keeps_answering(server, request_line, status):
    host = b"Host: 127.0.0.1:%d" % server.server_address[1]  # the name it serves (else a 403)
    answer = raw_request(server, request_line + b"\r\n" + host + b"\r\nConnection: close\r\n\r\n")
    code, first = str(status).encode(), answer.split(b"\r\n", 1)[0]
    assert first.split(b" ")[1:2] == [code], answer[:300]
    assert b"root:" not in answer
    assert get(server, "/api/info")[0] == 200


def resident_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.mark.slow
def test_a_bounded_load_gets_every_answer_and_no_memory_growth(server):
    """32 clients at once, 600 requests a round, five rounds: every request answered 200, and
    after two warm-up rounds (threads, TensorFlow's graphs and allocator) the last three rounds'
    1,800 requests grow the process by under 8 MB: a leak of 5 kB a request would be 9 MB."""
    z = json.dumps({"z": Z}).encode()
    requests = [("POST", "/api/image", z), ("GET", "/api/samples?seed=5&n=4", None),
                ("GET", "/api/info", None), ("GET", "/", None)] * 150  # fmt: skip

    def one(request):
        method, target, body = request
        return get(server, target, method, body)[0]

    sizes = []
    for _ in range(5):
        with ThreadPoolExecutor(32) as pool:
            statuses = list(pool.map(one, requests))
        assert statuses == [200] * len(requests)
        sizes.append(resident_kb())
    print(f"resident kB after each round: {sizes}")
    assert max(sizes[2:]) - sizes[1] < 8_000, sizes


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_command_serves_until_stopped(runs, classifier_bundle, capsys):
    args = explore.build_parser().parse_args(
        ["--checkpoint-dir", str(runs / "cdcgan" / "ck"), "--port", "0",
         "--classifier", str(classifier_bundle)])  # fmt: skip
    answers = []

    def ready(server):
        def visit():
            answers.append(get(server, "/api/info"))
            server.shutdown()

        threading.Thread(target=visit, daemon=True).start()

    assert explore.run(args, ready=ready) == 0
    assert answers[0][0] == 200 and json.loads(answers[0][2])["model"] == "cdcgan"
    assert "at http://127.0.0.1:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--port", "70000"], "--port must be 0 to 65535"),
        (["--classifier", "missing.keras"], "--classifier missing.keras: no such file"),
        (["--checkpoint-dir", "nowhere"], "no checkpoint in nowhere"),
    ],
)
def test_bad_flags_are_one_line_errors(tmp_path, monkeypatch, capsys, flags, message):
    monkeypatch.chdir(tmp_path)
    assert explore.main(flags) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_bench_explore_without_chromedriver_names_the_apt_package(tmp_path, monkeypatch, capsys):
    from dcgan_tf.tools import explore_bench

    chromium = tmp_path / "bin" / "chromium"  # a browser on the PATH, but no driver
    chromium.parent.mkdir()
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.setenv("PATH", str(chromium.parent))
    assert explore_bench.main(["--checkpoint-dir", str(tmp_path), "--no-report"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "apt-get install -y chromium-driver" in err


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_port_in_use_is_a_one_line_error(runs, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        flags = ["--checkpoint-dir", str(runs / "dcgan" / "ck"), "--port", str(port),
                 "--no-classifier"]  # fmt: skip
        started = time.time()
        assert explore.main(flags) == 2
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err
    assert time.time() - started < 60


@pytest.mark.slow
def test_ctrl_c_stops_the_real_command(runs):
    import os
    import signal
    import subprocess
    import sys

    command = [sys.executable, "-m", "dcgan_tf.explore", "--checkpoint-dir",
               str(runs / "dcgan" / "ck"), "--port", "0", "--no-classifier"]  # fmt: skip

    # As from a terminal: SIGINT at its default (pytest-xdist's workers ignore it, and an ignored
    # signal stays ignored in a child, so the command would never see the Ctrl-C).
    def as_from_a_terminal() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"},
                               preexec_fn=as_from_a_terminal)  # fmt: skip
    try:
        line = process.stdout.readline()
        url = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(url + "api/info", timeout=60) as answer:
            assert json.load(answer)["model"] == "dcgan"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0 and "stopped" in err, err
