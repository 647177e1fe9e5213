"""Standard output as a shell uses it, and SIGTERM as a service manager sends it: a closed
pipe ends quietly with status 141, a short or failed write is never success, and SIGTERM
cleans up like Ctrl-C (no temporaries left), with status 143."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from terminal import MAXPOOL

FEATURES = Path(__file__).resolve().parents[1] / "sample_data" / "features.npz"


def _pipeline(line: str, tmp_path: Path) -> tuple[list[int], str]:
    status = tmp_path / "status"
    done = subprocess.run(
        ["bash", "-c", f'{line}; echo "${{PIPESTATUS[@]}}" > {shlex.quote(str(status))}'],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return [int(s) for s in status.read_text().split()], done.stderr


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "m.npy"
    np.save(path, np.random.default_rng(0).random((1024, 4096)))  # 32 MiB: many pipe buffers
    return path


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path, big: Path) -> None:
    maxpool = shlex.quote(MAXPOOL)
    status, stderr = _pipeline(f"{maxpool} run {big} -k 1 -o - | head -c 10 > /dev/null", tmp_path)
    assert status == [141, 0]  # (it exited 0 after writing 64 KiB of 32 MiB)
    assert stderr == ""
    status, stderr = _pipeline(f"{maxpool} run {FEATURES} -k 1 | head -1 > /dev/null", tmp_path)
    assert status[0] in (0, 141)  # 0 when all was written before head left, as ls | head
    assert status[1] == 0
    assert stderr == ""


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["-k", "1", "-o", "-"], ["-k", "2"]], ids=["binary", "table"])
def test_a_full_device_on_standard_output_is_one_line_and_a_failure(
    tmp_path: Path, big: Path, args: list[str]
) -> None:
    source = big if "-o" in args else FEATURES
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [MAXPOOL, "run", str(source), *args], stdout=full, stderr=subprocess.PIPE, check=False
        )
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert stderr == "Error: <stdout>: cannot write: No space left on device\n"


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".part")]


@pytest.mark.parametrize("command", ["run", "pyramid"])
def test_sigterm_removes_the_temporaries_as_ctrl_c_does(tmp_path: Path, command: str) -> None:
    source = tmp_path / "big.npy"
    rng = np.random.default_rng(1)
    np.save(source, rng.integers(0, 255, (8192, 8192), dtype=np.uint8))  # 64 MiB, slow to pack
    out = tmp_path / "out"
    out.mkdir()
    target = out / ("o.npy" if command == "run" else "o.ome.zarr")
    args = [sys.executable, "-m", "maxpool_cli", command, str(source), "-o", str(target)]
    args += ["-k", "1", "--memory-limit", "8M"] if command == "run" else ["--chunks", "32"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _temporaries(out):
        time.sleep(0.01)
    assert _temporaries(out), "the job never started writing"
    assert process.poll() is None, "the job ended before it could be stopped"
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert stderr.decode() == "Error: terminated (SIGTERM); no partial file is left\n"
    assert list(out.iterdir()) == []
