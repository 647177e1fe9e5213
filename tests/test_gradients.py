"""pool_backward against finite differences, and unpool and adaptive pooling by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from maxpool_cli import ParameterError, ShapeError, adaptive_pool, pool, pool_backward, unpool
from maxpool_cli import pool_geometry as geometry_of


@st.composite
def smooth_cases(draw: st.DrawFn) -> tuple[np.ndarray, dict]:
    """Float64 inputs without ties (distinct values 0.1 apart), so max is differentiable."""
    h, w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    order = draw(st.permutations(range(h * w)))
    x = np.array(order, dtype=np.float64).reshape(h, w) * 0.1 - 1.0
    params = {
        "kernel": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "padding": draw(st.sampled_from(["valid", "same", 1, ((1, 0), (0, 1))])),
        "op": draw(st.sampled_from(["max", "min", "avg", "sum"])),
    }
    if params["op"] == "avg":
        params["count_pad"] = draw(st.booleans())
    if params["padding"] != "same":
        params["ceil_mode"] = draw(st.booleans())
    return x, params


@settings(max_examples=120, deadline=None)
@given(smooth_cases(), st.integers(0, 2**32 - 1))
def test_backward_is_the_derivative(case: tuple[np.ndarray, dict], seed: int) -> None:
    x, params = case
    try:
        geometry_of(
            x.shape,
            params["kernel"],
            params["stride"],
            params["padding"],
            ceil_mode=params.get("ceil_mode", False),
        )
    except ShapeError:
        assume(False)
    g = np.random.default_rng(seed).normal(size=pool(x, **params).shape)
    grad = pool_backward(g, x, **params)
    eps = 1e-4  # far below the 0.1 gaps between values: no winner changes
    numeric = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        bump = np.zeros_like(x)
        bump[index] = eps
        up = np.sum(pool(x + bump, **params) * g)
        down = np.sum(pool(x - bump, **params) * g)
        numeric[index] = (up - down) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_backward_by_hand() -> None:
    x = np.array([[1.0, 5.0, 5.0], [2.0, 0.0, 3.0]])
    # k=2, s=1: windows [[1,5],[2,0]] -> 5 at (0,1); [[5,5],[0,3]] -> the first 5, (0,1) too.
    grad = pool_backward(np.array([[1.0, 10.0]]), x, 2, stride=1)
    np.testing.assert_array_equal(grad, [[0.0, 11.0, 0.0], [0.0, 0.0, 0.0]])
    # avg with padding: padded cells get nothing, real ones the share of their windows.
    grad = pool_backward(
        np.array([[6.0, 6.0]]),
        np.ones((1, 3)),
        (1, 2),
        padding=((0, 0), (1, 0)),
        op="avg",
        count_pad=True,
    )
    np.testing.assert_array_equal(grad, [[3.0, 3.0, 3.0]])
    grad = pool_backward(
        np.array([[6.0, 6.0]]), np.ones((1, 3)), (1, 2), padding=((0, 0), (1, 0)), op="avg"
    )
    np.testing.assert_array_equal(grad, [[6.0, 3.0, 3.0]])
    assert pool_backward(np.ones((1, 1), dtype=np.float32), np.ones((2, 2)), 2).dtype == np.float32


def test_backward_errors() -> None:
    x = np.zeros((4, 4))
    with pytest.raises(
        ShapeError, match=r"grad_out: shape \(3, 3\), expected the pooled output's \(2, 2\)"
    ):
        pool_backward(np.zeros((3, 3)), x, 2)
    with pytest.raises(ParameterError, match=r"pad_value: not supported by pool_backward for max"):
        pool_backward(np.zeros((3, 3)), x, 2, padding=1, pad_value=0)


def test_unpool_by_hand_and_round_trip() -> None:
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
    y, i = pool(x, 2, return_indices=True)
    restored = unpool(y, i, (4, 4))
    np.testing.assert_array_equal(
        restored, [[0, 0, 0, 0], [0, 6, 0, 8], [3, 0, 0, 0], [0, 0, 0, 4]]
    )
    # Channels-last: pooled over axes 0 and 1 of an (H, W, C) image.
    image = np.random.default_rng(0).integers(0, 255, (6, 6, 3), dtype=np.uint8)
    y, i = pool(image, 3, stride=2, axes=(0, 1), return_indices=True)
    restored = unpool(y, i, (6, 6), axes=(0, 1))
    assert restored.shape == (6, 6, 3)
    assert np.array_equal(pool(restored, 3, stride=2, axes=(0, 1)), y)  # the maxima are back


def test_unpool_takes_the_whole_input_shape_or_the_pooled_sizes() -> None:
    # The case: (2, 3, 8, 8) pooled over its last two axes, unpooled to x.shape.
    x = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
    y, i = pool(x, 2, return_indices=True)
    expected = np.zeros_like(x)
    expected[:, :, 1::2, 1::2] = x[:, :, 1::2, 1::2]  # each 2x2 window's maximum: bottom right
    np.testing.assert_array_equal(unpool(y, i, x.shape), expected)
    np.testing.assert_array_equal(unpool(y, i, (8, 8)), expected)
    np.testing.assert_array_equal(unpool(y, i, x.shape, axes=(2, 3)), expected)
    # Pooled sizes pair with `axes` in the order given, as in pool.
    image = np.zeros((4, 6, 3))
    image[1, 4] = 7.0
    y, i = pool(image, 2, axes=(1, 0), return_indices=True)
    restored = unpool(y, i, (6, 4), axes=(1, 0))
    np.testing.assert_array_equal(restored, image)


def test_unpool_refuses_shapes_it_would_have_to_guess() -> None:
    # 1-D pooling of (N, C, L): the whole shape alone reads as 2-D pooling over (C, L).
    x = np.arange(24.0).reshape(2, 3, 4)
    y, i = pool(x, (2,), return_indices=True)
    with pytest.raises(ShapeError, match=r"which axes were pooled cannot be told from it"):
        unpool(y, i, x.shape)
    np.testing.assert_array_equal(
        unpool(y, i, x.shape, axes=-1), np.where(np.arange(4) % 2 == 1, x, 0)
    )
    np.testing.assert_array_equal(unpool(y, i, (4,)), unpool(y, i, x.shape, axes=2))
    # Stride 1: no size changes, so nothing says which axes were pooled.
    y, i = pool(x, 3, stride=1, padding="same", return_indices=True)
    with pytest.raises(ShapeError, match=r"pass axes= as given to pool"):
        unpool(y, i, x.shape)
    # A whole shape that changes an axis that is not pooled contradicts y.
    y, i = pool(x, 2, return_indices=True)
    with pytest.raises(ShapeError, match=r"differs from y's \(2, 1, 2\) on axes \(0,\)"):
        unpool(y, i, (5, 3, 4), axes=(1, 2))
    with pytest.raises(ShapeError, match=r"2 sizes for 1 pooled axes \(2,\)"):
        unpool(y, i, (3, 4), axes=2)
    with pytest.raises(ShapeError, match=r"expected the input shape \(3 sizes\)"):
        unpool(y, i, (1, 2, 3, 4))
    with pytest.raises(ParameterError, match=r"shape: expected sizes >= 1, got 0"):
        unpool(y, i, (0, 4))


def test_unpool_errors() -> None:
    y = np.ones((2, 2))
    with pytest.raises(ShapeError, match=r"indices: values from 0 to 16, expected 0 to 15"):
        unpool(y, np.array([[0, 1], [2, 16]]), (4, 4))
    with pytest.raises(ShapeError, match=r"indices: values from -1 to 3"):
        unpool(y, np.array([[0, -1], [2, 3]]), (4, 4))
    with pytest.raises(ShapeError, match=r"indices: shape \(1, 2\) differs"):
        unpool(y, np.array([[0, 1]]), (4, 4))
    with pytest.raises(Exception, match=r"indices: expected integers, got dtype float64"):
        unpool(y, np.ones((2, 2)), (4, 4))


def test_adaptive_by_hand() -> None:
    x = np.arange(20.0).reshape(4, 5)
    # Rows [0,2) [1,3) [2,4); columns [0,2) [1,4) [3,5).
    np.testing.assert_array_equal(adaptive_pool(x, 3), [[6, 8, 9], [11, 13, 14], [16, 18, 19]])
    np.testing.assert_array_equal(adaptive_pool(x, (1, 1), op="sum"), [[190.0]])  # global
    np.testing.assert_array_equal(adaptive_pool(x, (2, 1), op="avg"), [[4.5], [14.5]])
    values, indices = adaptive_pool(
        np.array([1.0, np.nan, 3.0, np.nan, 0.0]), 2, return_indices=True
    )
    assert np.isnan(values).all()
    np.testing.assert_array_equal(indices, [1, 3])  # the last NaN of each window
    np.testing.assert_array_equal(
        adaptive_pool(np.array([1.0, np.nan, 3.0, np.nan]), 2, nan="ignore"), [1.0, 3.0]
    )
    assert adaptive_pool(np.ones((3, 3), dtype=np.uint8), 2, op="avg").dtype == np.float64
    with pytest.raises(ParameterError, match=r"output_size: expected integers >= 1"):
        adaptive_pool(x, 0)


def test_empty_batches_go_through_every_function() -> None:
    x = np.zeros((0, 4, 4), dtype=np.float32)
    for op in ("max", "min", "avg", "sum"):
        assert pool(x, 2, op=op).shape == (0, 2, 2)
        assert pool_backward(np.zeros((0, 2, 2), np.float32), x, 2, op=op).shape == (0, 4, 4)
    y, i = pool(x, 2, return_indices=True)
    assert unpool(y, i, (4, 4)).shape == (0, 4, 4)
    assert adaptive_pool(x, 3, return_indices=True)[1].shape == (0, 3, 3)
