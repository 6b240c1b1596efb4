"""The metrics' definitions, checked against closed forms and brute-force computations."""

import math
import time

import numpy as np
import pytest

from dcgan_tf.evaluation.metrics import (
    class_histogram,
    classifier_score,
    fid,
    frechet_distance,
    kid,
    kl_from_uniform,
    mmd2_unbiased,
    pairwise_distances,
    precision_recall_coverage,
    rare_classes,
)


def random_cov(rng, dim):
    a = rng.normal(size=(dim, dim))
    return a @ a.T + 0.1 * np.eye(dim)


def test_frechet_distance_of_diagonal_gaussians_has_its_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    closed = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    assert frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(closed)


def test_frechet_distance_agrees_with_the_eigenvalues_of_the_covariance_product():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    c1, c2 = random_cov(rng, 5), random_cov(rng, 5)
    # Independent route: Tr((C1 C2)^1/2) = sum of the square roots of eig(C1 C2).
    trace_sqrt = np.sqrt(np.linalg.eigvals(c1 @ c2).real).sum()
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(c1) + np.trace(c2) - 2 * trace_sqrt
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-9)


def test_fid_of_samples_approaches_the_closed_form_of_their_gaussians():
    rng = np.random.default_rng(1)
    c1, c2 = random_cov(rng, 4), random_cov(rng, 4)
    mu2 = np.array([1.0, -1.0, 0.5, 0.0])
    x = rng.multivariate_normal(np.zeros(4), c1, size=200_000)
    y = rng.multivariate_normal(mu2, c2, size=200_000)
    assert fid(x, y) == pytest.approx(frechet_distance(np.zeros(4), c1, mu2, c2), rel=0.02)


def test_fid_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(2).normal(size=(500, 8))
    assert fid(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fid_of_fewer_samples_than_dimensions_agrees_with_the_covariance_form():
    rng = np.random.default_rng(6)
    f1, f2 = rng.normal(size=(7, 12)), rng.normal(0.5, 2.0, size=(9, 12))
    gaussians = (f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))
    assert fid(f1, f2) == pytest.approx(frechet_distance(*gaussians), rel=1e-6)


def test_fid_of_a_few_pictures_in_inception_s_2048_dimensions_takes_no_eigendecomposition():
    rng = np.random.default_rng(7)
    f1, f2 = np.abs(rng.normal(size=(10, 2048))), np.abs(rng.normal(size=(8, 2048)))
    start = time.perf_counter()
    fid(f1, f2)
    assert time.perf_counter() - start < 2  # two 2048 x 2048 eigendecompositions: 10-20 s here


def test_kid_of_a_hand_computed_example():
    # d = 1, k(a, b) = (ab + 1)^3. Within x: k(0, 1) = 1; within y: k(1, 2) = 27; across:
    # k(0, 1) = k(0, 2) = 1, k(1, 1) = 8, k(1, 2) = 27, mean 37 / 4. MMD^2 = 1 + 27 - 2 * 9.25.
    x, y = np.array([[0.0], [1.0]]), np.array([[1.0], [2.0]])
    assert mmd2_unbiased(x, y) == pytest.approx(9.5)
    assert kid(x, y, subsets=5) == pytest.approx((9.5, 0.0))  # each subset is the whole set


def test_mmd2_unbiased_agrees_with_a_loop_over_pairs():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6, 4)), rng.normal(1.0, size=(5, 4))

    def k(a, b):
        return (a @ b / 4 + 1) ** 3

    within_x = sum(k(x[i], x[j]) for i in range(6) for j in range(6) if i != j) / 30
    within_y = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / 20
    across = sum(k(a, b) for a in x for b in y) / 30
    assert mmd2_unbiased(x, y) == pytest.approx(within_x + within_y - 2 * across, rel=1e-5)


def test_kid_of_one_set_is_near_zero_and_of_a_shifted_set_clearly_positive():
    features = np.abs(np.random.default_rng(4).normal(size=(600, 32)))  # like pool features
    same_mean, same_std = kid(features, features, subsets=50, subset_size=200)
    shifted_mean, shifted_std = kid(features, features + 0.3, subsets=50, subset_size=200)
    assert abs(same_mean) < 3 * same_std
    assert shifted_mean > 10 * shifted_std > 0
    assert shifted_mean > 100 * abs(same_mean)


def test_kid_takes_smaller_subsets_when_there_are_fewer_samples():
    rng = np.random.default_rng(5)
    few, many = rng.normal(size=(8, 3)), rng.normal(size=(50, 3))
    mean, std = kid(few, many, subsets=10)  # subsets of 8, not of 1,000
    assert np.isfinite(mean) and std > 0
    with pytest.raises(ValueError, match="at least 2"):
        kid(few[:1], many)


def test_classifier_score_is_ten_for_confident_even_classes_and_one_for_collapse():
    confident_even = np.eye(10)[np.arange(1000) % 10]
    assert classifier_score(confident_even) == pytest.approx(10.0, rel=1e-6)
    assert classifier_score(np.eye(10)[np.zeros(1000, int)]) == pytest.approx(1.0)
    assert classifier_score(np.full((1000, 10), 0.1)) == pytest.approx(1.0)


def test_histogram_kl_and_rare_classes_flag_a_collapse_onto_few_digits():
    probs = np.eye(10)[np.array([0] * 50 + [1] * 48 + [2] * 2)]
    histogram = class_histogram(probs)
    np.testing.assert_allclose(histogram[:3], [0.5, 0.48, 0.02])
    assert rare_classes(histogram) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert kl_from_uniform(np.full(10, 0.1)) == pytest.approx(0.0)
    assert kl_from_uniform(np.eye(10)[0]) == pytest.approx(math.log(10))


def brute_force(real, fake, k=3):
    """Precision, recall and coverage with plain loops, straight from the papers."""

    def radius(points, i):
        return sorted(np.linalg.norm(points - points[i], axis=1))[k]

    real_r = [radius(real, i) for i in range(len(real))]
    fake_r = [radius(fake, j) for j in range(len(fake))]
    dist = lambda a, b: np.linalg.norm(a - b)  # noqa: E731
    precision = np.mean([any(dist(f, r) <= real_r[i] for i, r in enumerate(real)) for f in fake])
    recall = np.mean([any(dist(r, f) <= fake_r[j] for j, f in enumerate(fake)) for r in real])
    coverage = np.mean([any(dist(r, f) <= real_r[i] for f in fake) for i, r in enumerate(real)])
    return {"precision": precision, "recall": recall, "coverage": coverage}


def test_precision_recall_coverage_agree_with_a_brute_force_computation():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(60, 3))
    fake = rng.normal(loc=0.7, scale=1.3, size=(45, 3))
    ours = precision_recall_coverage(real, fake, k=3)
    expected = brute_force(real, fake, k=3)
    for key in ("precision", "recall", "coverage"):
        assert ours[key] == pytest.approx(expected[key], abs=1e-9), key


def test_precision_recall_coverage_in_blocks_match_one_block():
    """Blocks of 7 (each k-NN radius from blocks of 7 x 7 distances) give what one block does and
    what the brute force gives: memory no longer grows with reals x fakes."""
    rng = np.random.default_rng(6)
    real = rng.normal(size=(60, 3))
    fake = rng.normal(loc=0.5, scale=1.2, size=(45, 3))
    in_blocks = precision_recall_coverage(real, fake, k=3, chunk=7)
    assert in_blocks == precision_recall_coverage(real, fake, k=3, chunk=4096)
    expected = brute_force(real, fake, k=3)
    for key in ("precision", "recall", "coverage"):
        assert in_blocks[key] == pytest.approx(expected[key], abs=1e-9), key


def test_far_away_samples_have_zero_precision_recall_and_coverage():
    rng = np.random.default_rng(4)
    scores = precision_recall_coverage(rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 100)
    assert scores == {"precision": 0.0, "recall": 0.0, "coverage": 0.0}


def test_pairwise_distances_in_chunks_match_numpy():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(7, 4)), rng.normal(size=(5, 4))
    expected = np.linalg.norm(a[:, None] - b[None], axis=2)
    np.testing.assert_allclose(pairwise_distances(a, b, chunk=3), expected, atol=1e-5)
