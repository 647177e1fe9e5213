"""Pyramids: ``maxpool pyramid`` of a large TIFF and ``.npy``, against GDAL and libvips.

    python benchmarks/bench_pyramid.py                    # 4 GiB inputs: ~25 GiB disk, ~15 min
    python benchmarks/bench_pyramid.py --quick            # 128 MiB inputs, under a minute
    python benchmarks/bench_pyramid.py --gib 1 --work /tmp/pyr   # keeps the inputs for reruns
    python benchmarks/bench_pyramid.py --maxpool /work/venv/bin/maxpool --repeat 3

Issue 16. Every tool runs as a whole process, the way a user runs it, started by a small
intermediate Python process that reports the wall time and the command's peak RSS (the
kernel's ``ru_maxrss`` of its children), median of ``--repeat`` timed runs after one checked
run, the tools taking turns (the inputs are in the page cache: they were just written or read).

- maxpool: ``maxpool pyramid IN -o OUT.ome.zarr --memory-limit 256M`` (``--memory-limit``
  changes the budget; default options otherwise: ``-k 2``, ceil mode, levels down to 64).
  ``--maxpool``: a Python with maxpool installed, a ``maxpool`` script, or a command line.
- GDAL: ``gdaladdo -r max`` where this GDAL has it, else ``-r average`` (a different op:
  the table says which), on a fresh copy of the TIFF (the copy is not timed), with the same
  overview factors as maxpool's levels and ``GDAL_CACHEMAX`` set to the memory limit. GDAL
  reads no ``.npy``: the ``.npy`` case has no GDAL row.
- libvips: ``vips tiffsave IN OUT.tif --tile --pyramid --region-shrink max --bigtiff`` (a
  pyramidal tiled TIFF, 256x256 tiles; the ``.npy`` read with ``vips rawload`` at the header's
  offset); ``mean`` where this libvips has no ``max`` shrink.

Inputs, generated in ``--work`` (reused when there; a temporary folder, removed at the end,
without it) without ever holding them whole: a uint16 tiled TIFF of ``--gib`` GiB (32768x65536
for 4 GiB; smooth waves plus noise, uncompressed, 256x256 tiles, written tile by tile by
tifffile) and a float32 ``.npy`` of the same number of bytes (23296x46080 for 4 GiB; written
band by band through ``np.lib.format.open_memmap``). Free disk is checked first.

Each output is checked once, before timing: every level has the expected shape (each the one
before halved, rounded up); the OME-Zarr opens with ``zarr`` and its multiscales metadata
names the levels with scales 1, 2, 4...; level 0 and level 1 are compared, a few bands of rows
at a time, with the input and with NumPy's exact 2x2 max pooling of it (level 2 with the
pooling of level 1 for the first band). GDAL's average is checked against the exact mean
rounded half up.

Targets: maxpool's peak RSS < 400 MiB with ``--memory-limit 256M`` on both inputs; wall time
is reported, with ratio = the other tool's time / maxpool's (below 1: maxpool is slower).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from measure import (  # (benchmarks/measure.py, beside this script)
    Run,
    maxpool_command,
    median,
    peak_rss,
    run,
    spread,
)

MiB = 2**20
GiB = 2**30
TILE = 256
CHECK_ROWS = 512  # rows of level 0 per checked band (even, so that level 1 has half)


# --- inputs -------------------------------------------------------------------------------------


def shape_for(gib: float, itemsize: int) -> tuple[int, int]:
    """A (H, W) of about ``gib`` GiB, W about 2H, both multiples of the tile."""
    pixels = gib * GiB / itemsize
    height = max(2, round(math.sqrt(pixels / 2) / TILE)) * TILE
    width = max(2, round(pixels / height / TILE)) * TILE
    return height, width


def smooth_band(top: int, rows: int, width: int) -> np.ndarray:
    """Rows ``top..top+rows-1`` of slow crossed waves, float32 in about [0, 1]."""
    y = np.arange(top, top + rows, dtype=np.float32)[:, None]
    x = np.arange(width, dtype=np.float32)[None, :]
    return 0.5 + 0.45 * np.sin(x * np.float32(0.0031)) * np.cos(y * np.float32(0.0023))


def make_tiff(path: Path, shape: tuple[int, int]) -> None:
    """A uint16 tiled TIFF of ``shape``, written tile by tile (a band of tiles at a time)."""
    import tifffile

    height, width = shape
    rng = np.random.default_rng(16)

    def tiles() -> Iterator[np.ndarray]:
        for top in range(0, height, TILE):
            band = smooth_band(top, TILE, width) * np.float32(50000)
            band += rng.integers(0, 8000, band.shape, dtype=np.uint16)
            pixels = band.astype(np.uint16)
            del band
            for left in range(0, width, TILE):
                yield pixels[:, left : left + TILE]

    part = path.with_name(path.name + ".part")
    tifffile.imwrite(
        part,
        tiles(),
        shape=shape,
        dtype=np.uint16,
        tile=(TILE, TILE),
        bigtiff=True,
        photometric="minisblack",
        metadata=None,
    )
    part.rename(path)


def make_npy(path: Path, shape: tuple[int, int]) -> None:
    """A float32 ``.npy`` of ``shape``, written band by band through a memory map."""
    part = path.with_name(path.name + ".part")
    array = np.lib.format.open_memmap(part, mode="w+", dtype=np.float32, shape=shape)
    rng = np.random.default_rng(32)
    rows = max(1, 64 * MiB // (shape[1] * 4))
    for top in range(0, shape[0], rows):
        stop = min(shape[0], top + rows)
        band = smooth_band(top, stop - top, shape[1])
        band += rng.random(band.shape, dtype=np.float32) * np.float32(0.2)
        array[top:stop] = band
        array.flush()
    del array
    part.rename(path)


@dataclass
class Inputs:
    tiff: Path
    tiff_shape: tuple[int, int]
    npy: Path
    npy_shape: tuple[int, int]


def input_paths(work: Path, gib: float) -> Inputs:
    tiff_shape, npy_shape = shape_for(gib, 2), shape_for(gib, 4)
    return Inputs(
        tiff=work / f"u16_{tiff_shape[0]}x{tiff_shape[1]}.tif",
        tiff_shape=tiff_shape,
        npy=work / f"f32_{npy_shape[0]}x{npy_shape[1]}.npy",
        npy_shape=npy_shape,
    )


def make_inputs(inputs: Inputs) -> None:
    if not inputs.tiff.exists():
        h, w = inputs.tiff_shape
        print(f"generating a {h}x{w} uint16 TIFF ({h * w * 2 / GiB:.2f} GiB)...", flush=True)
        make_tiff(inputs.tiff, inputs.tiff_shape)
    if not inputs.npy.exists():
        h, w = inputs.npy_shape
        print(f"generating a {h}x{w} float32 .npy ({h * w * 4 / GiB:.2f} GiB)...", flush=True)
        make_npy(inputs.npy, inputs.npy_shape)


# --- the pyramid's levels -----------------------------------------------------------------------


def level_shapes(shape: tuple[int, int], min_size: int = 64) -> list[tuple[int, int]]:
    """maxpool's default levels: each the one before halved, rounded up (ceil mode), until a
    side would drop below ``min_size``."""
    shapes = [shape]
    while True:
        h, w = shapes[-1]
        nxt = (-(-h // 2), -(-w // 2))
        if min(nxt) < min_size or nxt == shapes[-1]:
            return shapes
        shapes.append(nxt)


def pool2(x: np.ndarray) -> np.ndarray:
    """Exact 2x2 stride-2 max pooling (VALID)."""
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    return x[:h, :w].reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))


def average2(x: np.ndarray) -> np.ndarray:
    """Exact 2x2 mean of integers, rounded half up (GDAL's ``average`` on integers)."""
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    total = x[:h, :w].reshape(h // 2, 2, w // 2, 2).sum(axis=(1, 3), dtype=np.int64)
    return ((total + 2) // 4).astype(x.dtype)


def tiff_levels(path: Path, dtype: np.dtype) -> list[Any]:
    """Every level of a pyramidal TIFF (SubIFDs, as maxpool writes them, or one page a level,
    as libvips and GDAL) as a lazily read array (tifffile's Zarr store), in the input's
    dtype: libvips writes the reduced levels of a float image without their SampleFormat
    tag, so they read as uint32 holding float32 bits."""
    import tifffile
    import zarr

    with tifffile.TiffFile(path) as tif:
        if tif.pages[0].subifds:
            series = tif.series[0]
            stores = [series.aszarr(level=n) for n in range(len(series.levels))]
        else:
            stores = [page.aszarr() for page in tif.pages]
        return [LazyLevel(zarr.open(store, mode="r"), dtype) for store in stores]


@dataclass
class LazyLevel:
    array: Any
    dtype: np.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    def rows(self, start: int, stop: int) -> np.ndarray:
        band = np.asarray(self.array[start:stop])
        if band.dtype != self.dtype and band.dtype.itemsize == self.dtype.itemsize:
            band = band.view(self.dtype)
        return band


def zarr_levels(path: Path, problems: list[str]) -> list[LazyLevel]:
    """The levels of maxpool's OME-Zarr, checking its multiscales metadata on the way."""
    import zarr

    root = zarr.open_group(str(path), mode="r")
    ome = root.attrs.get("ome", {})
    scales = ome.get("multiscales") if isinstance(ome, dict) else None
    if not scales:
        problems.append("no OME multiscales metadata")
        return []
    levels = []
    for n, dataset in enumerate(scales[0]["datasets"]):
        scale = next(t["scale"] for t in dataset["coordinateTransformations"] if "scale" in t)
        if scale != [2.0**n, 2.0**n]:
            problems.append(f"level {n}: scale {scale}, not {[2.0**n] * 2}")
        array = root[dataset["path"]]
        if not isinstance(array, zarr.Array):
            problems.append(f"level {n}: {dataset['path']} is not an array")
            return []
        levels.append(LazyLevel(array, np.dtype(array.dtype)))
    return levels


def input_level(src: Path) -> LazyLevel:
    """Level 0: the input, read a band of rows at a time."""
    if src.suffix == ".npy":
        array = np.load(src, mmap_mode="r")
        return LazyLevel(array, array.dtype)
    return tiff_levels(src, np.dtype(np.uint16))[0]


def check_levels(
    src: Path,
    levels: list[LazyLevel],
    expected: list[tuple[int, int]],
    reduce: Callable[[np.ndarray], np.ndarray] = pool2,
    has_level0: bool = True,
) -> str:
    """'' when the levels have the expected shapes (a prefix of ``expected`` of at least 3
    levels: tools choose their own depth) and levels 0 to 2 hold the right pixels on a few
    bands of rows; else what is wrong."""
    shapes = [lv.shape for lv in levels]
    if len(shapes) < 3 or shapes != expected[: len(shapes)]:
        return f"level shapes {shapes}, expected {expected}"
    x = input_level(src)
    height = x.shape[0]
    tops = sorted({0, height // 2 // CHECK_ROWS * CHECK_ROWS, height - CHECK_ROWS})
    for top in tops:
        band = x.rows(top, top + CHECK_ROWS)
        if has_level0 and not np.array_equal(levels[0].rows(top, top + CHECK_ROWS), band):
            return f"level 0, rows {top}..: not the input"
        got = levels[1].rows(top // 2, (top + CHECK_ROWS) // 2)
        want = reduce(band)
        if got.dtype != want.dtype or not np.array_equal(got, want):
            bad = np.count_nonzero(got != want) if got.shape == want.shape else "all"
            return f"level 1, rows {top // 2}..: {bad} values differ ({got.dtype})"
    one = levels[1].rows(0, CHECK_ROWS)
    if not np.array_equal(levels[2].rows(0, CHECK_ROWS // 2), reduce(one)):
        return "level 2, first rows: not level 1 reduced"
    return ""


# --- running ------------------------------------------------------------------------------------


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def disk_bytes(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


@dataclass
class Tool:
    name: str
    op: str  # what it computes, as the table says it
    command: list[str]
    output: Path
    check: Callable[[], str]
    prepare: Callable[[], None] | None = None  # before each run, not timed (GDAL's copy)
    env: dict[str, str] = field(default_factory=dict)
    levels: int = 0
    runs: list[Run] = field(default_factory=list)
    output_bytes: int = 0
    problem: str = ""

    @property
    def median(self) -> float:
        return median(self.runs)

    @property
    def spread(self) -> str:
        return spread(self.runs, 1)

    @property
    def rss(self) -> float:
        return peak_rss(self.runs)

    def once(self) -> Run:
        remove(self.output)
        if self.prepare is not None:
            self.prepare()
        return run(self.command, self.env)


def check_and_time(tools: list[Tool], repeat: int) -> None:
    """One run of each tool, checked; then ``repeat`` timed runs, the tools taking turns."""
    for tool in tools:
        print(f"  {tool.name}: checked run...", flush=True)
        first = tool.once()
        if first.returncode != 0:
            lines = first.stderr.strip().splitlines() or ["(no message)"]
            tool.problem = f"exit {first.returncode}: {lines[-1][:200]}"
        else:
            tool.problem = tool.check()
        if tool.problem:
            print(f"  {tool.name}: NOT TIMED, {tool.problem}", flush=True)
    for _ in range(repeat):
        for tool in tools:
            if tool.problem:
                continue
            result = tool.once()
            if result.returncode != 0:
                tool.problem = f"a timed run failed: {result.stderr.strip()[-200:]}"
                print(f"  {tool.name}: {tool.problem}", flush=True)
                continue
            tool.runs.append(result)
            tool.output_bytes = disk_bytes(tool.output)
    for tool in tools:
        if not tool.problem:
            print(
                f"  {tool.name:58} {tool.spread:18} peak RSS {tool.rss:7.0f} MiB   "
                f"output {tool.output_bytes / MiB:9.1f} MiB",
                flush=True,
            )


# --- the tools ----------------------------------------------------------------------------------


def gdal_resampling() -> tuple[str, str] | None:
    """gdaladdo's resampling for the comparison, and how the table names it; None without
    GDAL."""
    gdaladdo = shutil.which("gdaladdo")
    if gdaladdo is None:
        return None
    done = subprocess.run([gdaladdo, "--help"], capture_output=True, text=True, check=False)
    methods = re.search(r"-r \{([^}]*)\}", done.stdout + done.stderr)
    if methods and "max" in methods.group(1).split(","):
        return "max", "2x2 max (same op)"
    return "average", "2x2 mean, rounded (NOT the same op: this GDAL has no max)"


def vips_shrink() -> tuple[str, str] | None:
    """libvips' region shrink for the pyramid, and how the table names it; None without it."""
    vips = shutil.which("vips")
    if vips is None:
        return None
    done = subprocess.run([vips, "tiffsave"], capture_output=True, text=True, check=False)
    if "region-shrink" not in done.stdout + done.stderr:
        return None
    allowed = re.search(r"region-shrink.*?allowed: ([^\n]*)", done.stdout + done.stderr, re.S)
    if allowed and "max" in allowed.group(1).replace(" ", "").split(","):
        return "max", "2x2 max (same op)"
    return "mean", "2x2 mean (NOT the same op: this libvips has no max shrink)"


def version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0] if lines else "?"


def maxpool_tool(
    maxpool: list[str],
    src: Path,
    out: Path,
    limit: str,
    expected: list[tuple[int, int]],
    dtype: np.dtype,
    extension: str = ".ome.zarr",
) -> Tool:
    target = out / f"maxpool{extension}"
    command = [*maxpool, "pyramid", str(src), "-o", str(target), "--memory-limit", limit, "-q"]

    def check() -> str:
        problems: list[str] = []
        if extension.endswith(".zarr"):
            levels = zarr_levels(target, problems)
        else:
            levels = tiff_levels(target, dtype)
        if len(levels) != len(expected):
            problems.append(f"{len(levels)} levels, expected {len(expected)}")
        tool.levels = len(levels)
        return "; ".join(problems) or check_levels(src, levels, expected)

    name = f"maxpool pyramid -o OUT{extension} --memory-limit {limit}"
    tool = Tool(name, "2x2 max", command, target, check)
    return tool


def gdal_tool(
    src: Path, out: Path, method: tuple[str, str], cache_mib: int, expected: list[tuple[int, int]]
) -> Tool:
    copy = out / "gdal.tif"
    factors = [str(2**n) for n in range(1, len(expected))]
    command = [shutil.which("gdaladdo") or "gdaladdo", "-q", "-r", method[0], str(copy), *factors]
    env = {"GDAL_CACHEMAX": str(cache_mib)}
    name = f"gdaladdo -r {method[0]} (GDAL_CACHEMAX={cache_mib})"

    def check() -> str:
        levels = tiff_levels(copy, np.dtype(np.uint16))
        tool.levels = len(levels)
        reduce = pool2 if method[0] == "max" else average2
        return check_levels(src, levels, expected, reduce, has_level0=False)

    def prepare() -> None:
        shutil.copyfile(src, copy)

    tool = Tool(name, method[1], command, copy, check, prepare, env)
    return tool


def vips_tool(
    src: Path, out: Path, shrink: tuple[str, str], expected: list[tuple[int, int]]
) -> Tool:
    target = out / "vips.tif"
    vips = shutil.which("vips") or "vips"
    options = {"tile": "", "tile-width": TILE, "tile-height": TILE, "pyramid": "", "bigtiff": ""}
    options["region-shrink"] = shrink[0]
    if src.suffix == ".npy":  # raw pixels after the header; saved by the output's [options]
        array = np.load(src, mmap_mode="r")
        (h, w), offset, dtype = array.shape, array.offset, array.dtype
        del array
        saving = ",".join(f"{k}={v}" if v != "" else k for k, v in options.items())
        command = [vips, "rawload", str(src), f"{target}[{saving}]", str(w), str(h), "1"]
        command += ["--offset", str(offset), "--format", "float"]
        name = "vips rawload + tiffsave --pyramid"
    else:
        command = [vips, "tiffsave", str(src), str(target)]
        for k, v in options.items():
            command += [f"--{k}"] + ([str(v)] if v != "" else [])
        name = "vips tiffsave --pyramid"
        dtype = np.dtype(np.uint16)

    def check() -> str:
        levels = tiff_levels(target, dtype)
        tool.levels = len(levels)
        if shrink[0] != "max":  # a mean: only the shapes and level 0 are checked
            shapes = [lv.shape for lv in levels]
            return "" if shapes == expected[: len(shapes)] else f"level shapes {shapes}"
        return check_levels(src, levels, expected)

    tool = Tool(f"{name} --region-shrink {shrink[0]}", shrink[1], command, target, check)
    return tool


# --- report -------------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    tools: list[Tool]
    skipped: list[str]


def ratio(tool: Tool, me: Tool) -> str:
    if tool is me or tool.problem or me.problem:
        return ""
    return f"{tool.median / me.median:.2f}"


def report(cases: list[Case], rss_target: float) -> None:
    print(
        "\n| input | tool | op | levels | time | ratio vs maxpool .ome.zarr | ratio vs maxpool "
        ".tif | peak RSS | output size |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        zarr_me, tiff_me = case.tools[:2]
        for tool in case.tools:
            cells = [case.label, tool.name, tool.op, str(tool.levels or "")]
            if tool.problem:
                cells += ["failed: " + tool.problem.replace("|", "/"), "", "", "", ""]
            else:
                cells += [tool.spread, ratio(tool, zarr_me), ratio(tool, tiff_me)]
                cells += [f"{tool.rss:.0f} MiB", f"{tool.output_bytes / MiB:,.0f} MiB"]
            print("| " + " | ".join(cells) + " |")
        for line in case.skipped:
            print(f"| {case.label} | {line} | | | | | | | |")
    print(
        "\nratio = the other tool's time / maxpool's (below 1: maxpool is slower). Output size: "
        "the whole pyramid on disk, level 0 included (maxpool .ome.zarr: Zarr's default zstd "
        "chunks; maxpool .tif, libvips: uncompressed pyramidal TIFFs; GDAL: the copy of the "
        "input with its uncompressed overviews). GDAL's time leaves out the copy: it writes no "
        "level 0."
    )
    print("\ntargets:")
    for case in cases:
        for me in case.tools[:2]:
            if me.problem:
                print(f"  {case.label}, {me.name}: not measured ({me.problem})")
                continue
            ok = "met" if me.rss < rss_target else "NOT MET"
            print(
                f"  {case.label}, {me.name}: peak RSS {me.rss:.0f} MiB < {rss_target:.0f} MiB: "
                f"{ok}; wall time {me.spread}"
            )


def parse_mib(size: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)\s*([kKmMgG]?)i?[bB]?\s*", size)
    if match is None:
        raise SystemExit(f"--memory-limit: expected a size like 256M, got {size!r}")
    unit = {"": 1 / MiB, "k": 1 / 1024, "m": 1, "g": 1024}[match.group(2).lower()]
    return float(match.group(1)) * unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=4.0, help="size of each input, GiB")
    parser.add_argument("--quick", action="store_true", help="128 MiB inputs (--gib 0.125)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs of each command")
    parser.add_argument("--memory-limit", default="256M", help="maxpool's --memory-limit")
    parser.add_argument("--rss-target", type=float, default=400, help="MiB")
    parser.add_argument("--maxpool", default=sys.executable, help="Python or maxpool command")
    parser.add_argument("--work", type=Path, help="folder for the inputs (kept) and outputs")
    parser.add_argument("--only", choices=("tiff", "npy"), help="one input only")
    args = parser.parse_args()
    gib = 0.125 if args.quick else args.gib
    limit_mib = parse_mib(args.memory_limit)
    maxpool = maxpool_command(args.maxpool)
    gdal, vips = gdal_resampling(), vips_shrink()
    print(f"maxpool: {shlex.join(maxpool)}")
    print(f"GDAL: {version(['gdalinfo', '--version']) if gdal else 'not installed'}")
    print(f"libvips: {version(['vips', '--version']) if vips else 'not installed'}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    work = args.work or Path(tempfile.mkdtemp(prefix="maxpool-pyramid-"))
    work.mkdir(parents=True, exist_ok=True)
    inputs = input_paths(work, gib)
    # Inputs not there yet, then four pyramids (4/3 of the input each) side by side.
    missing = sum(gib * GiB for p in (inputs.tiff, inputs.npy) if not p.exists())
    need = 1.1 * (missing + 4 * 1.34 * gib * GiB)
    free = shutil.disk_usage(work).free
    if free < need:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(
            f"{work}: {free / GiB:.1f} GiB free, and this run needs about {need / GiB:.1f} GiB "
            f"(inputs of {gib:g} GiB and four pyramids); free some space, pass a smaller "
            f"--gib, or --work on a larger disk"
        )
    try:
        make_inputs(inputs)
        out = work / "out"
        out.mkdir(exist_ok=True)
        cases = []
        for kind, src, shape in [
            ("tiff", inputs.tiff, inputs.tiff_shape),
            ("npy", inputs.npy, inputs.npy_shape),
        ]:
            if args.only and args.only != kind:
                continue
            dtype = "uint16 TIFF" if kind == "tiff" else "float32 .npy"
            size = src.stat().st_size / GiB
            label = f"{shape[0]}x{shape[1]} {dtype} ({size:.2f} GiB)"
            print(f"\n{label}:", flush=True)
            expected = level_shapes(shape)
            dt = np.dtype(np.uint16 if kind == "tiff" else np.float32)
            tools = [
                maxpool_tool(maxpool, src, out, args.memory_limit, expected, dt),
                maxpool_tool(maxpool, src, out, args.memory_limit, expected, dt, ".tif"),
            ]
            skipped = []
            if kind == "npy":
                skipped.append("GDAL: skipped (gdaladdo reads no .npy)")
            elif gdal is None:
                skipped.append("GDAL: skipped (no gdaladdo on PATH; apt-get install gdal-bin)")
            else:
                cache = max(16, int(limit_mib))
                tools.append(gdal_tool(src, out, gdal, cache, expected))
            if vips is None:
                skipped.append("libvips: skipped (no `vips` with tiffsave --region-shrink)")
            else:
                tools.append(vips_tool(src, out, vips, expected))
            for line in skipped:
                print(f"  {line}")
            check_and_time(tools, args.repeat)
            for tool in tools:
                remove(tool.output)
            cases.append(Case(label, tools, skipped))
        report(cases, args.rss_target)
        print(
            "load average at the end (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
        )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work / "out", ignore_errors=True)


if __name__ == "__main__":
    main()
