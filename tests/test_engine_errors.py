"""Invalid parameters and inputs raise MaxpoolError subclasses saying what was got and expected."""

from __future__ import annotations

import re

import numpy as np
import pytest

from maxpool_cli import DTypeError, MaxpoolError, ParameterError, ShapeError, pool, pool_geometry

X = np.zeros((6, 6), dtype=np.float32)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kernel": 0}, ParameterError, r"kernel: expected integers >= 1, got 0"),
        ({"kernel": (2, -1)}, ParameterError, r"kernel: expected integers >= 1, got \(2, -1\)"),
        ({"kernel": 2.5}, ParameterError, r"kernel: expected an integer, got 2\.5"),
        ({"kernel": True}, ParameterError, r"kernel: expected an integer, got True"),
        ({"kernel": ()}, ParameterError, r"kernel: expected at least one value"),
        ({"kernel": (2, 2, 2)}, ShapeError, r"kernel: got 3 values but the input has only 2"),
        ({"stride": -1}, ParameterError, r"stride: expected integers >= 1, got -1"),
        ({"stride": (1, 2, 3), "axes": (0, 1)}, ParameterError, r"stride: expected 1 or 2"),
        ({"dilation": 0}, ParameterError, r"dilation: expected integers >= 1, got 0"),
        ({"padding": -1}, ParameterError, r"padding: expected integers >= 0"),
        ({"padding": "full"}, ParameterError, r"padding: expected 'valid', 'same'.*'full'"),
        ({"padding": ((1, 2, 3), (0, 0))}, ParameterError, r"\(before, after\) pairs"),
        ({"padding": 2}, ShapeError, r"axis 0: window 0 covers padding only"),
        ({"kernel": 7}, ShapeError, r"axis 0: kernel spans 7 cells .* input has only 6"),
        ({"kernel": 3, "dilation": 3}, ShapeError, r"kernel spans 7 cells \(kernel 3, dilation 3"),
        ({"kernel": 9, "padding": 1}, ShapeError, r"padded input has only 8 \(1 \+ 6 \+ 1\)"),
        ({"axes": 2}, ShapeError, r"axes: axis 2 is out of range for 2-d input"),
        ({"axes": (0, -2)}, ParameterError, r"axes: expected distinct axes"),
        ({"ceil_mode": "yes"}, ParameterError, r"ceil_mode: expected True or False"),
        ({"padding": "same", "ceil_mode": True}, ParameterError, r"ceil_mode: has no effect"),
        (
            {"op": "median"},
            ParameterError,
            r"op: expected one of max, min, avg, sum, mode; got 'median'",
        ),
        ({"nan": "drop"}, ParameterError, r"nan: expected 'propagate' or 'ignore', got 'drop'"),
        ({"count_pad": True}, ParameterError, r"count_pad: only applies to op='avg'"),
        ({"op": "avg", "return_indices": True}, ParameterError, r"return_indices: only applies"),
        ({"pad_value": 0, "return_indices": True}, ParameterError, r"cannot be combined"),
        ({"pad_value": "zero"}, ParameterError, r"pad_value: expected a number, got 'zero'"),
        ({"pad_value": float("nan")}, ParameterError, r"pad_value: expected a number, got NaN"),
    ],
)
def test_bad_parameters(kwargs: dict, error: type[MaxpoolError], match: str) -> None:
    with pytest.raises(error, match=match):
        pool(X, **kwargs)


def test_errors_are_maxpool_errors_and_value_errors() -> None:
    assert issubclass(ParameterError, MaxpoolError)
    assert issubclass(ParameterError, ValueError)
    assert issubclass(ShapeError, ValueError)
    assert issubclass(DTypeError, TypeError)


def test_pad_value_must_fit_the_dtype() -> None:
    x = np.zeros((4, 4), dtype=np.uint8)
    with pytest.raises(ParameterError, match=r"pad_value: 300 does not fit uint8.*\[0, 255\]"):
        pool(x, 2, padding=1, pad_value=300)
    with pytest.raises(ParameterError, match=r"pad_value: expected an integer for uint8"):
        pool(x, 2, padding=1, pad_value=0.5)


@pytest.mark.parametrize(
    "x",
    [
        np.zeros((4, 4), dtype=np.complex64),
        np.array([["a", "b"], ["c", "d"]]),
        np.array([[object(), None], [1, 2]], dtype=object),
        np.zeros((4, 4), dtype="datetime64[s]"),
    ],
    ids=["complex", "string", "object", "datetime"],
)
def test_unsupported_dtypes(x: np.ndarray) -> None:
    expected = rf"dtype {re.escape(str(x.dtype))} cannot be pooled; expected bool"
    with pytest.raises(DTypeError, match=expected):
        pool(x)


def test_bad_shapes() -> None:
    with pytest.raises(ShapeError, match=r"0-d scalar"):
        pool(np.float32(3.0))
    with pytest.raises(ShapeError, match=r"kernel spans 2 cells .* input has only 0"):
        pool(np.zeros((0, 4)))
    with pytest.raises(ShapeError, match=r"input: expected non-negative dimensions"):
        pool_geometry((-1, 4))


def test_dilation_that_jumps_over_the_input() -> None:
    # Taps at -1 and 2 on a 2-cell input: the only window holds padding only.
    with pytest.raises(ShapeError, match=r"axis 0: window 0 covers padding only"):
        pool_geometry((2,), kernel=2, stride=1, dilation=3, padding=1)


def test_empty_batch_axis_is_fine() -> None:
    assert pool(np.zeros((0, 4, 4)), 2).shape == (0, 2, 2)


# Combinations that no entry point may take: each is refused by all alike, in the same words.
CONFLICTS = [
    ({"return_indices": True, "pad_value": 0}, r"return_indices: cannot be combined with pad_va"),
    ({"count_pad": True, "op": "max"}, r"count_pad: only applies to op='avg', got op='max'"),
    ({"count_pad": True, "op": "sum"}, r"count_pad: only applies to op='avg', got op='sum'"),
    ({"return_indices": True, "op": "avg"}, r"return_indices: only applies to op 'max' or 'min"),
    ({"return_indices": True, "op": "mode"}, r"return_indices: only applies to op 'max' or 'mi"),
    ({"op": "mean"}, r"op: expected one of .*; got 'mean'"),
    ({"nan": "skip"}, r"nan: expected 'propagate' or 'ignore', got 'skip'"),
    ({"op": "mode", "dtype": np.float32}, r"op: mode counts equal values"),
]


def _entry_points() -> dict[str, object]:
    from maxpool_cli.engine import pool_geometry, pool_on, reference_pool

    def on(x: np.ndarray, **kw: object) -> object:
        return pool_on(x, pool_geometry(x.shape, 2, 2, 1), **kw)  # type: ignore[arg-type]

    def ref(x: np.ndarray, **kw: object) -> object:
        return reference_pool(x, 2, 2, 1, **kw)  # type: ignore[arg-type]

    entries: dict[str, object] = {"pool": lambda x, **kw: pool(x, 2, 2, 1, **kw)}
    entries.update({"pool_on": on, "reference_pool": ref})
    try:
        import dask.array  # noqa: F401

        from maxpool_cli import dask as mdask

        entries["dask.pool"] = lambda x, **kw: mdask.pool(x, 2, 2, 1, **kw)
    except ImportError:
        pass
    return entries


@pytest.mark.parametrize("entry", sorted(_entry_points()))
@pytest.mark.parametrize(("kwargs", "match"), CONFLICTS)
def test_every_entry_point_refuses_the_same_combinations(
    entry: str, kwargs: dict, match: str
) -> None:
    kwargs = dict(kwargs)
    x = np.arange(12, dtype=kwargs.pop("dtype", np.int32)).reshape(3, 4)
    function = _entry_points()[entry]
    with pytest.raises(MaxpoolError, match=match):
        function(x, **kwargs)  # type: ignore[operator]
