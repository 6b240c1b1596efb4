"""`pip install .`: pyproject.toml declares requirements.txt's dependencies and every module."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def requirement_lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"}


def copy_of_the_project(folder: Path) -> Path:
    """The files a build reads, copied, so that building writes nothing into the checkout."""
    project = folder / "project"
    shutil.copytree(
        REPO / "dcgan_tf", project / "dcgan_tf", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, project / name)
    return project


def test_pyproject_declares_the_same_dependencies_as_requirements_txt():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["dev"])
    assert declared == requirement_lines((REPO / "requirements.txt").read_text())


def test_the_wheel_holds_every_module_of_the_package(tmp_path):
    project = copy_of_the_project(tmp_path)
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*build, "-w", str(tmp_path / "dist"), str(project)], check=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("dcgan_tf-*.whl")
    packed = {name for name in zipfile.ZipFile(wheel).namelist() if name.endswith(".py")}
    source = {str(p.relative_to(REPO)) for p in (REPO / "dcgan_tf").rglob("*.py")}
    assert packed == source
    assert "dcgan_tf/explorer/page.html" in zipfile.ZipFile(wheel).namelist()  # package data


@pytest.mark.slow
def test_pip_install_into_a_fresh_venv_gives_a_working_command(tmp_path):
    project = copy_of_the_project(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [str(python), "-m", "pip", "install", "-q", str(project)]
    subprocess.run(install, check=True, timeout=1500)
    done = subprocess.run(
        [str(python), "-m", "dcgan_tf.generate", "--help"],
        cwd=tmp_path,  # not the checkout: the installed package answers
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "--epochs" in done.stdout and "python -m dcgan_tf.generate" in done.stdout
