"""The ``maxpool run`` command through click's CliRunner: exit codes, stdout and stderr apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from maxpool_cli import __version__
from maxpool_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
CLASSIC = SAMPLE / "classic_4x4.npy"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_run_prints_the_pooled_matrix(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "2"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "input (4, 4) uint8 -> output (2, 2) uint8" in out
    rows = [line.split() for line in out.splitlines()[-2:]]
    assert rows == [["0", "6", "8"], ["1", "3", "4"]]


def test_run_with_options(runner: CliRunner) -> None:
    args = ["run", str(CLASSIC), "-k", "3", "-s", "1", "-p", "same", "--op", "min"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "padding same (1:1, 1:1)" in result.stdout
    assert "output (4, 4) uint8" in result.stdout


def test_run_saves_npy(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "pooled.npy"
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "2", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    saved = np.load(out)
    assert saved.dtype == np.uint8
    np.testing.assert_array_equal(saved, [[6, 8], [3, 4]])


def test_existing_output_needs_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "pooled.npy"
    out.write_bytes(b"keep me")
    result = runner.invoke(cli, ["run", str(CLASSIC), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {out}: already exists; pass --overwrite to replace it"
    assert out.read_bytes() == b"keep me"
    result = runner.invoke(cli, ["run", str(CLASSIC), "-o", str(out), "--overwrite"])
    assert result.exit_code == 0
    np.testing.assert_array_equal(np.load(out), [[6, 8], [3, 4]])


def test_output_that_is_the_input_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "x.npy"
    np.save(src, np.arange(16.0).reshape(4, 4))
    before = src.read_bytes()
    result = runner.invoke(cli, ["run", str(src), "-o", str(src), "--overwrite"])
    assert result.exit_code == 2
    assert "is the input" in result.stderr
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["-k", "0"], 2, "Error: kernel: expected integers >= 1, got 0"),
        (["-k", "x"], 2, "expected an integer or comma-separated integers"),
        (["-p", "1:x"], 2, "expected valid, same, an integer"),
        (["--op", "median"], 2, "Invalid value for '--op'"),
        (["--count-pad"], 2, "count_pad: only applies to op='avg'"),
        (["-k", "5"], 1, "classic_4x4.npy: axis 0: kernel spans 5 cells"),
        (["-k", "2,2,2"], 1, "kernel: got 3 values but the input has only 2 dimensions"),
    ],
)
def test_bad_options(runner: CliRunner, args: list[str], code: int, message: str) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), *args])
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_bad_files(runner: CliRunner, tmp_path: Path) -> None:
    text = tmp_path / "notes.npy"
    text.write_text("hello")
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    truncated = tmp_path / "truncated.npy"
    np.save(truncated, np.arange(100.0))
    truncated.write_bytes(truncated.read_bytes()[:-10])
    cases = {
        tmp_path / "missing.npy": "No such file or directory",
        text: "named as NPY, not a supported file: it starts like text",
        pickled: "holds Python objects (dtype object), which are never unpickled",
        truncated: "truncated: its header declares (100,) float64",
    }
    for path, message in cases.items():
        result = runner.invoke(cli, ["run", str(path)])
        assert result.exit_code == 1, path
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"Error: {path}: ")
        assert message in lines[0]


def test_debug_shows_the_traceback(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--debug", "run", str(CLASSIC), "-k", "5"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


def test_version_and_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout
    result = runner.invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    assert "maxpool run sample_data/classic_4x4.npy -k 2" in result.stdout


@pytest.mark.parametrize(
    "command", [["maxpool"], [sys.executable, "-m", "maxpool_cli"]], ids=["script", "module"]
)
def test_installed_entry_points(command: list[str]) -> None:
    done = subprocess.run(
        [*command, "run", str(CLASSIC), "-k", "2"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "output (2, 2) uint8" in done.stdout
    done = subprocess.run([*command, "run", "missing.npy"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: missing.npy: ")
