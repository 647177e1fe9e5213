"""Dask: the lazy pool, folders and arrays on a real local cluster of worker processes."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

pytest.importorskip("distributed", reason="the [dask] extra is not installed")

import dask
import dask.array as da
import zarr
from distributed import Client, LocalCluster

from maxpool_cli import io as mio
from maxpool_cli import pool
from maxpool_cli.cli import cli
from maxpool_cli.dask import pool as dask_pool
from maxpool_cli.jobs.batch import discover
from maxpool_cli.jobs.on_dask import run_tasks
from maxpool_cli.jobs.options import PoolOptions, Settings

RNG = np.random.default_rng(8)
CASES = [
    {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel": (2, 3), "stride": (1, 2), "dilation": (2, 1), "padding": ((1, 0), (1, 1))},
    {"kernel": 4, "stride": 3, "padding": "same", "op": "sum"},
    {"kernel": (2, 4), "stride": (3, 4), "op": "min", "nan": "ignore"},
    {"kernel": 3, "stride": 2, "return_indices": True},
    {"kernel": 5, "stride": 1, "padding": 2, "op": "avg", "count_pad": True},
    {"kernel": 3, "stride": 1, "padding": 1, "op": "avg", "nan": "ignore", "pad_value": 0.5},
]
CHUNKS = [(1, 7, 5), (3, 10, 29), (2, 37, 3), (3, 37, 29)]


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as c,
        Client(c) as client,
    ):
        yield client


def _check(params: dict, chunks: tuple[int, ...], compute) -> None:  # type: ignore[no-untyped-def]
    x = RNG.normal(size=(3, 37, 29)).astype(np.float32)
    x[1, 4, 4] = np.nan
    want = pool(x, **params)
    got = dask_pool(da.from_array(x, chunks=chunks), **params)
    if params.get("return_indices"):
        values, indices = compute(list(got))
        np.testing.assert_array_equal(values, want[0])
        np.testing.assert_array_equal(indices, want[1])
    else:
        (result,) = compute([got])
        assert result.dtype == want.dtype
        np.testing.assert_array_equal(result, want)


@pytest.mark.parametrize("params", CASES, ids=str)
@pytest.mark.parametrize("chunks", CHUNKS, ids=str)
def test_equals_in_memory_bit_for_bit(params: dict, chunks: tuple[int, ...]) -> None:
    """Every option and chunk sizes that do not divide the array (in-process scheduler)."""
    _check(params, chunks, lambda arrays: dask.compute(*arrays, scheduler="synchronous"))


@pytest.mark.parametrize(
    ("params", "chunks"),
    [(CASES[1], CHUNKS[0]), (CASES[4], CHUNKS[2]), (CASES[6], CHUNKS[1])],
    ids=str,
)
def test_equals_in_memory_on_the_cluster(client, params: dict, chunks: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    """The same on the cluster's worker processes."""
    _check(params, chunks, lambda arrays: client.compute(arrays, sync=True))


def test_lazy_and_composable() -> None:
    x = da.from_array(np.arange(64.0).reshape(8, 8), chunks=3)
    y = dask_pool(x, 2) + 1  # nothing computed yet
    assert isinstance(y, da.Array)
    assert y.shape == (4, 4)
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(y.compute(), pool(np.arange(64.0).reshape(8, 8), 2) + 1)


def _folder(root: Path, count: int) -> None:
    root.mkdir()
    for i in range(count):
        Image.fromarray(RNG.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
            root / f"{i:02d}.png"
        )
    (root / "broken.png").write_text("not an image")


def test_folder_mode_on_a_cluster(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src, out = tmp_path / "in", tmp_path / "out"
    _folder(src, 6)
    address = client.scheduler.address
    args = ["run", str(src), "-o", str(out), "-k", "2", "--dask", address, "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1  # the broken file
    *files, last = [json.loads(line) for line in result.stdout.splitlines()]  # JSON Lines
    assert len(files) == 7
    assert last["summary"] == {**last["summary"], "done": 6, "failed": 1, "skipped": 0}
    assert f"Error: {src / 'broken.png'}: named as PNG" in result.stderr
    for i in range(6):
        name = f"{i:02d}.png"
        np.testing.assert_array_equal(
            mio.load(out / name), pool(mio.load(src / name), 2, axes=(0, 1))
        )
    again = CliRunner().invoke(cli, args)  # resume: everything done is skipped
    assert json.loads(again.stdout.splitlines()[-1])["summary"]["skipped"] == 6


def test_array_mode_npy_and_zarr(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    x = RNG.normal(size=(301, 77)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    address = client.scheduler.address
    runner = CliRunner()
    base = ["-k", "3", "-s", "2", "-p", "1", "--dask", address, "--memory-limit", "1M"]
    result = runner.invoke(
        cli, ["run", str(tmp_path / "x.npy"), *base, "-o", str(tmp_path / "y.zarr")]
    )
    assert result.exit_code == 0, result.stderr
    stored = zarr.open(str(tmp_path / "y.zarr"), mode="r")
    np.testing.assert_array_equal(stored[:], pool(x, 3, 2, 1))
    result = runner.invoke(
        cli,
        [
            "run",
            str(tmp_path / "y.zarr"),
            "-k",
            "2",
            "--dask",
            address,
            "-o",
            str(tmp_path / "z.npy"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "z.npy"), pool(pool(x, 3, 2, 1), 2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy", "y.zarr", "z.npy"]


def test_a_killed_worker_does_not_lose_files(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src, out = tmp_path / "in", tmp_path / "out"
    _folder(src, 24)
    (src / "broken.png").unlink()
    tasks, _ = discover([str(src)], out)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(outcome: object) -> None:
        if not killed:
            os.kill(pids[0], 9)  # a worker dies mid-run; its nanny starts a new one
            killed.append(time.monotonic())

    outcomes = run_tasks(client, tasks, Settings(PoolOptions(kernel=2)), on_outcome=kill_one)
    assert killed
    # A task whose worker died after writing is run again and finds its file there.
    assert {o.status for o in outcomes} <= {"done", "skipped"}
    assert len({o.source for o in outcomes}) == 24
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(t.target.name for t in tasks)  # no temporary file left
    for name in names:
        assert mio.read(out / name).single().shape == (32, 32, 3)


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    np.save(tmp_path / "x.npy", np.zeros((4, 4)))
    result = CliRunner().invoke(
        cli, ["run", str(tmp_path / "x.npy"), "--dask", "local", "-o", str(tmp_path / "y.npy")]
    )
    assert result.exit_code == 1
    assert "needs the [dask] extra, which is not installed" in result.stderr
    assert "pip install '.[dask]'" in result.stderr


def test_info_reads_zarr(tmp_path: Path) -> None:
    store = zarr.create_array(str(tmp_path / "a.zarr"), shape=(6, 8), chunks=(3, 4), dtype="int32")
    store[:] = np.arange(48).reshape(6, 8)
    result = CliRunner().invoke(cli, ["info", str(tmp_path / "a.zarr"), "--json"])
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["format"] == "zarr"
    assert record["arrays"][0]["input_range"] == [0, 47]
    assert record["arrays"][0]["output_shape"] == [3, 4]


def test_array_mode_refuses_a_truncated_file(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "x.npy"
    np.save(src, np.zeros((100, 10)))
    src.write_bytes(src.read_bytes()[:-80])
    result = CliRunner().invoke(
        cli, ["run", str(src), "-o", str(tmp_path / "y.npy"), "--dask", client.scheduler.address]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {src}: truncated")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_array_mode_of_an_empty_array(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    np.save(tmp_path / "e.npy", np.zeros((0, 8, 8), dtype=np.float32))
    address = client.scheduler.address
    out = tmp_path / "o.npy"
    result = CliRunner().invoke(
        cli, ["run", str(tmp_path / "e.npy"), "--dask", address, "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    pooled = np.load(out)
    assert pooled.shape == (0, 4, 4)
    assert pooled.dtype == np.float32


def _mount_tmpfs(folder: Path) -> bool:
    """A 20 MiB tmpfs on ``folder``, where this process may mount one."""
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _small_files() -> None:
    """A child's file-size limit (RLIMIT_FSIZE): writes past 64 KiB in a file fail (EFBIG),
    in the .npy as in every chunk of a Zarr store."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2**16, 2**16))


@pytest.mark.parametrize("suffix", [".npy", ".zarr"])
@pytest.mark.parametrize("full", ["rlimit", "tmpfs"])
def test_array_mode_on_a_full_disk_is_one_clean_error(
    tmp_path: Path, suffix: str, full: str
) -> None:
    x = RNG.normal(size=(4000, 4000)).astype(np.float32)  # 64 MiB in and out (kernel 1)
    np.save(tmp_path / "x.npy", x)
    disk = tmp_path / "disk"
    disk.mkdir()
    if full == "tmpfs" and not _mount_tmpfs(disk):
        pytest.skip("this process may not mount a tmpfs (the rlimit case covers a full disk)")
    try:
        out = disk / f"y{suffix}"
        args = [sys.executable, "-m", "maxpool_cli", "run", str(tmp_path / "x.npy"), "-k", "1"]
        args += ["-o", str(out), "--dask", "local", "-j", "2", "--memory-limit", "16M"]
        preexec = _small_files if full == "rlimit" else None
        done = subprocess.run(args, capture_output=True, text=True, preexec_fn=preexec, timeout=120)
        assert done.returncode == 1, done.stderr
        lines = done.stderr.strip().splitlines()
        assert lines == [lines[-1]], done.stderr  # no Dask logs, no traceback
        assert lines[0].startswith(f"Error: {out}: cannot write: ")
        assert ("No space left on device" in lines[0]) or ("File too large" in lines[0])
        assert list(disk.iterdir()) == []  # no temporary left
    finally:
        if full == "tmpfs":
            subprocess.run(["umount", str(disk)], check=False)


def test_a_level_inside_an_ome_zarr_store_is_an_array_not_a_folder_of_files(
    tmp_path: Path,
) -> None:
    # (Once: a batch of no files, exit 0, and an empty "output folder" named lvl.zarr.)
    image = np.random.default_rng(5).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / "rgb.png")
    store = tmp_path / "rgb.ome.zarr"
    runner = CliRunner()
    args = ["pyramid", str(tmp_path / "rgb.png"), "-o", str(store), "--min-size", "8", "-q"]
    made = runner.invoke(cli, args)
    assert made.exit_code == 0, made.output
    level = zarr.open_array(str(store / "1"))[:]
    for source, expected in ((store / "1", level), (store, np.moveaxis(image, -1, 0))):
        out = tmp_path / f"from_{source.name}.zarr"
        result = runner.invoke(cli, ["run", str(source), "-k", "2", "-o", str(out), "-j", "1"])
        assert result.exit_code == 0, result.output
        np.testing.assert_array_equal(zarr.open_array(str(out))[:], pool(expected, 2))


@pytest.mark.parametrize(
    ("options", "dtype"),
    [
        (["--axes", "1,2", "--axes-names", "c,y,x", "-k", "3", "-s", "2", "-p", "1"], np.float32),
        (["--axes", "0,1,2", "--axes-names", "z,y,x", "--op", "mode"], np.int16),
        (["--axes", "0,1,2", "--axes-names", "z,y,x", "--levels", "1"], np.float64),
    ],
    ids=["c-y-x-k3s2p1", "z-y-x-mode", "level-0-alone"],
)
def test_a_pyramid_on_the_cluster_equals_the_local_one(  # type: ignore[no-untyped-def]
    client, tmp_path: Path, options: list[str], dtype: type
) -> None:
    x = RNG.normal(0, 3, (5, 150, 97)).astype(dtype)
    np.save(tmp_path / "v.npy", x)
    runner = CliRunner()
    common = [*options, "--min-size", "2", "--chunks", "16", "-q"]
    address = client.scheduler.address
    for name, extra in (("local", []), ("dask", ["--dask", address, "--memory-limit", "1M"])):
        args = ["pyramid", str(tmp_path / "v.npy"), "-o", str(tmp_path / f"{name}.zarr")]
        result = runner.invoke(cli, [*args, *common, *extra])
        assert result.exit_code == 0, result.stderr
    local = zarr.open_group(str(tmp_path / "local.zarr"), mode="r")
    on_dask = zarr.open_group(str(tmp_path / "dask.zarr"), mode="r")
    multiscales = [g.attrs["ome"]["multiscales"][0] for g in (local, on_dask)]
    assert [{**m, "name": ""} for m in multiscales[:1]] == [{**multiscales[1], "name": ""}]
    keys = sorted(local.array_keys())
    assert keys == sorted(on_dask.array_keys())
    assert len(keys) == 1 if "--levels" in options else len(keys) >= 3
    axes = tuple(int(a) for a in options[1].split(","))
    kwargs = {"kernel": 3, "stride": 2, "padding": 1} if "-k" in options else {}
    op = "mode" if "mode" in options else "max"
    level = x
    for key in keys:  # every level: the last one pooled
        assert on_dask[key].chunks == local[key].chunks
        np.testing.assert_array_equal(on_dask[key][:], local[key][:])
        np.testing.assert_array_equal(on_dask[key][:], level)
        level = pool(level, **kwargs, ceil_mode=True, op=op, axes=axes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask.zarr", "local.zarr", "v.npy"]


def test_a_pyramid_on_dask_reads_arrays_and_writes_ome_zarr(tmp_path: Path) -> None:
    Image.new("L", (8, 8)).save(tmp_path / "i.png")
    np.save(tmp_path / "a.npy", np.zeros((8, 8), np.float32))
    runner = CliRunner()
    for source, target, message in [
        ("i.png", "o.zarr", "--dask builds pyramids of .npy and Zarr arrays"),
        ("a.npy", "o.tif", "--dask: builds OME-Zarr pyramids; expected -o OUT.zarr"),
    ]:
        args = ["pyramid", str(tmp_path / source), "-o", str(tmp_path / target)]
        result = runner.invoke(cli, [*args, "--dask", "local", "-j", "1"])
        assert result.exit_code in (1, 2)  # (2: a usage error, with the usage)
        assert message in result.stderr.strip().splitlines()[-1]
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy", "i.png"]
