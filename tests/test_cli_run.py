"""``maxpool run`` through click's CliRunner: exit codes, stdout and stderr apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from terminal import MAXPOOL

from maxpool_cli import __version__, pool
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
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{CLASSIC}: input (4, 4) uint8 -> output (2, 2) uint8, max, kernel 2x2, stride 2x2, "
        "padding valid"
    )
    assert [line.split() for line in lines[-2:]] == [["0", "6", "8"], ["1", "3", "4"]]
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes


def test_run_with_options(runner: CliRunner) -> None:
    args = ["run", str(CLASSIC), "-k", "3", "-s", "1", "-p", "same", "--op", "min"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.stderr
    assert "output (4, 4) uint8, min, kernel 3x3, stride 1x1, padding same (1:1, 1:1)" in (
        result.stdout
    )


def test_run_saves_and_says_so(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "pooled.npy"
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "2", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1  # the header line, no values
    assert "output (2, 2) uint8" in result.stdout
    saved = np.load(out)
    assert saved.dtype == np.uint8
    np.testing.assert_array_equal(saved, [[6, 8], [3, 4]])
    quiet = runner.invoke(cli, ["run", str(CLASSIC), "-o", str(out), "--overwrite", "-q"])
    assert quiet.exit_code == 0
    assert quiet.stdout == ""


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
    for args in (["-o", str(src)], ["-o", str(tmp_path / "." / "x.npy")], ["--indices", str(src)]):
        result = runner.invoke(cli, ["run", str(src), *args, "--overwrite"])
        assert result.exit_code == 2
        assert "is the input" in result.stderr
        assert src.read_bytes() == before


def test_json_document(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "3", "-s", "1", "-p", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["input"] == str(CLASSIC)
    assert doc["format"] == "npy"
    assert doc["output"] is None
    assert doc["op"] == "max"
    (array,) = doc["arrays"]
    assert array["input_shape"] == [4, 4]
    assert array["output_shape"] == [4, 4]
    assert array["output_dtype"] == "uint8"
    assert array["padding"] == [[1, 1], [1, 1]]
    assert array["kernel"] == [3, 3]
    assert array["values"] == pool(np.load(CLASSIC), 3, stride=1, padding=1).tolist()
    out = tmp_path / "a.png"
    result = runner.invoke(cli, ["run", str(SAMPLE / "astronaut.png"), "-o", str(out), "--json"])
    doc = json.loads(result.stdout)
    assert doc["output"] == str(out)
    assert doc["output_format"] == "png"
    assert doc["mode"] == "RGB"
    assert "values" not in doc["arrays"][0]  # 196,608 cells: too many to list


def test_json_values_with_nan_are_valid_json(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "nan.npy"
    np.save(src, np.array([[np.nan, 1.0], [2.0, 3.0]]))
    result = runner.invoke(cli, ["run", str(src), "-k", "1", "--json"])
    assert json.loads(result.stdout)["arrays"][0]["values"] == [[None, 1.0], [2.0, 3.0]]


def test_indices(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "idx.npy"
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "3", "-s", "1", "--indices", str(out)])
    assert result.exit_code == 0, result.stderr
    indices = np.load(out)
    assert indices.dtype == np.int64
    _, expected = pool(np.load(CLASSIC), 3, stride=1, return_indices=True)
    np.testing.assert_array_equal(indices, expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "0"], "Error: --kernel: expected integers >= 1, got 0"),
        (["-k", "x"], "expected an integer or comma-separated integers like 3 or 3,2; got 'x'"),
        (["-p", "1:x"], "Invalid value for '-p' / '--padding': expected valid, same, an integer"),
        (["--op", "median"], "Invalid value for '--op'"),
        (["--count-pad"], "--count-pad: only applies to --op avg, got --op max"),
        (["--op", "avg", "--indices", "i.npy"], "--indices: only applies to --op max or min"),
        (["-o", "-", "--json"], "--json: cannot share standard output with -o -"),
        (["--key", "a"], "--key: only applies to .npz archives"),
    ],
)
def test_usage_errors(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("Usage: maxpool run")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("source", "args", "message"),
    [
        ("astronaut.png", ["-k", "2,2,2"], "kernel: expected 1 or 2 values (one per pooled axis)"),
        ("astronaut.png", ["--axes", "0,1"], "--axes: applies to arrays; images are always"),
    ],
)
def test_image_usage_errors(runner: CliRunner, source: str, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["run", str(SAMPLE / source), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_file_errors_exit_1(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "5"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {CLASSIC}: axis 0: kernel spans 5 cells (kernel 5, dilation 1) but the input "
        "has only 4; expected a smaller kernel or padding\n"
    )
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "2,2,2"])
    assert result.exit_code == 1
    assert "kernel: got 3 values but the input has only 2 dimensions" in result.stderr


def test_interrupt_exits_130(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("maxpool_cli.jobs.one_file.pool_document", interrupted)
    result = runner.invoke(cli, ["run", str(CLASSIC)])
    assert result.exit_code == 130
    assert result.stderr == "Error: interrupted\n"


def test_unexpected_errors_are_one_line_too(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("maxpool_cli.jobs.one_file.pool_document", broken)
    result = runner.invoke(cli, ["run", str(CLASSIC)])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unexpected ZeroDivisionError: boom (this is a bug; --debug shows the traceback)\n"
    )
    result = runner.invoke(cli, ["--debug", "run", str(CLASSIC)])
    assert isinstance(result.exception, ZeroDivisionError)


def test_debug_shows_the_traceback(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--debug", "run", str(CLASSIC), "-k", "5"])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"maxpool, version {__version__}\n"


def test_large_image_prints_a_summary_not_values(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", str(SAMPLE / "astronaut.png"), "-k", "2"])
    assert result.exit_code == 0, result.stderr
    assert "channel 0" in result.stdout
    assert "channel 2" in result.stdout
    assert len(result.stdout) < 3000
    assert "▀" not in result.stdout  # no colour preview off a terminal...
    forced = runner.invoke(cli, ["run", str(SAMPLE / "astronaut.png"), "--preview"])
    assert "▀" not in forced.stdout  # ...even when asked for: rows of bare blocks say nothing
    assert "no preview without colour" in forced.stderr


@pytest.mark.parametrize(
    "command", [[MAXPOOL], [sys.executable, "-m", "maxpool_cli"]], ids=["script", "module"]
)
def test_installed_entry_points(command: list[str]) -> None:
    done = subprocess.run(
        [*command, "run", str(CLASSIC), "-k", "2"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "output (2, 2) uint8" in done.stdout
    done = subprocess.run([*command, "run", "missing.npy"], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr == "Error: missing.npy: cannot read: No such file or directory\n"


def test_code_prints_a_snippet_that_computes_what_was_written(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "small.png"
    args = ["run", str(SAMPLE / "astronaut.png"), "-k", "3", "-s", "2", "-p", "same"]
    result = runner.invoke(cli, [*args, "-o", str(out), "--code", "numpy"])
    assert result.exit_code == 0, result.output
    header, code = result.stdout.split("\n\n", 1)
    assert header.startswith(f"{SAMPLE / 'astronaut.png'}: input (512, 512, 3) uint8")
    from maxpool_cli import io as mio

    scope: dict = {"x": mio.load(SAMPLE / "astronaut.png")}
    exec(code, scope)  # the snippet, as a user pastes it
    np.testing.assert_array_equal(scope["y"], mio.load(out))


def test_code_goes_to_stderr_when_stdout_holds_the_data(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "2", "-o", "-", "--code", "torch"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\x93NUMPY")  # the .npy alone
    assert "t = F.max_pool2d(t, kernel_size=2)\n" in result.stderr


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--json"], "--code: prints Python beside the result; expected no --json"),
        ([str(CLASSIC), "-o", "out/"], "--code: applies to a single input"),
        (["--code", "pytorch"], "did you mean 'torch'?"),
    ],
)
def test_code_refusals(runner: CliRunner, extra: list[str], says: str) -> None:
    result = runner.invoke(cli, ["run", str(CLASSIC), "-k", "2", "--code", "torch", *extra])
    assert result.exit_code == 2
    assert says in result.stderr
