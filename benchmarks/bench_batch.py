"""Benchmark batch pooling and out-of-core pooling, with baselines measured in the same run.

    python benchmarks/bench_batch.py              # 240 PNGs, a 2 GiB .npy (needs ~3 GiB disk)
    python benchmarks/bench_batch.py --files 60 --gib 0.5   # quicker

1. Files per second pooling a folder of generated 512x512 RGB PNGs (k=2, load-pool-save),
   with ``-j 1`` and ``-j N`` (N = cores), against a plain Pillow loop doing the same work
   in one process. Targets: ``-j 2`` at least 1.7x ``-j 1``; ``-j 1`` within 1.2x of the loop.
2. Peak RSS of ``maxpool run big.npy -o small.npy --memory-limit 256M`` on a generated
   .npy of at least 2 GiB, measured by the kernel for that process. Target: under 400 MiB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from maxpool_cli.jobs.batch import discover, run_tasks
from maxpool_cli.jobs.options import PoolOptions, Settings


def make_pngs(folder: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:512, 0:512]
    base = np.stack([(xx + yy) % 256, (xx * 2) % 256, (yy * 3) % 256], -1).astype(np.uint8)
    for i in range(count):
        noise = rng.integers(0, 32, (512, 512, 3), dtype=np.uint8)
        Image.fromarray(base + noise).save(folder / f"img{i:04d}.png")


def plain_loop(src: Path, out: Path) -> None:
    """What one would write by hand: open, max-pool 2x2 with NumPy, save."""
    for path in sorted(src.glob("*.png")):
        with Image.open(path) as image:
            x = np.asarray(image)
        h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
        y = x[:h, :w].reshape(h // 2, 2, w // 2, 2, -1).max(axis=(1, 3))
        Image.fromarray(y).save(out / path.name)


def maxpool_batch(src: Path, out: Path, jobs: int) -> None:
    tasks, _ = discover([str(src)], out)
    outcomes = run_tasks(tasks, Settings(PoolOptions(kernel=2)), jobs)
    assert all(o.status == "done" for o in outcomes)


def timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def files_per_second(count: int, work: Path) -> None:
    src = work / "pngs"
    src.mkdir()
    make_pngs(src, count)
    jobs = os.cpu_count() or 1
    runs = {}
    for name, fn, arg in [
        ("plain Pillow loop", plain_loop, None),
        ("maxpool -j 1", maxpool_batch, 1),
        (f"maxpool -j {jobs}", maxpool_batch, jobs),
    ]:
        best = float("inf")
        for _ in range(3):  # best of three: the disk cache is warm after the first
            out = work / "out"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            best = min(best, timed(fn, src, out) if arg is None else timed(fn, src, out, arg))
        runs[name] = count / best
    print(f"\n{count} PNGs of 512x512 RGB, k=2 (best of 3):")
    for name, rate in runs.items():
        print(f"  {name:20} {rate:8.1f} files/s")
    loop, one, many = runs.values()
    print(f"  -j {jobs} / -j 1 = {many / one:.2f}x (target >= 1.7x): {many / one >= 1.7}")
    print(f"  loop / -j 1 = {loop / one:.2f}x (target <= 1.2x): {loop / one <= 1.2}")


def make_npy(path: Path, gib: float) -> None:
    """A float32 .npy of about ``gib`` GiB of random values, written without holding it."""
    rows = int(gib * 2**30 / (8192 * 4))
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, 8192))
    rng = np.random.default_rng(1)
    for start in range(0, rows, 4096):
        stop = min(rows, start + 4096)
        array[start:stop] = rng.random((stop - start, 8192), dtype=np.float32)
    array.flush()


def peak_rss(gib: float, work: Path) -> None:
    big = work / "big.npy"
    make_npy(big, gib)
    size = big.stat().st_size
    command = [
        sys.executable, "-m", "maxpool_cli", "run", str(big), "-k", "3", "-s", "2",
        "-o", str(work / "small.npy"), "--memory-limit", "256M", "-q",
    ]  # fmt: skip
    # Linux carries a parent's peak RSS over into the child it forks, so the measured command
    # is started by a small intermediate process, whose children's peak is the command's own.
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    seconds_text, rss_kib = done.stdout.split()
    seconds = float(seconds_text)
    rss_mib = int(rss_kib) / 1024  # kilobytes on Linux
    print(f"\nout of core: {size / 2**30:.2f} GiB float32 .npy, k3 s2, --memory-limit 256M")
    print(f"  time {seconds:.1f} s ({size / 2**20 / seconds:.0f} MiB/s)")
    print(f"  peak RSS {rss_mib:.0f} MiB (target < 400 MiB): {rss_mib < 400}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=240)
    parser.add_argument("--gib", type=float, default=2.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        work = Path(tmp)
        files_per_second(args.files, work)
        peak_rss(args.gib, work)


if __name__ == "__main__":
    main()
