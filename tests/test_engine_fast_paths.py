"""The engine's fast paths against the plain-loop reference.

Bands (cache-sized slabs along the first pooled axis) and the shift-and-gather pass (narrow
cells with stride > 1) only run on arrays large enough or shaped for them; these tests force
them on small arrays by shrinking the band size, and cover every op and padding mode.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest

from maxpool_cli import pool
from maxpool_cli.engine import passes, reference_pool

RNG = np.random.default_rng(7)


def _compare(x: np.ndarray, **params: object) -> None:
    want = reference_pool(x, **params)
    for band_bytes in (1, 64, 10**9):  # one row per band, a few rows, a single band
        with mock.patch.object(passes, "BAND_BYTES", band_bytes):
            got = pool(x, **params)
        if isinstance(want, tuple):
            np.testing.assert_array_equal(got[1], want[1])
            got, want_values = got[0], want[0]
        else:
            want_values = want
        assert got.dtype == want_values.dtype
        if params.get("op", "max") in ("max", "min") or got.dtype.kind != "f":
            np.testing.assert_array_equal(got, want_values)
        else:
            # Summation order differs; sums that cancel need an absolute term too.
            eps = np.finfo(got.dtype).eps
            scale = float(np.nanmax(np.abs(x))) if x.dtype.kind == "f" else float(np.abs(x).max())
            np.testing.assert_allclose(got, want_values, rtol=64 * eps, atol=64 * eps * scale)


PARAMS = [
    {"kernel": 2},
    {"kernel": 3, "stride": 2},
    {"kernel": 3, "stride": 1, "padding": "same"},
    {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel": (2, 3), "stride": (3, 2), "dilation": (2, 1), "padding": ((1, 0), (0, 2))},
    {"kernel": 4, "stride": 3, "padding": "same"},
    {"kernel": 5, "stride": 2, "dilation": 2, "padding": 4},
]
OPS = [
    {"op": "max"},
    {"op": "min", "nan": "ignore"},
    {"op": "max", "return_indices": True},
    {"op": "min", "return_indices": True},
    {"op": "max", "return_indices": True, "nan": "ignore"},
    {"op": "avg"},
    {"op": "avg", "count_pad": True},
    {"op": "sum"},
    {"op": "max", "pad_value": 0.5},
    {"op": "avg", "pad_value": 1.0, "nan": "ignore"},
]


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("op", OPS, ids=str)
def test_2d_float_with_nan(params: dict, op: dict) -> None:
    x = RNG.normal(size=(13, 17)).round(1)
    x[RNG.random(x.shape) < 0.05] = np.nan
    x[4:8, 4:8] = np.nan  # all-NaN windows
    _compare(x, **params, **op)


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_last_uint8_image(params: dict, channels: int) -> None:
    """Narrow pixels (3 or 4 bytes) take the shift-and-gather pass along the width."""
    x = RNG.integers(0, 4, size=(11, 15, channels), dtype=np.uint8)  # many ties
    for op in ({"op": "max", "return_indices": True}, {"op": "avg"}, {"op": "sum"}):
        _compare(x, **params, **op, axes=(0, 1))


@pytest.mark.parametrize("params", PARAMS[:4], ids=str)
def test_batched_and_three_pooled_axes(params: dict) -> None:
    x = RNG.integers(-50, 50, size=(2, 3, 9, 10)).astype(np.int16)
    _compare(x, **params, return_indices=True)
    _compare(x, **params, op="avg")
    k = params["kernel"]
    _compare(x, kernel=(k, k, k) if isinstance(k, int) else (2, *k), return_indices=True)


def test_non_contiguous_input() -> None:
    x = RNG.normal(size=(20, 16)).astype(np.float32)
    for view in (x.T, x[::2, ::-1], np.asfortranarray(x)):
        _compare(view, kernel=3, stride=2, return_indices=True)
        _compare(view, kernel=3, stride=2, op="avg")


def test_bool_and_wide_kernels() -> None:
    x = RNG.random((16, 16)) < 0.1
    _compare(x, kernel=5, stride=3, padding=2)
    _compare(x, kernel=5, stride=3, padding=2, op="min")
    _compare(x, kernel=5, stride=3, padding=2, op="sum")
    _compare(x.astype(np.float32), kernel=15, stride=1, padding="same", return_indices=True)
