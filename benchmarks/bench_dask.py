"""The same large .npy pooled out of core (one process) and on a local 2-worker Dask cluster.

    python benchmarks/bench_dask.py            # a 2 GiB float32 .npy (needs ~3 GiB of disk)
    python benchmarks/bench_dask.py --gib 0.5

Reports, for each, the wall time and the peak memory of the whole process tree (sampled
every 50 ms with psutil, which the [dask] extra brings): the sum of the RSS of the command
and all its workers, and the largest single process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from bench_batch import make_npy  # the same generated file


def measure(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak summed RSS of the process tree and peak single RSS (MiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    root = psutil.Process(process.pid)
    peak_sum = peak_one = 0.0
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            sizes = [p.memory_info().rss for p in tree if p.is_running()]
        except psutil.Error:
            sizes = []
        if sizes:
            peak_sum = max(peak_sum, sum(sizes) / 2**20)
            peak_one = max(peak_one, max(sizes) / 2**20)
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    assert process.returncode == 0, process.returncode
    return seconds, peak_sum, peak_one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gib", type=float, default=2.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as tmp:
        big = Path(tmp) / "big.npy"
        make_npy(big, args.gib)
        base = [sys.executable, "-m", "maxpool_cli", "run", str(big), "-k", "3", "-s", "2"]
        base += ["--memory-limit", "256M", "-q", "--overwrite"]
        runs = {
            "out of core, 1 process": [*base, "-o", str(Path(tmp) / "a.npy")],
            "Dask local cluster, 2 workers": [
                *base, "-o", str(Path(tmp) / "b.npy"), "--dask", "local", "-j", "2"
            ],
        }  # fmt: skip
        print(f"{big.stat().st_size / 2**30:.2f} GiB float32 .npy, k3 s2, --memory-limit 256M")
        print(f"{'':32} {'seconds':>8} {'tree peak MiB':>14} {'largest MiB':>12}")
        for name, command in runs.items():
            seconds, tree, one = measure(command)
            print(f"{name:32} {seconds:8.1f} {tree:14.0f} {one:12.0f}")
        same = np.array_equal(np.load(Path(tmp) / "a.npy"), np.load(Path(tmp) / "b.npy"))
        print(f"identical results: {same}")


if __name__ == "__main__":
    main()
