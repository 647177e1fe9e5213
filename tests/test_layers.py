"""The layers import downward only: engine <- io <- jobs <- cli (DESIGN.md, "The house").

Every module's imports are read with ``ast`` (those inside functions and ``TYPE_CHECKING``
blocks included) and checked against what its layer may use, inside the package and out.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "maxpool_cli"

# Layer -> the package's layers it may import (its own included).
ALLOWED = {
    "errors": set(),
    "_version": set(),
    "engine": {"engine", "errors"},
    "io": {"io", "errors"},
    "dask": {"engine", "errors"},
    "jobs": {"jobs", "io", "engine", "errors", "dask", "_version"},
    "cli": {"cli", "jobs", "io", "engine", "errors", "dask", "_version"},
    "__init__": {"engine", "io", "errors", "_version"},
    "__main__": {"cli"},
}
# Layer -> the third-party modules it may import (the standard library is always allowed).
THIRD_PARTY = {
    "engine": {"numpy"},
    "io": {"numpy", "PIL", "zarr", "tifffile", "imagecodecs"},
    "dask": {"numpy", "dask"},
    "jobs": {"numpy", "dask", "distributed", "zarr", "tifffile"},
    "cli": {"numpy", "click", "rich", "PIL"},
}


def layer_of(module: str) -> str:
    """``maxpool_cli.jobs.batch`` -> ``jobs``; ``maxpool_cli`` -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imported_modules(module: str, source: str, is_package: bool) -> list[str]:
    """Absolute names of everything ``source`` imports (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base == "maxpool_cli":  # `from .. import io`: the names are the modules
                names += [f"{base}.{alias.name}" for alias in node.names]
            else:
                names.append(base)
    return names


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """Each import of ``module`` that its layer may not make."""
    layer = layer_of(module)
    bad = []
    for name in imported_modules(module, source, is_package):
        top = name.split(".")[0]
        if top == "maxpool_cli":
            target = layer_of(name)
            if target != layer and target not in ALLOWED[layer]:
                bad.append(f"{module} imports {name} ({layer} may not use {target})")
        elif top not in sys.stdlib_module_names and top not in THIRD_PARTY.get(layer, set()):
            bad.append(f"{module} imports {name} (not a dependency of the {layer} layer)")
    return bad


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.append((".".join(parts), path))
    return found


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_module_imports_only_downward(module: str, path: Path) -> None:
    is_package = path.name == "__init__.py"
    assert violations(module, path.read_text(), is_package) == []


def test_the_four_layers_are_folders() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == {"engine", "io", "jobs", "cli"}
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == {"__init__", "__main__", "_version", "errors", "dask"}


def test_the_check_catches_upward_and_foreign_imports() -> None:
    # The checker itself: an io module reaching up into jobs, an engine module using rich,
    # and a relative import that climbs to the package root are all caught.
    assert violations("maxpool_cli.io.images", "from ..jobs.options import PoolOptions") == [
        "maxpool_cli.io.images imports maxpool_cli.jobs.options (io may not use jobs)"
    ]
    assert violations("maxpool_cli.engine.kernels", "import rich") == [
        "maxpool_cli.engine.kernels imports rich (not a dependency of the engine layer)"
    ]
    assert violations("maxpool_cli.engine.kernels", "def f():\n    from .. import io\n") == [
        "maxpool_cli.engine.kernels imports maxpool_cli.io (engine may not use io)"
    ]
    assert violations("maxpool_cli.jobs.batch", "from ..engine import pool\nimport numpy") == []
