"""Running on Dask: a cluster for ``--dask``, folders as tasks, and large arrays as Dask arrays.

Folder mode sends each file to a worker as a task (the worker reads, pools and writes, as a
local worker process would); array mode pools a ``.npy`` or Zarr array as a Dask array with
:func:`maxpool_cli.dask.pool`. Outcomes, summary, resume and ``--fail-fast`` are those of
local batches (:mod:`maxpool_cli.batch`).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .batch import Outcome, Task, process
from .errors import FileFormatError, MaxpoolError, ParameterError, about_file
from .io.atomic import atomic_write
from .job import ArrayReport, Settings, geometry_kwargs
from .out_of_core import NpyLayout, read_layout

EXTRA = "pip install 'maxpool-cli[dask]'"


def _require() -> Any:
    try:
        import distributed
    except ImportError:
        raise MaxpoolError(f"--dask: Dask is not installed; install the extra: {EXTRA}") from None
    return distributed


@contextlib.contextmanager
def client_for(address: str, workers: int) -> Iterator[Any]:
    """A client of a new local cluster (``"local"``) or of a running scheduler."""
    distributed = _require()
    if address == "local":
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = distributed.Client(address, timeout="10s")
    except OSError as e:
        raise MaxpoolError(f"--dask: cannot reach the scheduler at {address}: {e}") from e
    with client:
        yield client


def run_tasks(
    client: Any,
    tasks: list[Task],
    settings: Settings,
    fail_fast: bool = False,
    on_outcome: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Pool every task on the cluster's workers, reporting outcomes as they complete.

    A worker that dies has its tasks run again elsewhere (Dask's own retries); a task that
    keeps killing workers comes back as a failed outcome.
    """
    distributed = _require()
    futures = client.map(process, tasks, settings=settings, pure=False)
    by_future = dict(zip(futures, tasks))
    outcomes: list[Outcome] = []
    try:
        for future in distributed.as_completed(futures):
            try:
                outcome = future.result()
            except Exception as e:  # KilledWorker, lost connection: the file did not finish
                task = by_future[future]
                reason = f"the cluster could not run it: {type(e).__name__}: {e}"
                outcome = Outcome(str(task.source), str(task.target), "failed", reason)
            outcomes.append(outcome)
            on_outcome(outcome)
            if fail_fast and outcome.status == "failed":
                break
    finally:
        client.cancel([f for f in futures if not f.done()])
    return outcomes


def _npy_block(path: str, layout: NpyLayout, start: int, stop: int) -> np.ndarray:
    """Rows ``start..stop-1`` (first axis) of a C-order ``.npy`` file, read on a worker."""
    row = int(np.prod(layout.shape[1:], dtype=np.int64)) * layout.dtype.itemsize
    with open(path, "rb") as f:
        f.seek(layout.offset + start * row)
        data = f.read((stop - start) * row)
    shape = (stop - start, *layout.shape[1:])
    return np.frombuffer(data, dtype=layout.dtype).reshape(shape)


def lazy_array(source: Path, chunk_bytes: int) -> Any:
    """A ``.npy`` or Zarr array as a Dask array, read by the workers chunk by chunk."""
    import dask
    import dask.array as da

    if source.is_dir() or source.suffix == ".zarr":
        try:
            return da.from_zarr(str(source))
        except Exception as e:
            raise FileFormatError(f"{source}: cannot read as Zarr: {e}") from e
    layout = read_layout(source)
    if layout is None or layout.dtype.hasobject:
        raise FileFormatError(f"{source}: array mode reads .npy and Zarr arrays only")
    if layout.fortran or not layout.shape:
        raise FileFormatError(f"{source}: array mode reads C-order arrays of 1 or more dimensions")
    row = max(1, int(np.prod(layout.shape[1:], dtype=np.int64)) * layout.dtype.itemsize)
    rows = max(1, chunk_bytes // row)
    blocks = []
    for start in range(0, layout.shape[0], rows):
        stop = min(layout.shape[0], start + rows)
        task = dask.delayed(_npy_block, pure=True)(str(source), layout, start, stop)
        blocks.append(da.from_delayed(task, (stop - start, *layout.shape[1:]), layout.dtype))
    return da.concatenate(blocks, axis=0)


def pool_array(
    client: Any, source: Path, target: Path, settings: Settings, chunk_bytes: int
) -> list[ArrayReport]:
    """Pool one large array on the cluster into a ``.npy`` file or a Zarr store, atomically."""
    from .dask import pool as dask_pool
    from .engine import pool_geometry

    options = settings.options
    if options.adaptive is not None:
        raise ParameterError("--dask: array mode pools fixed windows; expected no --output-size")
    if target.exists() and not settings.overwrite:
        raise FileFormatError(f"{target}: already exists; pass --overwrite to replace it")
    x = lazy_array(source, chunk_bytes)
    kwargs = options.for_pool()
    try:
        geometry = pool_geometry(x.shape, **geometry_kwargs(kwargs))
        y = dask_pool(x, **kwargs)
    except MaxpoolError as e:
        raise about_file(e, source) from e
    if target.suffix == ".zarr":
        _write_zarr(client, y, target, settings.overwrite)
    else:
        _write_npy(client, y, target, settings.overwrite)
    return [ArrayReport("array", x.shape, str(x.dtype), y.shape, str(y.dtype), geometry)]


def _write_zarr(client: Any, y: Any, target: Path, overwrite: bool) -> None:
    """Compute into a Zarr store beside the target, then move it into place."""
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        client.compute(y.to_zarr(str(temporary), overwrite=True, compute=False)).result()
        if target.exists() and overwrite:
            shutil.rmtree(target)
        temporary.rename(target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _write_npy(client: Any, y: Any, target: Path, overwrite: bool) -> None:
    """Compute the output one band of blocks at a time and write it in order, atomically."""
    with atomic_write(target, overwrite=overwrite) as out:
        np.lib.format.write_array_header_1_0(
            out,
            {
                "descr": np.lib.format.dtype_to_descr(y.dtype),
                "fortran_order": False,
                "shape": y.shape,
            },
        )
        for i in range(y.numblocks[0]):
            data = client.compute(y.blocks[i]).result()
            out.write(np.ascontiguousarray(data).tobytes())
