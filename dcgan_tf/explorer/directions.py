"""The latent directions that change one image most: the top right-singular vectors of the
generator's Jacobian at that noise vector, estimated by finite differences.

For a noise vector z of D numbers, the generator is run once on a batch of D + 1 vectors: z and
z + EPSILON * e_i for each noise dimension i. The pixel changes, divided by EPSILON, are the
columns of J (pixels x D), the generator's Jacobian at z. Its singular value decomposition
J = U S V^T gives the directions: the first row of V^T is the unit step in noise space that
moves the image's pixels most, the second the most among those at right angles to the first,
and so on; S says how much (pixel change, in [-1, 1] units, per unit of noise). Pure numpy:
the caller passes the generator as a function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EPSILON = 0.05  # the step of the finite differences, in noise units (z's spread is 1)
BATCH = 256  # noise vectors per generator call


def jacobian(render: Callable[[np.ndarray], np.ndarray], z: np.ndarray) -> np.ndarray:
    """(pixels, D): d image / d z at `z` (D,), by forward differences. `render` maps float32
    noise (N, D) to float images (N, ...) in any shape."""
    dim = z.shape[0]
    points = np.concatenate([z[None, :], z[None, :] + EPSILON * np.eye(dim)]).astype(np.float32)
    outputs = np.concatenate(
        [np.asarray(render(points[s : s + BATCH]), np.float64) for s in range(0, dim + 1, BATCH)]
    ).reshape(dim + 1, -1)
    return ((outputs[1:] - outputs[0]) / EPSILON).T


def top_directions(
    render: Callable[[np.ndarray], np.ndarray], z: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The `count` unit directions (count, D) that change render(z) most, strongest first, and
    their strengths (count,): each one's pixel change per unit of noise. Each direction's sign
    is fixed (its largest component positive), so that the same z gives the same sliders."""
    _, strengths, vt = np.linalg.svd(jacobian(render, z), full_matrices=False)
    directions = vt[:count]
    signs = np.sign(directions[np.arange(len(directions)), np.abs(directions).argmax(1)])
    return directions * signs[:, None], strengths[:count]
