"""The package's floors (docs/layout.md): a module imports only from its own folder or below."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "dcgan_tf"
# Bottom first. The commands at the top of dcgan_tf/ and tools/ (their parts) are the top floor.
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
]


def floor_of(module: str) -> str:
    """'dcgan_tf.run.checkpoints' -> 'run'; a command, cli.py or tools/ -> 'top'."""
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


def test_every_folder_is_a_floor_of_the_layout():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(FLOORS) - {"top"} | {"tools"}


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
