"""The package's floors (docs/layout.md): a module imports only from its own folder or below;
and the package says what it holds: its docstrings list every command, folder and module."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dcgan_tf"
# Bottom first. The user's commands at the top of dcgan_tf/ (and cli.py) are the top floor but
# one; tools/, the maintainers' commands and their parts, is above them.
FLOORS = [
    "common",
    "config",
    "tutorial",
    "data",
    "models",
    "options",
    "run",
    "training",
    "generator",
    "evaluation",
    "reporting",
    "explorer",
    "top",
    "tools",
]


def floor_of(module: str) -> str:
    """'dcgan_tf.run.checkpoints' -> 'run'; a command at the top or cli.py -> 'top'."""
    parts = module.split(".")
    folder = parts[1] if len(parts) > 1 else ""
    return folder if folder in FLOORS else "top"


def imports(path: Path) -> set[str]:
    """The dcgan_tf modules `path` imports, those for annotations only (`if TYPE_CHECKING:`)
    included: a type that runs back up a floor is a dependency back up all the same."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.module == "dcgan_tf":  # from dcgan_tf import sweep
            found |= {f"dcgan_tf.{alias.name}" for alias in node.names}
        elif node.module and node.module.startswith("dcgan_tf."):
            found.add(node.module)
    return found


def module_name(path: Path) -> str:
    return ".".join(("dcgan_tf", *path.relative_to(PACKAGE).with_suffix("").parts))


def subpackages_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}


def test_every_folder_is_a_floor_of_the_layout():
    assert subpackages_in(PACKAGE) == set(FLOORS) - {"top"}


def test_no_module_imports_from_a_floor_above_its_own():
    climbs = []
    for path in PACKAGE.rglob("*.py"):
        source = module_name(path)
        for target in imports(path):
            if FLOORS.index(floor_of(target)) > FLOORS.index(floor_of(source)):
                climbs.append(f"{source} -> {target}")
    assert climbs == []


def test_no_module_is_longer_than_about_250_lines():
    lengths = {module_name(p): len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {name: n for name, n in lengths.items() if n > 260} == {}


def listed(docstring: str, suffix: str) -> set[str]:
    """The names a docstring lists, one a line: `    name.py   what it holds` (or `name/`)."""
    pattern = re.compile(rf"^ *([a-z][a-z0-9_]*){re.escape(suffix)} {{2,}}\S", re.MULTILINE)
    return set(pattern.findall(docstring))


def modules_in(folder: Path) -> set[str]:
    return {p.stem for p in folder.glob("*.py")} - {"__init__"}


def test_the_package_docstring_lists_every_command_at_the_top_and_no_other():
    doc = importlib.import_module("dcgan_tf").__doc__
    assert listed(doc, ".py") == modules_in(PACKAGE)


def test_the_package_docstring_lists_every_folder_and_no_other():
    doc = importlib.import_module("dcgan_tf").__doc__
    assert listed(doc, "/") == subpackages_in(PACKAGE)


def test_a_folder_whose_docstring_lists_modules_lists_every_module_and_no_other():
    listings = {
        name: listed(importlib.import_module(f"dcgan_tf.{name}").__doc__ or "", ".py")
        for name in subpackages_in(PACKAGE)
    }
    listings = {name: names for name, names in listings.items() if names}
    assert {"options", "tools"} <= set(listings)
    wrong = {
        name: {
            "not listed": modules_in(PACKAGE / name) - names,
            "not there": names - modules_in(PACKAGE / name),
        }
        for name, names in listings.items()
        if names != modules_in(PACKAGE / name)
    }
    assert wrong == {}


def test_the_loops_train_stays_a_short_recipe_of_at_most_80_lines():
    """`train()` reads like the notebook's `train`: options grow hooks and step options, not it."""
    tree = ast.parse((PACKAGE / "training" / "loop.py").read_text())
    (train,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "train"]
    assert train.end_lineno - train.lineno + 1 <= 80


def test_no_modules_import_each_other_in_a_circle():
    graph = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for target in graph.get(start, ()):
            if target == goal or (target not in seen and reaches(target, goal, seen | {target})):
                return True
        return False

    circles = sorted(m for m in graph if reaches(m, m, {m}))
    assert circles == []
