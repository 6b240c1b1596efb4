"""Using a trained generator: sample (three formats, labels, styles) and interpolate."""

import imageio.v3 as iio
import numpy as np
import pytest
from conftest import synthetic_digits

from dcgan_tf.config import TrainConfig
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, lerp, load_run, slerp
from dcgan_tf.interpolate import main as interpolate_main
from dcgan_tf.sample import main as sample_main
from dcgan_tf.training.loop import train


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One-epoch checkpoints of the tutorial's DCGAN and of the conditional DCGAN."""
    root = tmp_path_factory.mktemp("runs")
    images, labels = synthetic_digits(64)
    for model in ("dcgan", "cdcgan"):
        config = TrainConfig(model=model, epochs=1, batch_size=32, out=str(root / model / "out"),
                             checkpoint_dir=str(root / model / "ck"))  # fmt: skip
        train(config, images, log=lambda _: None, image_labels=labels)
    return root


def sample(runs, model, *flags):
    return sample_main(["--checkpoint-dir", str(runs / model / "ck"), *flags])


def test_sample_writes_exactly_n_images_in_each_format(runs, tmp_path):
    assert sample(runs, "dcgan", "--num", "5", "--output", str(tmp_path / "g.png")) == 0
    assert iio.imread(tmp_path / "g.png").shape == (3 * 62, 3 * 92)  # 2 rows of 3
    assert (
        sample(runs, "dcgan", "--num", "5", "--format", "png", "--output", str(tmp_path / "p")) == 0
    )
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == [
        f"sample_{i:04d}.png" for i in range(5)
    ]
    assert iio.imread(tmp_path / "p" / "sample_0000.png").shape == (28, 28)
    assert (
        sample(runs, "dcgan", "--num", "5", "--format", "npy", "--output", str(tmp_path / "a.npy"))
        == 0
    )
    array = np.load(tmp_path / "a.npy")
    assert (array.shape, array.dtype) == ((5, 28, 28), np.uint8)
    np.testing.assert_array_equal(array[0], iio.imread(tmp_path / "p" / "sample_0000.png"))


def test_sample_is_identical_for_the_same_seed_and_not_for_another(runs, tmp_path):
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        sample(runs, "dcgan", "--num", "4", "--format", "npy", "--seed", seed,
               "--output", str(tmp_path / f"{name}.npy"))  # fmt: skip
    a, b, c = (np.load(tmp_path / f"{n}.npy") for n in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_sample_label_draws_only_that_digit(runs, tmp_path):
    state, config, _ = load_run(runs / "cdcgan" / "ck")
    noise = draw_noise(state.spec, 3, config.noise_dim, seed=0)
    sevens = generate_pixels(state, noise, np.full(3, 7))
    args = ["--num", "3", "--label", "7", "--format", "npy", "--output", str(tmp_path / "7.npy")]
    assert sample(runs, "cdcgan", *args) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "7.npy"), sevens[..., 0])
    assert not np.array_equal(sevens, generate_pixels(state, noise, np.full(3, 2)))


def test_digits_by_style_is_ten_rows_by_k_columns(runs, tmp_path):
    assert sample(runs, "cdcgan", "--by-style", "5", "--output", str(tmp_path / "s.png")) == 0
    assert iio.imread(tmp_path / "s.png").shape == (3 * (10 * 30 + 2), 3 * (5 * 30 + 2))


def test_a_label_for_an_unconditional_model_is_a_clear_error(runs, capsys):
    assert sample(runs, "dcgan", "--label", "7") == 2
    expected = "holds a 'dcgan' model; --label and --by-style need cdcgan or carpedm20"
    assert expected in capsys.readouterr().err


def test_sampling_a_checkpoint_of_another_model_type_is_a_clear_error(runs, capsys):
    assert sample(runs, "dcgan", "--model", "cdcgan", "--label", "7") == 2
    assert "holds a 'dcgan' model, not 'cdcgan' (--model)" in capsys.readouterr().err


def test_sampling_without_a_checkpoint_is_a_clear_error(tmp_path, capsys):
    assert sample_main(["--checkpoint-dir", str(tmp_path)]) == 2
    assert "no checkpoint in" in capsys.readouterr().err


def test_interpolation_paths_start_and_end_at_the_endpoints():
    rng = np.random.default_rng(0)
    z0, z1 = rng.normal(size=100), 2 * rng.normal(size=100)
    for path in (lerp(z0, z1, 7), slerp(z0, z1, 7)):
        assert path.shape == (7, 100)
        np.testing.assert_allclose(path[0], z0, atol=1e-12)
        np.testing.assert_allclose(path[-1], z1, atol=1e-12)


def test_slerp_keeps_the_norm_between_the_endpoints_norms():
    rng = np.random.default_rng(1)
    z0, z1 = rng.normal(size=100), 1.5 * rng.normal(size=100)
    norms = np.linalg.norm(slerp(z0, z1, 11), axis=1)
    low, high = sorted((np.linalg.norm(z0), np.linalg.norm(z1)))
    assert (norms >= low - 1e-9).all() and (norms <= high + 1e-9).all()
    # The straight line cuts through the middle, where the norm dips below both.
    assert np.linalg.norm(lerp(z0, z1, 11), axis=1).min() < low


@pytest.mark.parametrize("method", ["linear", "slerp"])
def test_each_row_runs_from_g_of_z0_to_g_of_z1(runs, tmp_path, method):
    args = ["--checkpoint-dir", str(runs / "dcgan" / "ck"), "--rows", "2", "--steps", "4",
            "--method", method, "--seed", "3", "--out", str(tmp_path)]  # fmt: skip
    assert interpolate_main(args) == 0
    state, config, _ = load_run(runs / "dcgan" / "ck")
    endpoints = draw_noise(state.spec, 4, config.noise_dim, seed=3)
    expected = generate_pixels(state, endpoints)  # z0 of rows 1, 2, then z1 of rows 1, 2
    grid = iio.imread(tmp_path / f"interpolation_{method}.png")[::3, ::3]  # undo the 3x zoom
    tile = lambda row, col: grid[2 + 30 * row : 30 * row + 30, 2 + 30 * col : 30 * col + 30]  # noqa: E731
    for row in range(2):
        np.testing.assert_allclose(tile(row, 0), expected[row, ..., 0], atol=1)
        np.testing.assert_allclose(tile(row, 3), expected[2 + row, ..., 0], atol=1)
    frames = iio.imread(tmp_path / f"interpolation_{method}.gif", index=None)
    assert frames.shape[0] == 6  # 4 steps there, 2 between on the way back


def exit_status(command, argv) -> int:
    """A command's exit status, whether it returns it or argparse exits with it."""
    try:
        return command(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize(
    ("command", "flags", "message"),
    [
        (sample_main, ["--num", "0"], "--num and --by-style must be at least 1"),
        (sample_main, ["--format", "gif"], "argument --format: invalid choice"),
        (interpolate_main, ["--steps", "1"], "--steps at least 2"),
        (interpolate_main, ["--label", "12"], "argument --label: invalid choice"),
    ],
)
def test_bad_arguments_are_one_line_errors(runs, capsys, command, flags, message):
    assert exit_status(command, ["--checkpoint-dir", str(runs / "dcgan" / "ck"), *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert message in err


def test_interpolating_more_rows_than_digits_starts_again_at_zero(runs, tmp_path):
    args = ["--checkpoint-dir", str(runs / "cdcgan" / "ck"), "--rows", "12", "--steps", "2",
            "--method", "linear", "--out", str(tmp_path)]  # fmt: skip
    assert interpolate_main(args) == 0
    state, config, _ = load_run(runs / "cdcgan" / "ck")
    endpoints = draw_noise(state.spec, 24, config.noise_dim, seed=0)
    row_11 = generate_pixels(state, endpoints[11:12], np.array([1]))  # row 11 is digit 1
    grid = iio.imread(tmp_path / "interpolation_linear.png")[::3, ::3]
    np.testing.assert_allclose(grid[2 + 30 * 11 : 30 * 12, 2:30], row_11[0, ..., 0], atol=1)
