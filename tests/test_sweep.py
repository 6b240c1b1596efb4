"""The latent sweep: one noise dimension from low to high across the columns ("Z changes"), and
for a conditional model the labels with the noise held ("X changes")."""

import imageio.v3 as iio
import numpy as np
import pytest

from dcgan_tf.config import TrainConfig, save_config
from dcgan_tf.generator.sampling import draw_noise, generate_pixels, load_run, sweep_noise
from dcgan_tf.interpolate import main as interpolate_main
from dcgan_tf.run.checkpoints import make_manager
from dcgan_tf.run.state import build_state


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Saved (untrained) runs of the one-hidden-layer GAN and of the carpedm20 conditional GAN."""
    root = tmp_path_factory.mktemp("runs")
    for model in ("gan", "carpedm20"):
        state = build_state(100, 1e-3, seed=0, model=model)
        make_manager(state, root / model).save()
        save_config(TrainConfig(model=model, out=str(root / model / "out")), root / model)
    return root


def sweep(runs, model, tmp_path, *flags) -> int:
    return interpolate_main(
        ["sweep", "--checkpoint-dir", str(runs / model), "--out", str(tmp_path), *flags]
    )


def test_sweep_noise_moves_only_the_chosen_dimension():
    base = np.random.default_rng(0).uniform(-1, 1, (2, 6)).astype(np.float32)
    noise = sweep_noise(base, 3, np.linspace(-1, 1, 5))
    assert noise.shape == (2, 5, 6)
    np.testing.assert_array_equal(noise[1, :, 3], np.linspace(-1, 1, 5).astype(np.float32))
    others = [0, 1, 2, 4, 5]
    np.testing.assert_array_equal(noise[:, :, others], np.repeat(base[:, None, others], 5, axis=1))


def test_the_sweep_grid_has_a_row_per_base_vector_from_low_to_high(runs, tmp_path):
    assert sweep(runs, "gan", tmp_path, "--dim", "7", "--rows", "3", "--steps", "5") == 0
    grid = iio.imread(tmp_path / "sweep_dim7.png")
    assert grid.shape == (3 * (3 * 30 + 2), 3 * (5 * 30 + 2))  # 3 rows x 5 columns
    frames = iio.imread(tmp_path / "sweep_dim7.gif", index=None)
    assert len(frames) == 2 * 5 - 2  # there and back
    # Row 0, last column: the first base vector with dimension 7 at the top of U(-1, 1).
    state, _, _ = load_run(runs / "gan")
    z = draw_noise(state.spec, 3, 100, seed=0).numpy()[:1]
    z[0, 7] = 1.0
    expected = generate_pixels(state, z)[0, ..., 0].repeat(3, 0).repeat(3, 1)
    np.testing.assert_array_equal(grid[6 : 6 + 84, 3 * (2 + 4 * 30) :][:, :84], expected)


def test_a_conditional_model_also_gets_the_label_sweep(runs, tmp_path):
    assert sweep(runs, "carpedm20", tmp_path, "--rows", "4", "--steps", "3") == 0
    assert iio.imread(tmp_path / "sweep_dim0.png").shape == (3 * (4 * 30 + 2), 3 * (3 * 30 + 2))
    labels = iio.imread(tmp_path / "sweep_labels.png")
    assert labels.shape == (3 * (10 * 30 + 2), 3 * (4 * 30 + 2))  # digits down, 4 noises across
    assert len(iio.imread(tmp_path / "sweep_labels.gif", index=None)) == 18
    top, bottom = labels[6 : 6 + 84, 6 : 6 + 84], labels[-90:-6, 6 : 6 + 84]
    assert not np.array_equal(top, bottom)  # digit 0 and digit 9 of the same noise


def test_a_dimension_outside_the_noise_is_one_line_error(runs, tmp_path, capsys):
    assert sweep(runs, "gan", tmp_path, "--dim", "100") == 2
    assert capsys.readouterr().err.strip() == "error: --dim must be in 0..99 (--noise-dim 100)"
