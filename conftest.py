"""Collection of the doctests under maxpool_cli/ (tests/conftest.py configures tests/).

``maxpool_cli/dask.py`` needs the optional [dask] extra to be imported at all; without it, its
doctests are left out, as ``tests/test_dask.py`` is skipped, and the header says so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DASK_MODULE = Path(__file__).resolve().parent / "maxpool_cli" / "dask.py"
HAS_DASK = all(importlib.util.find_spec(m) is not None for m in ("dask", "distributed", "zarr"))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if not HAS_DASK and collection_path.resolve() == DASK_MODULE:
        return True
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    if HAS_DASK:
        return None
    return (
        "the [dask] extra is not installed: tests/test_dask.py and the doctests of "
        "maxpool_cli/dask.py are skipped (pip install -e '.[dask]' runs them)"
    )
