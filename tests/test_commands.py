"""Every command the Makefile, README.md and docs/*.md name still runs (issue 28): its `--help`
exits 0 with a usage line naming it. The commands are read out of those files, so a command that
moves or is renamed while a page or a make target still names it fails here.

`python -m dcgan_tf...` runs in this process as `python -m` runs it (`runpy`, as `__main__`),
which imports no TensorFlow for `--help`: the whole file takes 2 to 6 s here. What else a make
target runs (`$(PY) -m pytest`, `$(VENV)/bin/tensorboard`) must be installed beside this Python.
"""

from __future__ import annotations

import importlib.util
import re
import runpy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "Makefile", REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
# `python -m dcgan_tf.interpolate sweep --dim 3`, `$(PY) -m dcgan_tf.report $(or $(OUT),output)`:
# the module, and the word after it when that is a plain lowercase word (a subcommand). A name
# with a placeholder, `python -m dcgan_tf.tools.NAME`, names no one command.
DCGAN_COMMAND = re.compile(
    r"(?:python|\$\(PY\)) -m (dcgan_tf(?:\.[a-z][a-z0-9_]*)+)(?![.\w])(?: ([a-z]+)\b)?"
)
MODULE_RUN = re.compile(r"^\t\$\((?:PY|PYTHON)\) -m ([a-z][a-z0-9_.]*)")
VENV_PROGRAM = re.compile(r"^\t\$\(VENV\)/bin/([a-z][a-z0-9_-]*)")


def named_commands(text: str) -> set[tuple[str, ...]]:
    """('dcgan_tf.generate',), ('dcgan_tf.interpolate', 'sweep'), ... as `text` names them."""
    return {tuple(part for part in found if part) for found in DCGAN_COMMAND.findall(text)}


def make_targets(makefile: str) -> dict[str, list[str]]:
    """Each target of the Makefile with its recipe's lines (those starting with a tab)."""
    targets: dict[str, list[str]] = {}
    current = None
    for line in makefile.splitlines():
        rule = re.match(r"^([a-z][a-z-]*):", line)
        if rule:
            current = targets.setdefault(rule.group(1), [])
        elif line.startswith("\t") and current is not None:
            current.append(line)
        elif not line.startswith("#"):
            current = None
    return targets


MAKEFILE = (REPO / "Makefile").read_text()
TARGETS = make_targets(MAKEFILE)
COMMANDS = sorted(set().union(*(named_commands(page.read_text()) for page in PAGES)))


def help_of(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run `python -m MODULE [SUBCOMMAND] --help` in this process: (exit status, stdout)."""
    module, *subcommand = command
    saved = sys.argv
    sys.argv = [module, *subcommand, "--help"]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        status = 0  # a module that returns instead of exiting
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    finally:
        sys.argv = saved
    return status, capsys.readouterr().out


def test_the_pages_name_the_commands_of_the_makefile_and_more():
    """The parsing finds what is there: every make target's command, and README's own."""
    in_makefile = named_commands(MAKEFILE)
    assert ("dcgan_tf.generate",) in in_makefile
    assert ("dcgan_tf.tools.bench",) in in_makefile
    assert in_makefile < set(COMMANDS)
    assert ("dcgan_tf.interpolate", "sweep") in set(COMMANDS)


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_a_page_names_answers_help(command, capsys):
    status, out = help_of(command, capsys)
    assert status == 0
    assert out.startswith(f"usage: python -m {command[0]}")


# (target, how, name): how is "-m" for `$(PY) -m NAME`, "bin" for `$(VENV)/bin/NAME`.
MAKE_RUNS = sorted(
    {
        (target, "-m" if found.re is MODULE_RUN else "bin", found.group(1))
        for target, lines in TARGETS.items()
        for line in lines
        for found in [MODULE_RUN.match(line) or VENV_PROGRAM.match(line)]
        if found and not found.group(1).startswith("dcgan_tf")  # those answer --help above
    }
)


def test_the_makefile_s_other_runs_are_found():
    assert set(MAKE_RUNS) >= {
        ("test", "-m", "pytest"),
        ("lint", "-m", "ruff"),
        ("tensorboard", "bin", "tensorboard"),
    }


@pytest.mark.parametrize(("target", "how", "name"), MAKE_RUNS, ids=[" ".join(r) for r in MAKE_RUNS])
def test_what_else_a_make_target_runs_is_installed_beside_this_python(target, how, name):
    """`$(PY) -m NAME` is a module of this Python, `$(VENV)/bin/NAME` a program beside it."""
    if how == "bin":
        assert (Path(sys.executable).parent / name).exists()
    else:
        assert importlib.util.find_spec(name) is not None
