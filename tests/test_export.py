"""Export: the SavedModel draws `sample`'s images in a process that never imports dcgan_tf; an
export replaces the previous one whole, at the end, one export at a time."""

import contextlib
import dataclasses
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.export import main as export_main
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, load_run
from dcgan_tf.run.checkpoints import restore
from dcgan_tf.run.state import build_state
from dcgan_tf.training.loop import train

# Runs with only TensorFlow and numpy: loads each SavedModel and calls its signature.
CLEAN_PROCESS = """
import json, sys
import numpy as np
import tensorflow as tf

for folder in sys.argv[1:]:
    serve = tf.saved_model.load(folder + "/saved_model").signatures["serving_default"]
    inputs = {"noise": tf.constant(np.load(folder + "/noise.npy"))}
    if "label" in serve.structured_input_signature[1]:
        inputs["label"] = tf.constant(np.load(folder + "/label.npy"))
    images = serve(**inputs)["images"]
    np.save(folder + "/served.npy", images.numpy())
print(json.dumps({"dcgan_tf imported": "dcgan_tf" in sys.modules}))
"""


def export_and_serve(root: Path, models: tuple[str, ...]) -> Path:
    """One step of each model, exported, with noise (and labels) and `sample`'s pixels beside
    it; then one clean process draws the SavedModels' images for the same inputs."""
    images, labels = synthetic_digits(16)
    for model in models:
        run = root / model
        config = TrainConfig(model=model, steps=1, batch_size=16, out=str(run / "out"),
                             checkpoint_dir=str(run / "ck"), tensorboard=False)  # fmt: skip
        train(config, images, log=lambda _: None, image_labels=labels)
        folder = root / model / "export"
        assert export_main(["--checkpoint-dir", config.checkpoint_dir, "--out", str(folder)]) == 0
        state, config, _ = load_run(config.checkpoint_dir)
        noise = draw_noise(state.spec, 12, config.noise_dim, seed=3).numpy()
        digits = np.arange(12, dtype=np.int32) % 10 if state.spec.conditional else None
        np.save(folder / "noise.npy", noise)
        if digits is not None:
            np.save(folder / "label.npy", digits)
        np.save(folder / "sampled.npy", generate_pixels(state, noise, digits, config.channels))
    folders = [str(root / model / "export") for model in models]
    result = subprocess.run(
        [sys.executable, "-c", CLEAN_PROCESS, *folders],
        cwd=root,  # not the repository: dcgan_tf is not even importable there
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == {"dcgan_tf imported": False}
    return root


@pytest.fixture(scope="module")
def dcgan_export(tmp_path_factory) -> Path:
    return export_and_serve(tmp_path_factory.mktemp("export"), ("dcgan",))


@pytest.fixture(scope="module")
def other_exports(tmp_path_factory) -> Path:
    return export_and_serve(tmp_path_factory.mktemp("export"), ("cdcgan", "gan"))


def assert_served_as_sampled(folder: Path) -> None:
    served, sampled = np.load(folder / "served.npy"), np.load(folder / "sampled.npy")
    assert (served.dtype, served.shape) == (np.uint8, (12, 28, 28, 1))
    np.testing.assert_array_equal(served, sampled)


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_saved_model_draws_samples_images_for_the_same_noise(dcgan_export):
    assert_served_as_sampled(dcgan_export / "dcgan" / "export")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["cdcgan", "gan"])
def test_the_conditional_and_flat_models_serve_samples_images_too(other_exports, model):
    assert_served_as_sampled(other_exports / model / "export")


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_the_export_has_the_keras_generator_and_says_what_the_signature_takes(dcgan_export):
    folder = dcgan_export / "dcgan" / "export"
    assert (folder / "generator.keras").stat().st_size > 0
    info = json.loads((folder / "export.json").read_text())
    assert info["inputs"] == {"noise": "float32 (N, 100)"}
    assert info["outputs"] == {"images": "uint8 (N, 28, 28, 1)"}
    assert info["noise"] == "standard normal"


@pytest.mark.slow
def test_the_conditional_export_takes_a_label_and_the_gan_uniform_noise(other_exports):
    cdcgan = json.loads((other_exports / "cdcgan" / "export" / "export.json").read_text())
    assert cdcgan["inputs"] == {"noise": "float32 (N, 100)", "label": "int32 (N,), the digit 0-9"}
    gan = json.loads((other_exports / "gan" / "export" / "export.json").read_text())
    assert gan["noise"] == "uniform in [-1, 1]"


def test_exporting_without_a_checkpoint_is_a_one_line_error(tmp_path, capsys):
    assert export_main(["--checkpoint-dir", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no checkpoint in" in err


@pytest.mark.slow  # make test-slow: moved out of make test's 3 minutes
def test_a_run_with_ema_exports_the_averaged_generator(tmp_path):
    images, _ = synthetic_digits(16)
    config = TrainConfig(steps=2, batch_size=8, ema_decay=0.5, out=str(tmp_path / "out"),
                         checkpoint_dir=str(tmp_path / "ck"), tensorboard=False)  # fmt: skip
    train(config, images, log=lambda _: None)
    assert (
        export_main(["--checkpoint-dir", config.checkpoint_dir, "--out", str(tmp_path / "x")]) == 0
    )
    exported = keras.models.load_model(tmp_path / "x" / "generator.keras")
    state = build_state(100, 1e-4, 0, ema=True)
    restore(state, tf.train.latest_checkpoint(config.checkpoint_dir))
    noise = tf.random.stateless_normal([4, 100], seed=[5, 6])
    averaged = state.generator_ema(noise, training=False).numpy()
    np.testing.assert_allclose(exported(noise, training=False).numpy(), averaged, atol=1e-6)
    assert np.abs(state.generator(noise, training=False).numpy() - averaged).max() > 1e-4


REPO = Path(__file__).resolve().parents[1]
ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}


def test_an_export_folder_holding_other_files_is_refused_in_one_line(tmp_path, capsys):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    assert export_main(["--checkpoint-dir", str(tmp_path), "--out", str(folder)]) == 2
    assert capsys.readouterr().err == (
        f"error: --out {folder} holds notes.txt, no part of an export; an export replaces the "
        "whole folder, so name a new folder or an earlier export's\n"
    )
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


# Holds the export lock of sys.argv[1] until killed: an export in another process.
HOLD_THE_LOCK = """
import sys, time
from dcgan_tf.run.locks import lock_folders
with lock_folders({"--out": sys.argv[1]}):
    print("holding", flush=True)
    time.sleep(120)
"""


def test_a_second_export_into_one_folder_exits_two_in_one_line_naming_the_first(tmp_path, capsys):
    folder = tmp_path / "x"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(folder)],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "holding\n"
        status = export_main(["--checkpoint-dir", str(tmp_path / "ck"), "--out", str(folder)])
    finally:
        holder.kill()
        holder.wait()
    assert status == 2
    assert capsys.readouterr().err == (
        f"error: --out {folder} is in use by another run (PID {holder.pid}); wait for it to "
        "end, stop it, or use another folder\n"
    )


def file_bytes(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` but its lock (which holds the PID of the export last in it)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".lock"
    }


def file_times(folder: Path) -> dict[Path, tuple[int, int]]:
    """Every file below `folder` but a lock file, with its size and modification time."""
    found = {}
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):  # a file renamed or removed while we look
            if path.is_file() and not path.name.endswith(".lock"):
                found[path] = (path.stat().st_size, path.stat().st_mtime_ns)
    return found


def kill_once_writing(command: list[str], watched: Path) -> None:
    """Start `command` and kill -9 it as soon as a file below `watched` appears or changes."""
    before = file_times(watched)
    process = subprocess.Popen(command, cwd=watched.parent, env=ENV, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    try:
        while file_times(watched) == before:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


@pytest.mark.slow  # a real process killed: about 20 s
def test_a_kill_during_an_export_leaves_the_previous_export_whole_and_loadable(tmp_path):
    images, _ = synthetic_digits(16)
    config = TrainConfig(steps=1, batch_size=16, out=str(tmp_path / "out"),
                         checkpoint_dir=str(tmp_path / "ck"), tensorboard=False)  # fmt: skip
    train(config, images, log=lambda _: None)
    exports = tmp_path / "exports"
    folder = exports / "export"
    export = ["--checkpoint-dir", config.checkpoint_dir, "--out", str(folder)]
    assert export_main(export) == 0
    previous = file_bytes(folder)
    train(dataclasses.replace(config, steps=2), images, log=lambda _: None)  # a newer generator
    kill_once_writing([sys.executable, "-m", "dcgan_tf.export", *export], exports)
    assert file_bytes(folder) == previous
    keras.models.load_model(folder / "generator.keras")
    tf.saved_model.load(str(folder / "saved_model"))
    assert [p.parent for p in exports.rglob("export.json")] == [folder]  # nothing else looks done
    assert export_main(export) == 0  # the next export replaces it and leaves nothing beside it
    assert file_bytes(folder).keys() == previous.keys()
    assert file_bytes(folder)["generator.keras"] != previous["generator.keras"]
    assert [p for p in exports.iterdir() if p.is_dir()] == [folder]
