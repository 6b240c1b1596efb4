"""Line plots of a run's series against the training step: the losses, the quality measurements."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

from dcgan_tf.common.files import write_atomic

matplotlib.use("Agg")  # files only, no window: works on servers and in CI
import matplotlib.pyplot as plt


def plot_series(
    steps: Sequence[int],
    series: dict[str, Sequence[float]],
    path: str | Path,
    ylabel: str | None = None,
) -> Path:
    """Plot each series against the training iteration: on one axes when `ylabel` names their
    common unit (the losses), else one panel each (FID and classifier score differ in scale)."""
    panels = 1 if ylabel else len(series)
    fig, axes = plt.subplots(panels, 1, figsize=(8, 3 + 1.5 * panels), squeeze=False)
    for i, (name, values) in enumerate(series.items()):
        ax = axes[0 if ylabel else i, 0]
        ax.plot(steps, values, label=name, linewidth=0.8, marker=None if ylabel else "o")
        ax.set_ylabel(ylabel or name)
        ax.grid(alpha=0.3)
    if ylabel:
        axes[0, 0].legend()
    axes[-1, 0].set_xlabel("iteration")
    fig.tight_layout()
    try:
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=100)
        return write_atomic(path, png.getvalue())
    finally:
        plt.close(fig)
