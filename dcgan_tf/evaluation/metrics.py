"""Sample-quality metrics on features and class probabilities (pure numpy).

For digits, the features are a digit classifier's (Inception fits 28x28 digits badly; the usual
practice for MNIST is the same statistics in a digit classifier's feature space); for other
pictures, Inception-v3's pool features (`inception.py`): FID and KID are the same maths in both.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-12
# Memory an evaluation takes per sample, all told: its noise, its pixels (uint8, then float32),
# its 128 features (float32, then two float64 copies for FID), its probabilities, k-NN radius.
BYTES_PER_SAMPLE = 8192
# The same with Inception (`inception.py`): a picture's pixels (128x128x3 at most), its 2048
# features (float32, then two float64 copies for FID), with room to spare.
PICTURE_BYTES_PER_SAMPLE = 131_072


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """Fréchet distance of two Gaussians: |mu1 - mu2|^2 + Tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2).

    Tr((C1 C2)^1/2) is computed as the sum of the square roots of the eigenvalues of the symmetric
    C1^1/2 C2 C1^1/2, which is stable and needs no complex matrix square root.
    """
    values, vectors = np.linalg.eigh(cov1)
    sqrt_cov1 = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = sqrt_cov1 @ cov2 @ sqrt_cov1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1) + np.trace(cov2) - 2 * trace_sqrt)


def fid(features1: np.ndarray, features2: np.ndarray) -> float:
    """FID: the Fréchet distance between Gaussians fitted to two sets of features (N, D).

    With fewer features than dimensions (a few pictures in Inception's 2048), computed from the
    N1 x N2 products of the features instead of two D x D eigendecompositions: the same number.
    """
    f1, f2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if min(len(f1), len(f2)) <= f1.shape[1]:
        return few_samples_fid(f1, f2)
    return frechet_distance(
        f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
    )


def few_samples_fid(f1: np.ndarray, f2: np.ndarray) -> float:
    """FID through the centered features X1 (N1, D), X2 (N2, D): C_i = X_i^T X_i / (N_i - 1),
    and the non-zero eigenvalues of C1 C2 are the squared singular values of X1 X2^T over
    (N1 - 1)(N2 - 1), so Tr((C1 C2)^1/2) is the sum of those singular values, scaled."""
    x1, x2 = f1 - f1.mean(0), f2 - f2.mean(0)
    n1, n2 = len(f1) - 1, len(f2) - 1
    trace_sqrt = np.linalg.svd(x1 @ x2.T, compute_uv=False).sum() / np.sqrt(n1 * n2)
    diff = f1.mean(0) - f2.mean(0)
    return float(diff @ diff + (x1 * x1).sum() / n1 + (x2 * x2).sum() / n2 - 2 * trace_sqrt)


KID_SUBSETS, KID_SUBSET_SIZE = 100, 1000  # as clean-fid and torch-fidelity measure KID


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """KID's kernel k(x, y) = (x.y / d + 1)^3 for every row pair, float64 (len(x), len(y)).

    The dot products in float32 (KID's cost is these matrix products), the cube in float64."""
    dots = np.asarray(x, np.float32) @ np.asarray(y, np.float32).T
    return (dots.astype(np.float64) / np.shape(x)[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased estimate of MMD^2 between the sets x (m, d) and y (n, d), in the cubic
    polynomial kernel: the mean of k over distinct pairs within x, plus within y, minus twice
    the mean of k across x and y (Binkowski et al. 2018, eq. 3)."""
    m, n = len(x), len(y)
    kxx, kyy = polynomial_kernel(x, x), polynomial_kernel(y, y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2 * polynomial_kernel(x, y).mean())


def kid(
    features1: np.ndarray,
    features2: np.ndarray,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (Binkowski et al. 2018): the mean and standard deviation of `mmd2_unbiased` over
    `subsets` pairs of random subsets (drawn without replacement) of `subset_size` rows each,
    fewer rows when a set is smaller. Near 0 for two sets of one distribution (it can be
    slightly negative: the estimate is unbiased); larger the further apart they are."""
    size = min(subset_size, len(features1), len(features2))
    if size < 2:
        raise ValueError(f"KID needs at least 2 features in each set, got {size}")
    if size == len(features1) == len(features2):
        subsets = 1  # every subset is the whole of both sets: one value, spread 0
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(
            features1[np.sort(rng.choice(len(features1), size, replace=False))],
            features2[np.sort(rng.choice(len(features2), size, replace=False))],
        )
        for _ in range(subsets)
    ]
    return float(np.mean(values)), float(np.std(values))


def classifier_score(probs: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))): the Inception Score with a digit classifier, 1 to 10.

    High when each sample is read confidently as one class and the classes are used evenly.
    """
    probs = np.asarray(probs, np.float64)
    marginal = probs.mean(0, keepdims=True)
    kl = (probs * (np.log(probs + EPS) - np.log(marginal + EPS))).sum(1)
    return float(np.exp(kl.mean()))


def class_histogram(probs: np.ndarray) -> np.ndarray:
    """Share of the samples the classifier assigns to each class (argmax), summing to 1."""
    predicted = np.asarray(probs).argmax(1)
    return np.bincount(predicted, minlength=probs.shape[1]) / len(predicted)


def kl_from_uniform(histogram: np.ndarray) -> float:
    """KL(histogram || uniform) in nats: 0 when every class is equally common, log(K) at most."""
    h = np.asarray(histogram, np.float64)
    nonzero = h > 0
    return float((h[nonzero] * np.log(h[nonzero] * len(h))).sum())


def rare_classes(histogram: np.ndarray, threshold: float = 0.05) -> list[int]:
    """Classes with under `threshold` of the samples: the modes a collapsed GAN misses."""
    return [int(k) for k in np.flatnonzero(np.asarray(histogram) < threshold)]


def pairwise_distances(a: np.ndarray, b: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Euclidean distances (len(a), len(b)) in float32, computed in row chunks."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    b_sq = (b * b).sum(1)
    out = np.empty((len(a), len(b)), np.float32)
    for start in range(0, len(a), chunk):
        rows = a[start : start + chunk]
        sq = (rows * rows).sum(1)[:, None] + b_sq[None, :] - 2 * rows @ b.T
        out[start : start + chunk] = np.sqrt(np.clip(sq, 0, None))
    return out


def knn_radii(features: np.ndarray, k: int = 3, chunk: int = 2048) -> np.ndarray:
    """Distance from each point to its k-th nearest other point of the same set.

    In blocks of `chunk` x `chunk` distances, keeping each row's k + 1 nearest so far: memory
    does not grow with the square of the set."""
    radii = np.empty(len(features), np.float32)
    for start in range(0, len(features), chunk):
        rows = features[start : start + chunk]
        nearest = np.empty((len(rows), 0), np.float32)
        for column in range(0, len(features), chunk):
            block = pairwise_distances(rows, features[column : column + chunk])
            nearest = np.concatenate([nearest, block], axis=1)
            if nearest.shape[1] > k + 1:
                nearest = np.partition(nearest, k, axis=1)[:, : k + 1]
        # Index 0 of each sorted row is the point itself, at distance 0.
        radii[start : start + chunk] = np.partition(nearest, k, axis=1)[:, k]
    return radii


def precision_recall_coverage(
    real: np.ndarray, fake: np.ndarray, k: int = 3, chunk: int = 2048
) -> dict[str, float]:
    """Precision and recall of Kynkäänniemi et al. 2019, and coverage of Naeem et al. 2020.

    Each set's manifold is the union of balls around its points, of radius the distance to the
    point's k-th nearest neighbour in the same set.
    - precision: share of fakes inside the real manifold (are the samples realistic?)
    - recall: share of reals inside the fake manifold (is the variety of the data produced?)
    - coverage: share of reals whose own ball holds at least one fake (recall that is not fooled
      by a few outlying fakes with huge balls)
    The fakes are taken `chunk` at a time: memory grows with the number of fakes, not with
    reals x fakes.
    """
    real_radii, fake_radii = knn_radii(real, k, chunk), knn_radii(fake, k, chunk)
    realistic = np.zeros(len(fake), bool)  # fake j inside some real ball
    recalled = np.zeros(len(real), bool)  # real i inside some fake ball
    covered = np.zeros(len(real), bool)  # real i's ball holds some fake
    for start in range(0, len(fake), chunk):
        distances = pairwise_distances(real, fake[start : start + chunk])  # (R, chunk)
        inside_real = distances <= real_radii[:, None]  # fake j inside the ball of real i
        realistic[start : start + chunk] = inside_real.any(0)
        covered |= inside_real.any(1)
        recalled |= (distances <= fake_radii[None, start : start + chunk]).any(1)
    return {
        "precision": float(realistic.mean()),
        "recall": float(recalled.mean()),
        "coverage": float(covered.mean()),
    }
