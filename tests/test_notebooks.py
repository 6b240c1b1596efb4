"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, in its short mode
(DCGAN_TF_NOTEBOOK_SHORT=1), on offline data the test writes: a cell that errors fails.

The runner is nbclient (Jupyter's own execution library, what nbconvert --execute and papermill
run on); docs/python-api.md says why.
"""

import os
from pathlib import Path

import nbformat
import pytest
from conftest import write_mnist_dir
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def this_python_as_the_kernel(folder: Path, monkeypatch) -> None:
    """The kernel `python3` as this interpreter (its venv, its packages), found first: a
    Jupyter kernel of another Python installed on the machine is never used."""
    from ipykernel.kernelspec import install

    install(prefix=str(folder))
    monkeypatch.setenv("JUPYTER_PATH", str(folder / "share" / "jupyter"))


def outputs(notebook, kind: str) -> list:
    return [out for cell in notebook.cells for out in cell.get("outputs", []) if kind in out]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_notebook_runs_top_to_bottom_in_its_short_mode(path, tmp_path, monkeypatch):
    this_python_as_the_kernel(tmp_path / "kernel", monkeypatch)
    monkeypatch.setenv("DCGAN_TF_NOTEBOOK_SHORT", "1")
    monkeypatch.setenv(
        "DCGAN_TF_DATA_DIR", str(write_mnist_dir(tmp_path / "mnist", train=256, test=100))
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    work = tmp_path / "work"  # the kernel's folder: every run the notebook trains goes there
    work.mkdir()
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # a cell that raises fails the test (CellExecutionError)
    texts = [out["text"] for out in outputs(notebook, "text")]
    assert not any("\r" in text for text in texts)  # no carriage-return trail of a bar
    images = [kind for out in outputs(notebook, "data") for kind in out["data"]]
    assert "image/gif" in images and "image/png" in images  # the grids and the GIF, inline
    assert (work / "runs" / "digits" / "out" / "quality.csv").exists()
