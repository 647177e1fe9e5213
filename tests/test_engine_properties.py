"""Hypothesis: the vectorized engine equals the plain-loop reference on random inputs.

Max and min (values and indices) and integer sums must be identical. Float sums and averages
are compared with a tolerance: the engine adds one axis at a time, the reference cell by cell
in window order, so the roundings differ.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from maxpool_cli import ShapeError, adaptive_pool, pool, pool_geometry
from maxpool_cli.engine import passes, reference_pool
from maxpool_cli.engine.adaptive import adaptive_geometry
from maxpool_cli.engine.reference import walk_adaptive

DTYPES = [np.float64, np.float32, np.float16, np.uint8, np.int16, np.int64, np.uint64, np.bool_]


@st.composite
def cases(draw: st.DrawFn) -> tuple[np.ndarray, dict]:
    pooled = draw(st.integers(1, 3))
    batch = draw(st.lists(st.integers(1, 3), max_size=3 - pooled if pooled < 3 else 0))
    sizes = draw(st.lists(st.integers(1, 7), min_size=pooled, max_size=pooled))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    if dtype.kind == "f":
        # Few distinct values, so ties are common; NaN and infinities now and then.
        elements = st.sampled_from([-2.5, -1.0, -0.0, 0.0, 1.0, 3.0, np.inf, -np.inf, np.nan])
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        info = np.iinfo(dtype)
        # 64-bit extremes would overflow the int64 sum, which wraps by contract.
        extremes = [] if dtype.itemsize == 8 else [int(info.min), int(info.max)]
        elements = st.sampled_from([-3, 0, 1, 2, 2**40, *extremes]).filter(
            lambda v: info.min <= v <= info.max
        )
    shape = tuple(batch) + tuple(sizes)
    x = draw(hnp.arrays(dtype, shape, elements=elements))
    per_axis = st.lists(st.integers(1, 4), min_size=pooled, max_size=pooled)
    kernel = draw(per_axis)
    params: dict = {
        "kernel": kernel,
        "stride": draw(st.none() | per_axis),
        "dilation": draw(
            st.just(1) | st.lists(st.integers(1, 3), min_size=pooled, max_size=pooled)
        ),
        "ceil_mode": draw(st.booleans()),
        "op": draw(st.sampled_from(["max", "min", "avg", "sum", "mode"])),
        "nan": draw(st.sampled_from(["propagate", "ignore"])),
    }
    padding = draw(st.sampled_from(["valid", "same", "int", "pairs"]))
    if padding == "int":
        params["padding"] = draw(st.integers(0, 2))
    elif padding == "pairs":
        pair = st.tuples(st.integers(0, 3), st.integers(0, 3))
        params["padding"] = draw(st.lists(pair, min_size=pooled, max_size=pooled))
    else:
        params["padding"] = padding
        if padding == "same":
            params["ceil_mode"] = False
    if params["op"] == "mode" and dtype.kind == "f":
        params["op"] = "max"  # (mode is for integer and bool data; floats are refused)
    if params["op"] == "avg":
        params["count_pad"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        values = [0, -3, 2, np.inf, -np.inf] if dtype.kind == "f" else [0, -3, 2]
        params["pad_value"] = 1 if dtype.kind == "b" else draw(st.sampled_from(values))
        if dtype.kind == "u":
            params["pad_value"] = abs(params["pad_value"])
    elif params["op"] in ("max", "min"):
        params["return_indices"] = draw(st.booleans())
    return x, params


def _fits(x: np.ndarray, params: dict) -> bool:
    geometry_keys = ("kernel", "stride", "padding", "dilation", "ceil_mode")
    try:
        pool_geometry(x.shape, **{k: params[k] for k in geometry_keys})
    except ShapeError:
        return False
    return True


@pytest.mark.parametrize("band_bytes", [passes.BAND_BYTES, 1], ids=["bands", "row-bands"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_engine_equals_reference(band_bytes: int, case: tuple[np.ndarray, dict]) -> None:
    x, params = case
    assume(_fits(x, params))
    before = x.copy()
    with mock.patch.object(passes, "BAND_BYTES", band_bytes):
        got = pool(x, **params)
    np.testing.assert_array_equal(x, before)
    want = reference_pool(x, **params)
    if params.get("return_indices"):
        np.testing.assert_array_equal(got[1], want[1])
        got, want = got[0], want[0]
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    if params["op"] in ("max", "min", "mode") or got.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
    else:
        with np.errstate(invalid="ignore"):
            np.testing.assert_allclose(got, want, rtol=1e-3 if got.dtype == np.float16 else 1e-6)


@settings(max_examples=100, deadline=None)
@given(cases())
def test_shape_errors_agree(case: tuple[np.ndarray, dict]) -> None:
    """Where the geometry is refused, both implementations refuse it; else shapes agree."""
    x, params = case
    keys = ("kernel", "stride", "padding", "dilation", "ceil_mode")
    fits = _fits(x, params)
    geometry = {k: params[k] for k in keys}
    try:
        shape = pool(x, **geometry).shape
    except ShapeError:
        assert not fits
    else:
        assert fits
        assert shape == pool_geometry(x.shape, **geometry).output_shape


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=9)),
    st.integers(1, 3),
)
def test_max_is_at_least_every_cell_of_its_window(x: np.ndarray, k: int) -> None:
    """An oracle-free property: max pooling with stride 1 bounds every cell from above."""
    assume(not np.isnan(x).any() and min(x.shape) >= k)
    y = pool(x, k, stride=1)
    for di in range(k):
        for dj in range(k):
            window = x[di : di + y.shape[0], dj : dj + y.shape[1]]
            assert (y >= window).all()


@st.composite
def adaptive_cases(draw: st.DrawFn) -> tuple[np.ndarray, dict]:
    x, params = draw(cases())
    axes = list(range(x.ndim))[-len(params["kernel"]) :]
    sizes = [draw(st.integers(1, x.shape[a] + 2)) for a in axes]
    return x, {"output_size": sizes, "axes": axes, "op": params["op"], "nan": params["nan"]}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=adaptive_cases())
def test_adaptive_equals_reference(case: tuple[np.ndarray, dict]) -> None:
    # Every op, mode included (not separable: each window's cells gathered), and NaN next
    # to infinities with nan="ignore" (where a NaN must not win a tie against -inf).
    x, params = case
    before = x.copy()
    got = adaptive_pool(x, **params)
    np.testing.assert_array_equal(x, before)  # (a window's cells were once sorted in place)
    geometry = adaptive_geometry(x.shape, params["output_size"], params["axes"])
    want = np.empty(geometry.output_shape, dtype=got.dtype)
    for step in walk_adaptive(x, geometry, params["op"], params["nan"]):
        want[step.out_index] = step.value
    if params["op"] in ("max", "min", "mode") or got.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
    else:
        with np.errstate(invalid="ignore"):
            np.testing.assert_allclose(got, want, rtol=1e-3 if got.dtype == np.float16 else 1e-6)
