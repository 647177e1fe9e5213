"""Optional extras: without them, a clear error that names the extra (never a traceback)."""

from __future__ import annotations

import importlib
import sys

import pytest

from maxpool_cli import MaxpoolError
from maxpool_cli.errors import MissingExtraError


def test_the_dask_api_without_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dask", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "maxpool_cli.dask", raising=False)
    with pytest.raises(MissingExtraError, match=r"needs the \[dask\] extra") as caught:
        importlib.import_module("maxpool_cli.dask")
    assert isinstance(caught.value, MaxpoolError)
    assert isinstance(caught.value, ImportError)  # `except ImportError` works too
    assert "pip install '.[dask]'" in str(caught.value)
