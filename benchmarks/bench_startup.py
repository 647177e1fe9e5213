"""Start-up time of the maxpool command, as whole-process wall time against baselines.

    python benchmarks/bench_startup.py [--runs 20]

Each command runs ``--runs`` times (after one warm-up) and the median is reported, with the
ratio to ``python -c "import click"`` and to a minimal NumPy + click script doing the same
array-to-file job, measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MINIMAL = """
import click, numpy as np
@click.command()
@click.argument("src")
@click.option("-o")
def main(src, o):
    x = np.load(src)
    top = np.maximum(x[0::2, 0::2], x[0::2, 1::2])
    np.save(o, np.maximum(top, np.maximum(x[1::2, 0::2], x[1::2, 1::2])))
main()
"""


def median_ms(command: list[str], runs: int) -> float:
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "x.npy"
        np.save(src, np.arange(256.0).reshape(16, 16))
        out = Path(tmp) / "y.npy"
        minimal = Path(tmp) / "minimal.py"
        minimal.write_text(MINIMAL)
        rows = {
            'python -c "import click"': [py, "-c", "import click"],
            "minimal numpy+click script (x.npy -o y.npy)": [
                py, str(minimal), str(src), "-o", str(out)
            ],
            "maxpool --help": [py, "-m", "maxpool_cli", "--help"],
            "maxpool run x.npy -o y.npy": [
                py, "-m", "maxpool_cli", "run", str(src), "-o", str(out), "--overwrite", "-q"
            ],
            "maxpool run x.npy (prints a table)": [py, "-m", "maxpool_cli", "run", str(src)],
        }  # fmt: skip
        times = {name: median_ms(cmd, args.runs) for name, cmd in rows.items()}
    click_ms = times['python -c "import click"']
    minimal_ms = times["minimal numpy+click script (x.npy -o y.npy)"]
    print(f"{'command':45} {'median ms':>10} {'vs click':>9} {'vs minimal':>11}")
    for name, ms in times.items():
        print(f"{name:45} {ms:10.1f} {ms / click_ms:8.2f}x {ms / minimal_ms:10.2f}x")


if __name__ == "__main__":
    main()
