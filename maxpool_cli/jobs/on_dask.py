"""Running on Dask: a cluster for ``--dask``, folders as tasks, and large arrays as Dask arrays.

Folder mode sends each file to a worker as a task (the worker reads, pools and writes, as a
local worker process would); array mode pools a ``.npy`` or Zarr array as a Dask array with
:func:`maxpool_cli.dask.pool`. Outcomes, summary, resume and ``--fail-fast`` are those of
local batches (:mod:`maxpool_cli.jobs.batch`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import (
    FileFormatError,
    MaxpoolError,
    MissingExtraError,
    OutputExistsError,
    ParameterError,
    about_file,
)
from ..io.arrays import NpyLayout, read_layout
from ..io.atomic import atomic_folder, atomic_write, remove_stale_temporaries, write_error
from ..io.bands import NpySource
from ..io.formats import is_zarr_store
from .batch import Outcome, Task, process
from .one_file import ArrayReport, geometry_kwargs
from .options import Settings
from .out_of_core import band_rows, pool_band


def _require() -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingExtraError("--dask") from None
    return distributed


@contextlib.contextmanager
def client_for(address: str, workers: int) -> Iterator[Any]:
    """A client of a new local cluster (``"local"``) or of a running scheduler."""
    distributed = _require()
    if address == "local":
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.CRITICAL,  # errors are reported once, by maxpool
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
    if len(outcomes) == len(tasks):
        _sweep_temporaries(tasks)
    return outcomes


def _sweep_temporaries(tasks: list[Task]) -> None:
    """Remove the temporary files of writes that a killed worker could not clean up (its
    task ran again elsewhere), once every task has finished: only dead writers' (a
    concurrent run's live temporaries are its own)."""
    for task in tasks:
        remove_stale_temporaries(task.target)


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
        from ..io.arrays import zarr_array

        array = zarr_array(source, str(source))  # of an OME-Zarr image, its level 0
        try:
            return da.from_zarr(array)
        except Exception as e:
            raise FileFormatError(f"{source}: cannot read as Zarr: {e}") from e
    layout = read_layout(source)
    if layout is None or layout.dtype.hasobject:
        raise FileFormatError(f"{source}: array mode reads .npy and Zarr arrays only")
    if layout.fortran or not layout.shape:
        raise FileFormatError(f"{source}: array mode reads C-order arrays of 1 or more dimensions")
    if source.stat().st_size - layout.offset < layout.nbytes:
        raise FileFormatError(
            f"{source}: truncated: its header declares {layout.shape} {layout.dtype} but the "
            f"file is shorter"
        )
    if layout.nbytes == 0:  # no rows to read: no tasks either
        return da.from_array(np.empty(layout.shape, dtype=layout.dtype))
    row = max(1, int(np.prod(layout.shape[1:], dtype=np.int64)) * layout.dtype.itemsize)
    rows = max(1, chunk_bytes // row)
    blocks = []
    for start in range(0, layout.shape[0], rows):
        stop = min(layout.shape[0], start + rows)
        task = dask.delayed(_npy_block, pure=True)(str(source), layout, start, stop)
        blocks.append(da.from_delayed(task, (stop - start, *layout.shape[1:]), layout.dtype))
    return da.concatenate(blocks, axis=0)


def pool_array(
    client: Any, source: Path, target: Path, settings: Settings, workers: int
) -> list[ArrayReport]:
    """Pool one large array on the cluster into a ``.npy`` file or a Zarr store, atomically.

    Each task takes about a quarter of a worker's share of the memory limit.
    """
    from ..dask import pool as dask_pool
    from ..engine import pool_geometry

    chunk_bytes = max(1 << 20, settings.memory_limit // (4 * workers))
    options = settings.options
    if options.adaptive is not None:
        raise ParameterError("--dask: array mode pools fixed windows; expected no --output-size")
    if target.exists() and not settings.overwrite:
        raise OutputExistsError(target)
    x = lazy_array(source, chunk_bytes)
    kwargs = options.for_pool()
    try:
        geometry = pool_geometry(x.shape, **geometry_kwargs(kwargs))
        layout = None if is_zarr_store(source) else read_layout(source)
        by_bands = layout is not None and geometry.axes[0] == 0
        if layout is not None and by_bands:
            y = _bands_from_file(source, layout, geometry, options, chunk_bytes)
        else:
            y = dask_pool(x, **kwargs)
    except MaxpoolError as e:
        raise about_file(e, source) from e
    try:
        if y.size == 0 and target.suffix != ".zarr":
            _write_empty_npy(y, target, settings.overwrite)
        elif target.suffix == ".zarr":
            _write_zarr(client, y, target, settings.overwrite)
        elif by_bands:
            _write_npy_on_workers(client, y, target, settings.overwrite)
        else:
            _write_npy(client, y, target, settings.overwrite)
    except OSError as e:  # a full disk, on this process or a worker
        raise write_error(target, e) from e
    return [ArrayReport("array", x.shape, str(x.dtype), y.shape, str(y.dtype), geometry)]


def _bands_from_file(
    source: Path, layout: NpyLayout, geometry: Any, options: Any, chunk_bytes: int
) -> Any:
    """The output as a Dask array of bands, each read and pooled by one task straight from
    the file (the rows it needs, halo included): nothing moves between workers."""
    import dask
    import dask.array as da

    from ..engine import result_dtype

    first = geometry.per_axis[0]
    rows = band_rows(geometry, layout.dtype, chunk_bytes)
    out_dtype = result_dtype(layout.dtype, options.op)
    bands = []
    for lo in range(0, first.out, rows):
        hi = min(first.out, lo + rows)
        task = dask.delayed(_pool_band_task, pure=True)(
            str(source), layout, geometry, lo, hi, options
        )
        shape = (hi - lo, *geometry.output_shape[1:])
        bands.append(da.from_delayed(task, shape, dtype=out_dtype))
    return da.concatenate(bands, axis=0)


def _pool_band_task(
    path: str, layout: NpyLayout, geometry: Any, lo: int, hi: int, options: Any
) -> np.ndarray:
    source = NpySource(Path(path))
    try:
        return pool_band(source, geometry, lo, hi, options)
    finally:
        source.close()


def _write_zarr(client: Any, y: Any, target: Path, overwrite: bool) -> None:
    """Compute into a Zarr store beside the target, then move it into place.

    Every block's write is a task of its own, and all are waited for, failed or not, before
    the store is moved or removed: no late write recreates a removed temporary folder.
    """
    import zarr

    chunks = tuple(max(1, *c) for c in y.chunks)
    with atomic_folder(target, overwrite) as temporary:
        zarr.create_array(str(temporary), shape=y.shape, chunks=chunks, dtype=y.dtype)
        write_into_zarr(client, y, str(temporary), chunks)


def write_into_zarr(client: Any, y: Any, path: str, chunks: tuple[int, ...]) -> None:
    """Compute ``y`` into the Zarr array at ``path`` (of ``y``'s shape, chunked ``chunks``):
    a task per block, each block one chunk or a run of whole chunks (no two tasks write one
    chunk), all waited for, failed or not."""
    import dask

    if any(c[:-1] != (size,) * (len(c) - 1) for c, size in zip(y.chunks, chunks)):
        y = y.rechunk(chunks)
    starts = [np.cumsum((0, *c[:-1])).tolist() for c in y.chunks]
    writes = []
    for index, block in np.ndenumerate(y.to_delayed()):
        region = tuple(slice(s[i], s[i] + c[i]) for s, c, i in zip(starts, y.chunks, index))
        writes.append(dask.delayed(_store_block)(block, path, region))
    _all_done(client, client.compute(writes))


def _store_block(block: np.ndarray, path: str, region: tuple[slice, ...]) -> None:
    import zarr

    zarr.open_array(path, mode="r+")[region] = block


def _all_done(client: Any, futures: list[Any]) -> list[Any]:
    """The results of every future, once all have finished; the first error raised then."""
    distributed = _require()
    distributed.wait(futures)
    for future in futures:
        if future.status == "error":
            future.result()  # raises the task's exception
    return client.gather(futures)


def _write_empty_npy(y: Any, target: Path, overwrite: bool) -> None:
    """An output with no cells (a batch of zero images): its header is all there is."""
    with atomic_write(target, overwrite=overwrite) as out:
        _start_npy(out, y)


def _start_npy(out: BinaryIO, y: Any) -> tuple[int, int, list[int]]:
    """Write the header of ``y`` as ``.npy`` and size the file; return where the data
    starts, the bytes of one row of the first axis, and the first row of each band."""
    row = int(np.prod(y.shape[1:], dtype=np.int64)) * y.dtype.itemsize
    header = {"descr": np.lib.format.dtype_to_descr(y.dtype), "fortran_order": False}
    np.lib.format.write_array_header_1_0(out, {**header, "shape": y.shape})
    data_start = out.tell()
    out.truncate(data_start + row * y.shape[0])
    return data_start, row, np.cumsum((0, *y.chunks[0][:-1])).tolist()


def _write_npy(client: Any, y: Any, target: Path, overwrite: bool) -> None:
    """Compute the output's bands on the workers, all at once, and write each at its place
    in the output file as it arrives; the file is renamed into place when all are there."""
    distributed = _require()
    with atomic_write(target, overwrite=overwrite) as out:
        data_start, row, starts = _start_npy(out, y)
        futures = client.compute([y.blocks[i] for i in range(y.numblocks[0])])
        where = {future.key: start for future, start in zip(futures, starts)}
        try:
            for future in distributed.as_completed(futures):
                band = np.ascontiguousarray(future.result())
                out.seek(data_start + where[future.key] * row)
                out.write(band.tobytes())
                future.release()
        finally:
            client.cancel([f for f in futures if not f.done()])


def _write_band(band: np.ndarray, path: str, offset: int) -> int:
    """Write one band at its place in the output file (on the worker that pooled it)."""
    data = np.ascontiguousarray(band)
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data.data.cast("B"))
    return data.nbytes


def _write_npy_on_workers(client: Any, y: Any, target: Path, overwrite: bool) -> None:
    """The workers write their bands straight into the output file (shared storage: a local
    cluster, or a folder every worker sees), which is renamed into place when all are done."""
    import dask

    with atomic_write(target, overwrite=overwrite) as out:
        data_start, row, starts = _start_npy(out, y)
        out.flush()
        # to_delayed: one object per band, each with only its own part of the graph.
        bands = y.to_delayed().ravel()
        writes = [
            dask.delayed(_write_band)(band, out.name, data_start + start * row)
            for band, start in zip(bands, starts)
        ]
        written = sum(_all_done(client, client.compute(writes)))
        if written != row * y.shape[0]:
            raise FileFormatError(
                f"{target}: the workers wrote {written} bytes, expected {row * y.shape[0]}"
            )
