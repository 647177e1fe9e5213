"""Mode pooling (``op="mode"``) on label maps, against SciPy, scikit-image and plain NumPy.

    /work/fwenv/bin/python benchmarks/bench_mode.py            # 2048x2048, about a minute
    /work/fwenv/bin/python benchmarks/bench_mode.py --quick    # 512x512, a few seconds
    /work/fwenv/bin/python benchmarks/bench_mode.py --size 4096 --repeat 7 --json

Issue 16. Run it with a Python that has SciPy and scikit-image (any Python with NumPy works:
a baseline that cannot be imported is skipped with a line saying so). maxpool is imported from
this checkout (it needs NumPy only), so every tool runs in the same process on the same array,
and only the computation is timed: the median of ``--repeat`` calls after a warm-up call.

Inputs: label maps of ``--size`` x ``--size`` with about 20 labels in blobs (a Voronoi map of
random seeds at 1/8 of the size, with jittered coordinates, upscaled by nearest neighbour,
then 4% of the pixels set to a random label, so that windows on borders and noise hold ties),
as uint8 (labels 0..19), uint16 (20 values spread over 0..60000) and int32 (20 values from
-10^6 to 10^6). Each is pooled with kernel 2, 3 and 4, stride = kernel, no padding (the input
is first cropped to a multiple of the kernel, so that every tool sees the same windows:
``block_reduce`` would otherwise pad the last ones).

Tools, each the fastest faithful formulation we know:

- maxpool: ``pool(x, k, op="mode")``;
- SciPy: ``scipy.stats.mode(blocks, axis=-1)`` on the windows as a ``(H/k, W/k, k*k)`` view
  (reshape and transpose: the copy is timed too);
- scikit-image: ``block_reduce(x, (k, k), func=mode)`` with ``mode(a, axis)`` =
  ``scipy.stats.mode(a, axis=axis, keepdims=False).mode`` (block_reduce passes the two block
  axes);
- NumPy: the labels numbered with ``np.unique(x, return_inverse=True)``, one ``np.bincount``
  over (window, label) pairs, ``argmax`` per window (the first, so the smallest label, on
  ties), and the labels looked up.

All break ties the same way, to the smallest of the most frequent values (SciPy documents
it; a hand-made case checks it here, and NumPy's ``argmax`` gives it independently). Every
result is checked before timing: identical values to maxpool's (same shape; the dtype is
reported when it differs), and the number of windows holding a tie is printed, so that the
tie rule is seen to be exercised.

Target: maxpool >= 10x faster than ``scipy.stats.mode`` and than ``block_reduce`` in every
case (ratio = the other tool's time / maxpool's).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maxpool_cli import pool

try:
    import scipy
    import scipy.stats
except ImportError:  # the baselines that need it are skipped with a line saying so
    scipy = None

try:
    import skimage
    import skimage.measure
except ImportError:
    skimage = None

KERNELS = (2, 3, 4)
TARGET = 10.0  # SciPy and scikit-image must take at least this many times maxpool's time
LABELS = 20


# --- inputs -------------------------------------------------------------------------------------


def label_map(size: int, seed: int = 0) -> np.ndarray:
    """Label indices 0..LABELS-1 in blobs: a Voronoi map of random seeds at about 1/8 of the
    size (coordinates jittered, so that borders are ragged), upscaled by nearest neighbour by
    a factor that is not a whole number (so that borders do not follow the windows' grid),
    with 4% of the pixels set to a random label."""
    rng = np.random.default_rng(seed)
    low = max(8, size // 8 + 3)
    seeds = rng.uniform(0, low, size=(3 * LABELS, 2))  # a few blobs per label
    owners = np.arange(len(seeds)) % LABELS
    yy, xx = np.mgrid[0:low, 0:low].astype(np.float32)
    yy += rng.normal(0, 0.6, yy.shape).astype(np.float32)
    xx += rng.normal(0, 0.6, xx.shape).astype(np.float32)
    best = np.full((low, low), np.inf, dtype=np.float32)
    labels = np.zeros((low, low), dtype=np.int64)
    for (sy, sx), owner in zip(seeds, owners):
        d = (yy - np.float32(sy)) ** 2 + (xx - np.float32(sx)) ** 2
        closer = d < best
        best[closer] = d[closer]
        labels[closer] = owner
    nearest = np.arange(size) * low // size  # the low-resolution cell under each pixel
    big = labels[nearest[:, None], nearest[None, :]]
    noise = rng.random(big.shape) < 0.04
    big[noise] = rng.integers(0, LABELS, np.count_nonzero(noise))
    return big


def inputs(size: int) -> dict[str, np.ndarray]:
    """The label map in three dtypes, each with its own label values."""
    idx = label_map(size)
    u16_values = np.sort(np.random.default_rng(1).choice(60001, LABELS, replace=False))
    i32_values = np.sort(np.random.default_rng(2).integers(-(10**6), 10**6, LABELS))
    return {
        "uint8": idx.astype(np.uint8),
        "uint16": u16_values.astype(np.uint16)[idx],
        "int32": i32_values.astype(np.int32)[idx],
    }


# --- the tools ----------------------------------------------------------------------------------


def windows(x: np.ndarray, k: int) -> np.ndarray:
    """The k x k windows of ``x`` (a multiple of k on both axes) as (H/k, W/k, k*k)."""
    h, w = x.shape
    return x.reshape(h // k, k, w // k, k).transpose(0, 2, 1, 3).reshape(h // k, w // k, k * k)


def scipy_mode(x: np.ndarray, k: int) -> np.ndarray:
    return scipy.stats.mode(windows(x, k), axis=-1, keepdims=False).mode


def scipy_reducer(a: np.ndarray, axis: Any) -> np.ndarray:
    return scipy.stats.mode(a, axis=axis, keepdims=False).mode


def skimage_mode(x: np.ndarray, k: int) -> np.ndarray:
    return skimage.measure.block_reduce(x, (k, k), func=scipy_reducer)


def numpy_bincount(x: np.ndarray, k: int) -> np.ndarray:
    """The mode of every window with one bincount over (window, label) pairs."""
    values, codes = np.unique(x, return_inverse=True)
    cells = windows(codes.reshape(x.shape).astype(np.int64, copy=False), k)
    n = len(values)
    pairs = (
        cells + (np.arange(cells.shape[0] * cells.shape[1]) * n).reshape(cells.shape[:2])[..., None]
    )
    counts = np.bincount(pairs.ravel(), minlength=pairs.shape[0] * pairs.shape[1] * n)
    best = counts.reshape(-1, n).argmax(axis=1)  # the first maximum: the smallest label
    return values[best].reshape(cells.shape[:2])


@dataclass
class Tool:
    name: str
    run: Callable[[np.ndarray, int], np.ndarray] | None  # None: not available here
    note: str = ""
    target: float | None = None  # ratio other / maxpool must be >= target


def tools() -> list[Tool]:
    found = [Tool("maxpool pool(op='mode')", lambda x, k: pool(x, k, op="mode"))]
    if scipy is None:
        found.append(Tool("scipy.stats.mode", None, "scipy not installed"))
    else:
        found.append(Tool("scipy.stats.mode", scipy_mode, target=TARGET))
    if skimage is None or scipy is None:
        missing = "scikit-image" if skimage is None else "scipy"
        found.append(Tool("skimage block_reduce(scipy mode)", None, f"{missing} not installed"))
    else:
        found.append(Tool("skimage block_reduce(scipy mode)", skimage_mode, target=TARGET))
    found.append(Tool("NumPy unique + bincount", numpy_bincount))
    return found


def check_tie_rule() -> str:
    """'' when SciPy breaks ties to the smallest value as maxpool does (a hand-made case)."""
    x = np.array([[5, 2, 7, 7], [2, 5, 3, 3]], dtype=np.int32)  # ties: 2/5 and 3/7
    want = np.array([[2, 3]], dtype=np.int32)
    got = pool(x, 2, op="mode")
    if not np.array_equal(got, want):
        return f"maxpool gives {got.tolist()} on ties, not {want.tolist()}"
    if scipy is not None and not np.array_equal(scipy_mode(x, 2), want):
        return f"scipy.stats.mode gives {scipy_mode(x, 2).tolist()}, not {want.tolist()}"
    return ""


def mixed_windows(x: np.ndarray, k: int) -> int:
    """How many windows hold more than one value."""
    cells = windows(x, k)
    return int(np.count_nonzero((cells != cells[..., :1]).any(axis=-1)))


def ties(x: np.ndarray, k: int) -> int:
    """How many windows hold two or more values that are all most frequent."""
    cells = np.sort(windows(x, k), axis=-1)
    starts = np.ones(cells.shape, dtype=bool)
    starts[..., 1:] = cells[..., 1:] != cells[..., :-1]
    index = np.arange(cells.shape[-1])
    run_start = np.maximum.accumulate(np.where(starts, index, 0), axis=-1)
    lengths = index - run_start + 1
    ends = np.ones(cells.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    longest = lengths.max(axis=-1, keepdims=True)
    return int(np.count_nonzero(((lengths == longest) & ends).sum(axis=-1) > 1))


# --- running ------------------------------------------------------------------------------------


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def run(size: int, repeats: int) -> list[dict[str, Any]]:
    rows = []
    for dtype, full in inputs(size).items():
        for k in KERNELS:
            x = np.ascontiguousarray(full[: size // k * k, : size // k * k])
            case = f"{x.shape[0]}x{x.shape[1]} {dtype} k{k} s{k}"
            expected = pool(x, k, op="mode")
            tied, mixed = ties(x, k), mixed_windows(x, k)
            print(
                f"{case}: {mixed:,} of {expected.size:,} windows hold more than one label, "
                f"{tied:,} a tie",
                flush=True,
            )
            mine = None
            for tool in tools():
                row: dict[str, Any] = {"case": case, "tool": tool.name, "ties": tied}
                row["mixed"] = mixed
                if tool.run is None:
                    row.update(ms=None, note=f"skipped ({tool.note})")
                    rows.append(row)
                    continue
                fn = tool.run
                got = fn(x, k)
                if got.shape != expected.shape or not np.array_equal(got, expected):
                    differ = (
                        np.count_nonzero(got != expected) if got.shape == expected.shape else "all"
                    )
                    row.update(ms=None, note=f"NOT TIMED: {differ} values differ from maxpool's")
                    print(f"  {tool.name}: {row['note']}", flush=True)
                    rows.append(row)
                    continue
                note = "" if got.dtype == expected.dtype else f"gives {got.dtype}"
                ms = median_ms(functools.partial(fn, x, k), repeats)
                if mine is None:
                    mine = ms
                ratio = ms / mine
                row.update(ms=round(ms, 2), ratio=round(ratio, 1), note=note)
                if tool.target is not None:
                    row.update(target=f">= {tool.target:g}x", ok=ratio >= tool.target)
                rows.append(row)
                print(f"  {tool.name:36} {ms:10.1f} ms  {ratio:7.1f}x  {note}", flush=True)
    return rows


def print_table(rows: list[dict[str, Any]], size: int, repeats: int) -> None:
    print(
        f"\n{size}x{size} label maps (cropped to a multiple of k), median of {repeats}; "
        "ratio = the other tool's time / maxpool's\n"
    )
    print("| case | tool | time | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if r["ms"] is None:
            print(f"| {r['case']} | {r['tool']} | {r['note']} | | | |")
            continue
        ratio = "" if r["tool"].startswith("maxpool") else f"{r['ratio']:.1f}x"
        met = "" if "ok" not in r else ("met" if r["ok"] else "NOT MET")
        note = f" ({r['note']})" if r["note"] else ""
        print(
            f"| {r['case']} | {r['tool']}{note} | {r['ms']:.1f} ms | {ratio} | "
            f"{r.get('target', '')} | {met} |"
        )
    timed = [r for r in rows if "ok" in r]
    if timed:
        worst = min(timed, key=lambda r: r["ratio"])
        verdict = "met" if all(r["ok"] for r in timed) else "NOT MET"
        print(
            f"\ntarget: maxpool >= {TARGET:g}x faster than scipy.stats.mode and block_reduce in "
            f"every case: {verdict} (lowest: {worst['ratio']:.1f}x, {worst['tool']}, "
            f"{worst['case']})"
        )
    else:
        print("\ntarget: not measured (neither SciPy nor scikit-image is installed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="side of the label maps")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls of each tool")
    parser.add_argument("--quick", action="store_true", help="512x512, 3 repeats")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    size, repeats = (512, 3) if args.quick else (args.size, args.repeat)
    print(
        f"numpy {np.__version__}, scipy {scipy.__version__ if scipy else 'not installed'}, "
        f"scikit-image {skimage.__version__ if skimage else 'not installed'}"
    )
    if scipy is None:
        print("skipped: scipy.stats.mode (scipy not installed in this Python)")
    if skimage is None:
        print("skipped: skimage block_reduce (scikit-image not installed in this Python)")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    problem = check_tie_rule()
    if problem:
        raise SystemExit(f"tie rule: {problem}")
    who = "maxpool and scipy.stats.mode both give" if scipy else "maxpool gives"
    print(f"tie rule: {who} the smallest of the most frequent values")
    rows = run(size, repeats)
    if args.json:
        versions = {
            "numpy": np.__version__,
            "scipy": scipy.__version__ if scipy else None,
            "scikit-image": skimage.__version__ if skimage else None,
        }
        print(json.dumps({"size": size, "versions": versions, "rows": rows}, indent=2))
    else:
        print_table(rows, size, repeats)


if __name__ == "__main__":
    main()
