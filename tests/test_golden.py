"""The engine against outputs recorded from PyTorch and TensorFlow (tests/golden/make_golden.py).

Max and min values, indices, shapes and dtypes must be identical. Averages are compared with a
tolerance of a few ulp: the engine sums one pooled axis at a time, the frameworks in their own
order, so the last bits of a mean can differ (more, relative to
the mean, where a sum of mixed signs cancels to near zero; hence the absolute term).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from maxpool_cli import pool

DATA = Path(__file__).parent / "data"


def _cases(suite: str) -> list[tuple[str, dict, np.ndarray, np.ndarray, np.ndarray | None]]:
    with np.load(DATA / f"golden_{suite}.npz", allow_pickle=False) as f:
        meta = json.loads(str(f["cases"]))
        return [
            (
                f"{suite}-{n}-{case['source']}",
                case["params"],
                f[f"x{n}"],
                f[f"y{n}"],
                f.get(f"i{n}"),
            )
            for n, case in enumerate(meta)
        ]


CASES = _cases("torch_max") + _cases("torch_avg") + _cases("tf")


def test_golden_suite_is_broad() -> None:
    sources = {name.split("-", 2)[2] for name, *_ in CASES}
    dtypes = {str(x.dtype) for _, _, x, _, _ in CASES}
    assert len(CASES) >= 300
    assert {"float32", "float64", "uint8", "int32"} <= dtypes
    assert any("max_pool3d" in s for s in sources)
    assert any("SAME" in s for s in sources)
    params = [p for _, p, *_ in CASES]
    assert any(p.get("ceil_mode") for p in params)
    assert any(max(p.get("dilation", [1])) > 1 for p in params)
    assert any(p.get("count_pad") for p in params)
    assert any(p.get("count_pad") is False for p in params)
    assert any(p["op"] == "min" for p in params)
    assert any(np.isnan(x).any() for _, _, x, _, _ in CASES if x.dtype.kind == "f")


@pytest.mark.parametrize(("name", "params", "x", "y", "indices"), CASES, ids=[c[0] for c in CASES])
def test_matches_framework(
    name: str, params: dict, x: np.ndarray, y: np.ndarray, indices: np.ndarray | None
) -> None:
    if indices is not None:
        got, got_indices = pool(x, **params, return_indices=True)
        np.testing.assert_array_equal(got_indices, indices)
        assert got_indices.dtype == np.int64
    else:
        got = pool(x, **params)
    assert got.shape == y.shape
    assert got.dtype == y.dtype
    if params["op"] == "avg":
        # Summation order differs (see the module docstring): a few ulp of the mean, or of the
        # largest term where a sum cancels to near zero.
        eps = np.finfo(y.dtype).eps
        scale = float(np.nanmax(np.abs(x))) if x.size else 1.0
        np.testing.assert_allclose(got, y, rtol=4 * eps, atol=16 * eps * scale)
    else:
        # Identical values, NaNs in the same places. The one freedom: -0.0 and 0.0 compare
        # equal, and which of the two a window holding both returns is not specified.
        np.testing.assert_array_equal(got, y)
