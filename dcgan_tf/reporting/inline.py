"""A run's pictures in a notebook's cell output: each epoch's grid as it is drawn, the GIF at the
end. The Python API's `train` adds this hook when it runs in a notebook (`common/notebook.py`)."""

from __future__ import annotations

from pathlib import Path

from dcgan_tf.common.notebook import show_image
from dcgan_tf.run.hooks import Hook
from dcgan_tf.run.state import GanState
from dcgan_tf.tutorial.images import EPOCH_IMAGE, GIF_NAME


class InlineImages(Hook):
    """After each epoch, the grid `ProgressGrids` (which runs first) has just written; at the end
    of the run, the GIF. Shown with `show` (IPython's display by default)."""

    def __init__(self, out: str | Path, show=show_image) -> None:
        self.out, self.show = Path(out), show

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        grid = self.out / EPOCH_IMAGE.format(epoch)
        if grid.exists():
            self.show(grid)

    def on_train_end(self, state: GanState) -> None:
        gif = self.out / GIF_NAME
        if gif.exists():
            self.show(gif)
