"""Hand-worked pooling cases: every expected array here was worked out on paper."""

from __future__ import annotations

import numpy as np
import pytest

from maxpool_cli import pool, pool_geometry
from maxpool_cli.engine import reference_pool

CLASSIC = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


@pytest.fixture(params=[pool, reference_pool], ids=["engine", "reference"])
def pool_fn(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Every literal case holds for the vectorized engine and for the plain loops alike."""
    return request.param


def test_classic_4x4(pool_fn) -> None:  # type: ignore[no-untyped-def]
    np.testing.assert_array_equal(pool_fn(CLASSIC, 2, stride=2), [[6, 8], [3, 4]])


def test_5x5_padding_1_gives_3x3_and_padding_never_wins(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.arange(25).reshape(5, 5) - 100  # all negative: zero padding would win everywhere
    # Row and column windows are [-1, 0], [1, 2], [3, 4].
    expected = np.array([[0, 2, 4], [10, 12, 14], [20, 22, 24]]) - 100
    np.testing.assert_array_equal(pool_fn(x, 2, stride=2, padding=1), expected)


def test_pad_value_zero_is_zero_padding(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.arange(25).reshape(5, 5) - 100
    expected = [[0, 0, 0], [0, -88, -86], [0, -78, -76]]
    np.testing.assert_array_equal(pool_fn(x, 2, stride=2, padding=1, pad_value=0), expected)


def test_same_padding_puts_the_odd_cell_after(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([1, 3, 2, 5, 4])
    # out = ceil(5 / 2) = 3, total padding 1, all of it after: windows [0,1] [2,3] [4,pad].
    np.testing.assert_array_equal(pool_fn(x, 2, padding="same"), [3, 5, 4])
    assert pool_geometry((5,), 2, padding="same").padding == ((0, 1),)


def test_same_padding_splits_evenly_when_it_can(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([[9, 1, 1], [1, 1, 1], [1, 1, 7]])
    # k=3, s=1: padding 1 each side, output 3x3.
    expected = [[9, 9, 1], [9, 9, 7], [1, 7, 7]]
    np.testing.assert_array_equal(pool_fn(x, 3, stride=1, padding="same"), expected)


def test_ceil_mode_adds_a_partial_window(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([1, 9, 2, 8, 3])
    np.testing.assert_array_equal(pool_fn(x, 2), [9, 8])
    np.testing.assert_array_equal(pool_fn(x, 2, ceil_mode=True), [9, 8, 3])


def test_ceil_mode_last_window_must_start_inside() -> None:
    # n=5, k=2, s=2, p=1: ceil gives 4 windows, but the 4th would start at 5, in the padding.
    assert pool_geometry((5,), 2, stride=2, padding=1, ceil_mode=True).output_shape == (3,)
    assert pool_geometry((4,), 2, stride=2, padding=1, ceil_mode=True).output_shape == (3,)


def test_dilation(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([0, 5, 1, 6, 2, 7])
    # Windows read cells (0,2) (1,3) (2,4) (3,5).
    np.testing.assert_array_equal(pool_fn(x, 2, stride=1, dilation=2), [1, 6, 2, 7])


def test_avg_excludes_padding_unless_asked(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([2, 4, 6])
    np.testing.assert_array_equal(pool_fn(x, 2, padding=1, op="avg"), [2.0, 5.0])
    np.testing.assert_array_equal(pool_fn(x, 2, padding=1, op="avg", count_pad=True), [1.0, 5.0])
    np.testing.assert_array_equal(pool_fn(x, 2, padding=1, op="avg", pad_value=10), [6.0, 5.0])


def test_count_pad_never_counts_ceil_overhang(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([2.0, 4.0, 6.0, 8.0])
    # k=3, s=2, p=1, ceil: windows [-1,0,1] [1,2,3] [3,4,5]; 4 is padding, 5 is overhang.
    got = pool_fn(x, 3, stride=2, padding=1, ceil_mode=True, op="avg", count_pad=True)
    np.testing.assert_array_equal(got, [6 / 3, 18 / 3, 8 / 2])


def test_sum_widens_integers(pool_fn) -> None:  # type: ignore[no-untyped-def]
    got = pool_fn(np.full((2, 2), 255, dtype=np.uint8), 2, op="sum")
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [[1020]])


@pytest.mark.parametrize(
    ("dtype", "op", "expected"),
    [
        (np.uint8, "max", np.uint8),
        (np.int8, "min", np.int8),
        (np.float16, "max", np.float16),
        (np.float32, "avg", np.float32),
        (np.uint16, "avg", np.float64),
        (np.bool_, "avg", np.float64),
        (np.int32, "sum", np.int64),
        (np.float32, "sum", np.float32),
    ],
)
def test_dtype_rules(pool_fn, dtype, op, expected) -> None:  # type: ignore[no-untyped-def]
    assert pool_fn(np.ones((4, 4), dtype=dtype), 2, op=op).dtype == expected


def test_bool_max_is_any_and_min_is_all(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([[True, False, False, False], [False, False, True, True]])
    np.testing.assert_array_equal(pool_fn(x, 2, op="max"), [[True, True]])
    np.testing.assert_array_equal(pool_fn(x, 2, op="min"), [[False, False]])
    np.testing.assert_array_equal(pool_fn(x, (1, 2), op="min"), [[False, False], [False, True]])


def test_negative_integers_with_padding(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([-128, -100, -5], dtype=np.int8)
    np.testing.assert_array_equal(pool_fn(x, 2, padding=1), np.array([-128, -5], dtype=np.int8))
    np.testing.assert_array_equal(
        pool_fn(-x.astype(np.int16), 2, padding=1, op="min"), np.array([128, 5], dtype=np.int16)
    )


def test_nan_propagates_or_is_ignored(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([1.0, np.nan, 3.0, 4.0, np.nan, np.nan])
    np.testing.assert_array_equal(pool_fn(x, 2), [np.nan, 4.0, np.nan])
    np.testing.assert_array_equal(pool_fn(x, 2, nan="ignore"), [1.0, 4.0, np.nan])
    np.testing.assert_array_equal(pool_fn(x, 2, op="min", nan="ignore"), [1.0, 3.0, np.nan])
    np.testing.assert_array_equal(pool_fn(x, 2, op="avg"), [np.nan, 3.5, np.nan])
    np.testing.assert_array_equal(pool_fn(x, 2, op="avg", nan="ignore"), [1.0, 3.5, np.nan])
    np.testing.assert_array_equal(pool_fn(x, 2, op="sum", nan="ignore"), [1.0, 7.0, np.nan])


def test_indices_nan_points_at_the_last_nan(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([[np.nan, 1.0], [np.nan, 2.0]])
    values, indices = pool_fn(x, 2, return_indices=True)
    assert np.isnan(values).all()
    np.testing.assert_array_equal(indices, [[2]])
    values, indices = pool_fn(x, 2, return_indices=True, nan="ignore")
    np.testing.assert_array_equal(values, [[2.0]])
    np.testing.assert_array_equal(indices, [[3]])
    # With NaNs ignored, an all-NaN window gives NaN and points at its first cell.
    values, indices = pool_fn(
        np.array([1.0, np.nan, np.nan]), 2, 1, nan="ignore", return_indices=True
    )
    np.testing.assert_array_equal(values, [1.0, np.nan])
    np.testing.assert_array_equal(indices, [0, 1])


def test_indices_ties_go_to_the_first_cell_in_row_major_order(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.array([[1, 5, 0, 0], [5, 1, 7, 7]])
    values, indices = pool_fn(x, 2, return_indices=True)
    np.testing.assert_array_equal(values, [[5, 7]])
    np.testing.assert_array_equal(indices, [[1, 6]])  # flat index into the 2x4 input
    values, indices = pool_fn(x, 2, return_indices=True, op="min")
    np.testing.assert_array_equal(values, [[1, 0]])
    np.testing.assert_array_equal(indices, [[0, 2]])


def test_indices_on_channels_last_image(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.zeros((2, 2, 3), dtype=np.uint8)
    x[0, 0, 0] = x[0, 1, 1] = x[1, 0, 2] = 9  # a different winner per channel
    values, indices = pool_fn(x, 2, axes=(0, 1), return_indices=True)
    np.testing.assert_array_equal(values, [[[9, 9, 9]]])
    np.testing.assert_array_equal(indices, [[[0, 1, 2]]])


def test_batch_axes_are_kept(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.stack([CLASSIC, -CLASSIC])
    np.testing.assert_array_equal(pool_fn(x, 2), [[[6, 8], [3, 4]], [[-1, -2], [-1, 0]]])


def test_three_pooled_axes(pool_fn) -> None:  # type: ignore[no-untyped-def]
    x = np.arange(8).reshape(2, 2, 2)
    np.testing.assert_array_equal(pool_fn(x, (2, 2, 2)), [[[7]]])
    np.testing.assert_array_equal(pool_fn(x, 2), [[[3]], [[7]]])  # an int pools the last two


def test_pool_geometry_reports_padding_and_shape() -> None:
    g = pool_geometry((7, 10, 3), kernel=3, stride=2, padding="same", axes=(0, 1))
    assert g.output_shape == (4, 5, 3)
    # n=7: total (4-1)*2 + 3 - 7 = 2 -> (1, 1); n=10: total (5-1)*2 + 3 - 10 = 1 -> (0, 1).
    assert g.padding == ((1, 1), (0, 1))
    assert g.axes == (0, 1)
    assert g.kernel == (3, 3)
    assert g.stride == (2, 2)
    g = pool_geometry((6, 6), kernel=(2, 3), padding=((1, 0), (0, 2)))
    assert g.output_shape == (3, 2)
    assert g.padding == ((1, 0), (0, 2))


def test_axes_order_pairs_with_parameters() -> None:
    g = pool_geometry((10, 20), kernel=(5, 2), axes=(1, 0))
    assert g.kernel == (2, 5)  # axis 0 gets 2, axis 1 gets 5
    assert g.output_shape == (5, 4)


@pytest.mark.parametrize("op", ["sum", "avg"])
def test_an_infinite_pad_value_reaches_only_windows_over_padding(op: str) -> None:
    # (Once inf * 0 = NaN spread into the windows with no padding at all.)
    x = np.arange(16.0).reshape(4, 4)
    got = pool(x, 3, stride=1, padding=1, op=op, pad_value=np.inf)
    inner = [[45.0, 54.0], [81.0, 90.0]] if op == "sum" else [[5.0, 6.0], [9.0, 10.0]]
    want = np.full((4, 4), np.inf)
    want[1:3, 1:3] = inner
    np.testing.assert_array_equal(got, want)
