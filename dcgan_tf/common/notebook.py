"""Running inside a notebook (a Jupyter or Colab kernel): detecting it, and showing things there.

Nothing here imports IPython unless the process already runs one: a terminal never pays for it.
A plain `ipython` shell in a terminal is no notebook: it shows no pictures, so it counts as none.
"""

from __future__ import annotations

import sys
from pathlib import Path


def in_notebook() -> bool:
    """Whether this code runs in an IPython kernel (Jupyter, JupyterLab, Colab, VS Code)."""
    if "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return getattr(shell, "kernel", None) is not None


class LiveLine:
    """One line of a cell's output, rewritten in place (a display id, no widgets): a progress
    bar that leaves one line per epoch in the saved notebook, not a carriage-return trail."""

    def __init__(self, text: str = "") -> None:
        from IPython.display import display

        self.handle = display({"text/plain": text}, raw=True, display_id=True)

    def update(self, text: str) -> None:
        self.handle.update({"text/plain": text}, raw=True)


def show_image(path: str | Path) -> None:
    """Show a PNG or GIF file in the cell's output."""
    from IPython.display import Image, display

    display(Image(filename=str(path)))
