"""unpool, pool_backward and adaptive pooling against PyTorch (tests/golden/make_golden.py).

Compared exactly: unpooled values, adaptive max values and indices, and gradients (the engine
adds each input cell's contributions in PyTorch's order, so even float32 gradients match bit
for bit). Adaptive averages use a few ulp: the engine sums one axis at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from maxpool_cli import adaptive_pool, pool_backward, unpool

DATA = Path(__file__).parent / "data"


def _cases(suite: str) -> list[tuple[str, dict, np.ndarray, np.ndarray, np.ndarray | None]]:
    with np.load(DATA / f"golden_{suite}.npz", allow_pickle=False) as f:
        meta = json.loads(str(f["cases"]))
        return [
            (f"{suite}-{n}-{c['source']}", c["params"], f[f"x{n}"], f[f"y{n}"], f.get(f"i{n}"))
            for n, c in enumerate(meta)
        ]


UNPOOL = _cases("torch_unpool")
UNPOOL_SHAPES = _cases("torch_unpool_shapes")
BACKWARD = _cases("torch_backward")
ADAPTIVE = _cases("torch_adaptive")


def test_suites_cover_what_they_claim() -> None:
    assert {len(p["input_shape"]) for _, p, *_ in UNPOOL} == {1, 2, 3}
    # Whole input shapes and pooled sizes, 1-D to 3-D pooling, 0 to 2 leading axes.
    whole = [(y.ndim, len(p["shape"])) for _, p, y, _, _ in UNPOOL_SHAPES]
    assert {n for n, length in whole if length == n} == {1, 2, 3, 4, 5}
    assert any(length < n for n, length in whole)
    assert any("axes" not in p and y.ndim == 4 for _, p, y, _, _ in UNPOOL_SHAPES)
    assert {p["op"] for _, p, *_ in BACKWARD} == {"max", "avg"}
    assert any(p.get("ceil_mode") for _, p, *_ in BACKWARD)
    assert any(p.get("count_pad") for _, p, *_ in BACKWARD)
    assert any(max(p.get("dilation", [1])) > 1 for _, p, *_ in BACKWARD)
    assert {x.dtype.name for _, _, x, _, _ in BACKWARD} == {"float32", "float64"}
    assert any(
        any(n % o for n, o in zip(x.shape[2:], p["output_size"])) for _, p, x, _, _ in ADAPTIVE
    )


@pytest.mark.parametrize(
    ("name", "params", "y", "expected", "indices"), UNPOOL, ids=[c[0] for c in UNPOOL]
)
def test_unpool(
    name: str, params: dict, y: np.ndarray, expected: np.ndarray, indices: np.ndarray
) -> None:
    got = unpool(y, indices, params["input_shape"])
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("name", "params", "y", "expected", "indices"),
    UNPOOL_SHAPES,
    ids=[c[0] for c in UNPOOL_SHAPES],
)
def test_unpool_to_a_whole_or_pooled_shape(
    name: str, params: dict, y: np.ndarray, expected: np.ndarray, indices: np.ndarray
) -> None:
    got = unpool(y, indices, params["shape"], axes=params.get("axes"))
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("name", "params", "x", "expected", "grad"), BACKWARD, ids=[c[0] for c in BACKWARD]
)
def test_backward(
    name: str, params: dict, x: np.ndarray, expected: np.ndarray, grad: np.ndarray
) -> None:
    got = pool_backward(grad, x, **params)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("name", "params", "x", "expected", "indices"), ADAPTIVE, ids=[c[0] for c in ADAPTIVE]
)
def test_adaptive(
    name: str, params: dict, x: np.ndarray, expected: np.ndarray, indices: np.ndarray | None
) -> None:
    size = params["output_size"]
    if params["op"] == "max":
        got, got_indices = adaptive_pool(x, size, op="max", return_indices=True)
        np.testing.assert_array_equal(got_indices, indices)
        np.testing.assert_array_equal(got, expected)
    else:
        got = adaptive_pool(x, size, op="avg")
        eps = np.finfo(expected.dtype).eps
        np.testing.assert_allclose(got, expected, rtol=8 * eps, atol=16 * eps * np.abs(x).max())
    assert got.dtype == expected.dtype
