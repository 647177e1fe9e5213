"""Argmax indices of NaN-holding arrays, where padding meets short, strided last axes.

The class of bug these tests hunt: the index of a window was taken from a stale match of
another window (values right, index wrong or -1), because NumPy 2.4's SIMD ``isnan`` writes
wrong cells into a strided output. Windows here often overlap padding on an axis of 1 to 4
cells, so their tap blocks are strided views; NaNs are dense (about 20%).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from maxpool_cli import ShapeError, pool, pool_geometry
from maxpool_cli.engine import reference_pool

NAN = np.nan


def test_window_of_one_real_cell_beside_padding_names_that_cell() -> None:
    # Kernel (1, 2), stride (1, 2), padding (0, 1) on 8x2: window j of a row holds column j
    # and one padded cell, so the output is the input and the indices are 0..15, NaN or not.
    x = np.array(
        [
            [[0.0, -0.1], [0.6, 0.1], [-0.5, 0.4], [1.3, 0.9]],
            [[-0.7, -1.3], [-0.6, 0.0], [-2.3, -0.2], [-1.2, -0.7]],
            [[0.0, -0.3], [0.4, 1.0], [-0.1, 0.0], [-0.7, 0.0]],
            [[0.9, 0.1], [-0.7, 0.0], [-0.5, 0.0], [NAN, -0.2]],
        ]
    ).reshape(2, 8, 2)
    values, indices = pool(x, (1, 2), (1, 2), (0, 1), return_indices=True)
    np.testing.assert_array_equal(values, x)
    np.testing.assert_array_equal(indices, np.broadcast_to(np.arange(16).reshape(8, 2), x.shape))


def test_nan_window_points_at_its_last_nan_and_others_at_their_max() -> None:
    # Rows of 3 cells, kernel 2, stride 3, padding 1: windows cover columns (-1, 0) and (2, 3).
    x = np.array([[NAN, 1.0, 0.5], [0.2, 7.0, NAN], [NAN, 5.0, 3.0]])
    values, indices = pool(x, (1, 2), (1, 3), (0, 1), return_indices=True)
    np.testing.assert_array_equal(values, [[NAN, 0.5], [0.2, NAN], [NAN, 3.0]])
    np.testing.assert_array_equal(indices, [[0, 2], [3, 5], [6, 8]])


@st.composite
def nan_cases(draw: st.DrawFn) -> tuple[np.ndarray, dict]:
    """Float arrays with dense NaNs, short last axes, padding, dilation and strides."""
    pooled = draw(st.integers(1, 3))
    # Batch axes and several rows give a window many neighbours whose matches could leak.
    batch = draw(st.lists(st.integers(2, 3), min_size=1, max_size=2 if pooled == 1 else 1))
    sizes = [draw(st.integers(2, 9)) for _ in range(pooled - 1)] + [draw(st.integers(1, 4))]
    shape = (*batch, *sizes)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    # Rounded values: ties as well as distinct values.
    x = np.round(rng.normal(size=shape), draw(st.sampled_from([0, 2]))).astype(dtype)
    x[rng.random(shape) < draw(st.sampled_from([0.1, 0.2, 0.5]))] = NAN
    per_axis = st.lists(st.integers(1, 3), min_size=pooled, max_size=pooled)
    pair = st.tuples(st.integers(0, 2), st.integers(0, 2))
    params = {
        "kernel": draw(per_axis),
        "stride": draw(per_axis),
        "dilation": draw(st.lists(st.integers(1, 2), min_size=pooled, max_size=pooled)),
        "padding": draw(st.lists(pair, min_size=pooled, max_size=pooled)),
        "ceil_mode": draw(st.booleans()),
        "op": draw(st.sampled_from(["max", "min"])),
        "nan": draw(st.sampled_from(["propagate", "ignore"])),
        "return_indices": True,
    }
    return x, params


def _check(x: np.ndarray, params: dict) -> None:
    got_values, got_indices = pool(x, **params)
    want_values, want_indices = reference_pool(x, **params)
    np.testing.assert_array_equal(got_values, want_values)
    np.testing.assert_array_equal(got_indices, want_indices)


def _fits(x: np.ndarray, params: dict) -> bool:
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode")
    try:
        pool_geometry(x.shape, **{k: params[k] for k in keys})
    except ShapeError:
        return False
    return True


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=nan_cases())
def test_nan_indices_equal_the_reference(case: tuple[np.ndarray, dict]) -> None:
    x, params = case
    assume(_fits(x, params))
    _check(x, params)


SWEEP = int(os.environ.get("MAXPOOL_NAN_SWEEP", "1500"))


def test_seeded_sweep_of_nan_cases_equals_the_reference() -> None:
    """A fixed-seed sweep (MAXPOOL_NAN_SWEEP=20000 for the long run): 1-D to 3-D pooling
    with batch axes, 20% NaNs, padding, dilation, strides and ceil_mode."""
    rng = np.random.default_rng(20261129)
    checked = 0
    while checked < SWEEP:
        pooled = int(rng.integers(1, 4))
        shape = [2] + [int(rng.integers(1, 10)) for _ in range(pooled - 1)]
        shape.append(int(rng.integers(1, 5)))
        x = rng.normal(size=shape)
        x[rng.random(shape) < 0.2] = NAN
        params = {
            "kernel": [int(v) for v in rng.integers(1, 4, pooled)],
            "stride": [int(v) for v in rng.integers(1, 4, pooled)],
            "dilation": [int(v) for v in rng.integers(1, 3, pooled)],
            "padding": [(int(a), int(b)) for a, b in rng.integers(0, 2, (pooled, 2))],
            "ceil_mode": bool(rng.integers(0, 2)),
            "op": ("max", "min")[int(rng.integers(0, 2))],
            "nan": ("propagate", "ignore")[int(rng.integers(0, 2))],
            "return_indices": True,
        }
        if not _fits(x, params):
            continue
        _check(x, params)
        checked += 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_strided_nan_windows_in_every_float_dtype(dtype: type) -> None:
    x = np.full((3, 7, 3), NAN, dtype=dtype)
    x[:, ::2, 1] = 1
    _check(x, {"kernel": (2, 2), "stride": (3, 3), "padding": (1, 1), "return_indices": True})
