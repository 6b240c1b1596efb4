"""Sample-quality metrics, computed on a digit classifier's outputs and features (pure numpy).

Inception-based FID needs weights that cannot be downloaded here and fits 28x28 digits badly; the
usual practice for MNIST is the same statistics in the feature space of a digit classifier.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-12
# Memory an evaluation takes per sample, all told: its noise, its pixels (uint8, then float32),
# its 128 features (float32, then two float64 copies for FID), its probabilities, k-NN radius.
BYTES_PER_SAMPLE = 8192


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
    """FID: the Fréchet distance between Gaussians fitted to two sets of features (N, D)."""
    f1, f2 = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    return frechet_distance(
        f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False)
    )


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
