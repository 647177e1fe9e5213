"""Big-endian arrays (a ``.npy`` written on another machine, ``>f4`` Zarr) pool as their
native-order twins do: the same values, the same dtype in the machine's byte order, by
every entry point and every path a file can take (in memory, band by band, pyramids)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from maxpool_cli import adaptive_pool, pool, pool_backward, unpool
from maxpool_cli.cli import cli
from maxpool_cli.engine import reference_pool

BIG = [">f4", ">f8", ">i4", ">u2", ">i8"]


def _pair(dtype: str, order: str, shape: tuple[int, ...] = (7, 9)) -> tuple[np.ndarray, np.ndarray]:
    """A big-endian array and the same values in native order."""
    values = np.random.default_rng(7).integers(-50, 50, shape)
    if dtype.startswith(">u"):
        values = np.abs(values)
    big = np.asarray(values.astype(dtype), order=order)  # type: ignore[call-overload]
    assert not big.dtype.isnative
    return big, big.astype(big.dtype.newbyteorder("="))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", BIG)
def test_every_op_pools_big_endian_as_native(dtype: str, order: str) -> None:
    big, native = _pair(dtype, order)
    ops = ["max", "min", "avg", "sum"] + ([] if big.dtype.kind == "f" else ["mode"])
    for op in ops:
        got = pool(big, 3, stride=2, padding=1, op=op)
        want = pool(native, 3, stride=2, padding=1, op=op)
        assert got.dtype == want.dtype
        assert got.dtype.isnative
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, reference_pool(native, 3, 2, 1, op=op))
    values, indices = pool(big, 2, return_indices=True)
    np.testing.assert_array_equal(indices, pool(native, 2, return_indices=True)[1])
    np.testing.assert_array_equal(
        unpool(values, indices, big.shape),
        unpool(*pool(native, 2, return_indices=True), native.shape),
    )
    np.testing.assert_array_equal(adaptive_pool(big, (3, 4)), adaptive_pool(native, (3, 4)))
    grad = np.ones(pool(native, 2).shape, ">f4")
    np.testing.assert_array_equal(pool_backward(grad, big, 2), pool_backward(grad, native, 2))


@pytest.mark.parametrize("limit", [None, "1M"], ids=["in-memory", "band-by-band"])
def test_a_big_endian_npy_file_on_the_command_line(tmp_path: Path, limit: str | None) -> None:
    big, native = _pair(">f4", "C", (600, 500))
    np.save(tmp_path / "be.npy", big)
    args = ["run", str(tmp_path / "be.npy"), "-k", "3", "-s", "2", "-o", str(tmp_path / "o.npy")]
    done = CliRunner().invoke(cli, args + (["--memory-limit", limit] if limit else []))
    assert done.exit_code == 0, done.output
    out = np.load(tmp_path / "o.npy")
    assert out.dtype == np.dtype("float32")
    assert out.dtype.isnative
    np.testing.assert_array_equal(out, pool(native, 3, 2))


def test_big_endian_npz_members_and_fortran_order(tmp_path: Path) -> None:
    a, a_native = _pair(">i4", "F")
    b, b_native = _pair(">u2", "C")
    np.savez(tmp_path / "be.npz", a=a, b=b)
    done = CliRunner().invoke(cli, ["run", str(tmp_path / "be.npz"), "-o", str(tmp_path / "o.npz")])
    assert done.exit_code == 0, done.output
    with np.load(tmp_path / "o.npz") as out:
        np.testing.assert_array_equal(out["a"], pool(a_native, 2))
        np.testing.assert_array_equal(out["b"], pool(b_native, 2))


@pytest.mark.skipif(importlib.util.find_spec("zarr") is None, reason="needs zarr")
def test_a_big_endian_pyramid_and_zarr_v2(tmp_path: Path) -> None:
    import zarr

    big, native = _pair(">f4", "C", (64, 48))
    np.save(tmp_path / "be.npy", big)
    out = tmp_path / "p.ome.zarr"
    done = CliRunner().invoke(
        cli, ["pyramid", str(tmp_path / "be.npy"), "-o", str(out), "--min-size", "8"]
    )
    assert done.exit_code == 0, done.output
    group = zarr.open_group(str(out), mode="r")
    np.testing.assert_array_equal(group["1"][...], pool(native, 2, ceil_mode=True))
    store = tmp_path / "v2.zarr"
    array = zarr.create_array(str(store), shape=big.shape, dtype=">f4", zarr_format=2)
    array[...] = big
    done = CliRunner().invoke(cli, ["run", str(store), "-k", "2", "-o", str(tmp_path / "z.npy")])
    assert done.exit_code == 0, done.output
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), pool(native, 2))
