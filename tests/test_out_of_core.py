"""Out-of-core pooling: band by band from file to file, equal bit for bit to in memory."""

from __future__ import annotations

import itertools
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maxpool_cli import FileFormatError, pool, pool_geometry
from maxpool_cli.engine import band_geometry, passes, pool_on
from maxpool_cli.io.sizes import parse_size
from maxpool_cli.jobs.options import PoolOptions
from maxpool_cli.jobs.out_of_core import pool_file

RNG = np.random.default_rng(11)

GEOMETRIES = [
    {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel": (2, 3), "stride": (1, 2), "dilation": (2, 1), "padding": ((1, 0), (1, 1))},
    {"kernel": 4, "stride": 3, "padding": "same"},
    {"kernel": 5, "stride": 1, "padding": 2},
    {"kernel": (3, 1), "stride": (2, 1), "dilation": (3, 1), "padding": ((3, 2), (0, 0))},
    {"kernel": (2, 4), "stride": (3, 4)},  # trailing cells no window reads, on both axes
]
OPS = [
    {"op": "max"},
    {"op": "min", "nan": "ignore"},
    {"op": "avg", "count_pad": True},
    {"op": "avg", "nan": "ignore", "pad_value": 0.5},
    {"op": "sum"},
]


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 30),
    k=st.integers(1, 4),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    pad=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    ceil=st.booleans(),
    cuts=st.lists(st.integers(1, 30), max_size=4),
    op=st.sampled_from(["max", "avg", "sum"]),
    count_pad=st.booleans(),
)
def test_bands_put_together_equal_the_whole(
    n: int,
    k: int,
    s: int,
    d: int,
    pad: tuple[int, int],
    ceil: bool,
    cuts: list[int],
    op: str,
    count_pad: bool,
) -> None:
    x = RNG.normal(size=(n, 3)).astype(np.float32)
    try:
        geom = pool_geometry(x.shape, (k, 1), (s, 1), (pad, (0, 0)), (d, 1), ceil)
    except Exception:
        return
    whole = pool(
        x, (k, 1), (s, 1), (pad, (0, 0)), (d, 1), ceil, op=op, count_pad=count_pad and op == "avg"
    )
    out = geom.output_shape[0]
    edges = sorted({0, out, *(c % (out + 1) for c in cuts)})
    parts = []
    for lo, hi in itertools.pairwise(edges):
        start, stop, band = band_geometry(geom, lo, hi)
        parts.append(pool_on(x[start:stop], band, op, count_pad=count_pad and op == "avg"))
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_sums_do_not_depend_on_how_the_work_is_split() -> None:
    x = RNG.normal(size=(50, 40)).astype(np.float32) * 1000
    for params in ({"op": "sum"}, {"op": "avg", "padding": 2, "kernel": 5, "stride": 1}):
        reference = pool(x, **params)
        for band_bytes in (1, 100, 1000):
            with mock.patch.object(passes, "BAND_BYTES", band_bytes):
                np.testing.assert_array_equal(pool(x, **params), reference)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
@pytest.mark.parametrize("op", OPS, ids=str)
@pytest.mark.parametrize("order", ["C", "F"])
def test_file_to_file_equals_in_memory(
    tmp_path: Path, geometry: dict, op: dict, order: str
) -> None:
    x = np.asarray(RNG.normal(size=(2, 37, 29)).astype(np.float32), order=order)
    x[0, 5, 5] = np.nan
    src = tmp_path / "x.npy"
    np.save(src, x)
    options = PoolOptions(**geometry, **op)
    want = pool(x, **options.for_pool())
    for limit in (1, 3000, 20_000, 10**9):  # one row per band up to a single band
        out = tmp_path / f"y{limit}.npy"
        pool_file(src, out, options, limit)
        got = np.load(out)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)  # bit for bit, NaN where NaN


def test_integer_and_bool_files(tmp_path: Path) -> None:
    for x in (RNG.integers(0, 255, (40, 33), dtype=np.uint8), RNG.random((40, 33)) < 0.2):
        src = tmp_path / "x.npy"
        np.save(src, x)
        for op in ("max", "avg", "sum"):
            pool_file(src, tmp_path / "y.npy", PoolOptions(kernel=3, op=op), 500, overwrite=True)
            np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), pool(x, 3, op=op))


def test_bad_files_and_parameters_leave_no_output(tmp_path: Path) -> None:
    src = tmp_path / "x.npy"
    np.save(src, np.zeros((10, 10)))
    src.write_bytes(src.read_bytes()[:-8])
    out = tmp_path / "y.npy"
    with pytest.raises(FileFormatError, match=r"x.npy: truncated"):
        pool_file(src, out, PoolOptions(), 1000)
    np.save(src, np.zeros((10, 10)))
    with pytest.raises(Exception, match=r"x.npy: axis 0: kernel spans 11 cells"):
        pool_file(src, out, PoolOptions(kernel=11), 1000)
    text = tmp_path / "t.npy"
    text.write_text("1,2\n")
    with pytest.raises(FileFormatError, match=r"t.npy: not a .npy file"):
        pool_file(text, out, PoolOptions(), 1000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.npy", "x.npy"]


def test_parse_size() -> None:
    assert parse_size("256MiB") == 256 * 2**20
    assert parse_size("1.5G") == 3 * 2**29
    with pytest.raises(Exception, match=r"--memory-limit: expected a size like 256M"):
        parse_size("lots")


def test_a_generous_budget_still_reads_in_bounded_bands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default budget is a quarter of the RAM: a 1 GiB .npy was once read as one band.
    from maxpool_cli.io import bands
    from maxpool_cli.jobs import out_of_core

    monkeypatch.setattr(out_of_core, "BAND_BUDGET", 64 * 2**10)
    read: list[int] = []
    real_read = bands.NpySource.read

    def recording_read(self: bands.NpySource, axis: int, start: int, stop: int) -> np.ndarray:
        slab = real_read(self, axis, start, stop)
        read.append(slab.nbytes)
        return slab

    monkeypatch.setattr(bands.NpySource, "read", recording_read)
    x = np.random.default_rng(3).normal(size=(512, 256))  # 1 MiB
    np.save(tmp_path / "x.npy", x)
    pool_file(tmp_path / "x.npy", tmp_path / "y.npy", PoolOptions(kernel=2), memory_limit=2**30)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), pool(x, 2))
    assert len(read) > 16
    assert max(read) <= 32 * 2**10  # half the band budget holds the input rows
