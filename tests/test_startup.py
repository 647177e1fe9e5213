"""Start-up: what the command imports (the time itself is measured in benchmarks/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

PROBE = """
import sys
from maxpool_cli.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="maxpool")
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "PIL", "rich"})
print("IMPORTED", " ".join(heavy), file=sys.stderr)
"""


def _imports(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("IMPORTED")][-1]
    return set(line.split()[1:])


def test_help_imports_neither_numpy_nor_pil_nor_rich() -> None:
    assert _imports("--help") == set()
    assert _imports("run", "--help") == set()


def test_arrays_need_neither_rich_nor_pil(tmp_path: Path) -> None:
    src = tmp_path / "x.npy"
    np.save(src, np.arange(16.0).reshape(4, 4))
    # Saved, with its one header line printed; printed into a pipe; described.
    assert _imports("run", str(src), "-o", str(tmp_path / "y.npy")) == {"numpy"}
    assert (tmp_path / "y.npy").exists()
    assert _imports("run", str(src)) == {"numpy"}
    assert _imports("info", str(src)) == {"numpy"}
