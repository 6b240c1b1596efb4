"""Work the training loop does beside training, as small hooks: grids, GIF, quality, summaries.

The loop (`training.loop.train`) calls every hook at five moments, in list order (`Hooks`):

    on_train_begin(state)                      once, after restoring, before the first step
    on_step_end(step, epoch, images, losses)   after each train step (1-based step over the run)
    on_epoch_end(epoch, state)                 after each whole epoch, before its checkpoint
    on_checkpoint(state)                       after each checkpoint (also on Ctrl-C)
    on_train_end(state)                        once, when the run is complete (not on Ctrl-C)

A hook overrides only what it needs. One that sets `stop_requested` (e.g. `--until-fid`) ends
the run after the epoch's checkpoint, as if it were the last epoch. The loop writes its counters
into `state` before `on_epoch_end`, `on_checkpoint` and `on_train_end`, so hooks may read
`state.step` and `state.epoch` there. A hook that keeps a record a resume must continue
(summaries, a journal) writes it at `on_checkpoint`: then the record holds exactly the steps the
checkpoint holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: a hook's module need not load TensorFlow
    from dcgan_tf.run.state import GanState


class Hook:
    """A no-op at every moment; subclasses override the moments they care about."""

    stop_requested: bool = False  # set to end the run after this epoch's checkpoint

    def on_train_begin(self, state: GanState) -> None:
        pass

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        pass

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        pass

    def on_checkpoint(self, state: GanState) -> None:
        pass

    def on_train_end(self, state: GanState) -> None:
        pass


class Hooks(Hook):
    """Several hooks as one, called in order; the run stops when any of them asks to."""

    def __init__(self, hooks: Iterable[Hook]) -> None:
        self.hooks = list(hooks)

    @property
    def stop_requested(self) -> bool:
        return any(hook.stop_requested for hook in self.hooks)

    def on_train_begin(self, state: GanState) -> None:
        for hook in self.hooks:
            hook.on_train_begin(state)

    def on_step_end(self, step: int, epoch: int, images: int, losses: dict[str, float]) -> None:
        for hook in self.hooks:
            hook.on_step_end(step, epoch, images, losses)

    def on_epoch_end(self, epoch: int, state: GanState) -> None:
        for hook in self.hooks:
            hook.on_epoch_end(epoch, state)

    def on_checkpoint(self, state: GanState) -> None:
        for hook in self.hooks:
            hook.on_checkpoint(state)

    def on_train_end(self, state: GanState) -> None:
        for hook in self.hooks:
            hook.on_train_end(state)
