"""``maxpool info`` and ``maxpool explain`` through CliRunner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from maxpool_cli import pool
from maxpool_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
CLASSIC = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_info_describes_without_pooling(runner: CliRunner) -> None:
    args = ["info", str(SAMPLE / "astronaut.png"), str(SAMPLE / "features.npz"), "-k", "3"]
    result = runner.invoke(cli, [*args, "-s", "2", "-p", "same"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"{SAMPLE / 'astronaut.png'}  PNG, mode RGB" in out
    assert "image  (512, 512, 3) uint8, values 0 .. 255" in out
    assert (
        "pooled over axes 0, 1 -> (256, 256, 3) uint8, kernel 3x3, stride 2x2, padding same "
        "(0:1, 0:1)" in out
    )
    assert "heatmap  (3, 24, 24) float32" in out
    assert "pooled over axes 1, 2 -> (3, 12, 12) float32" in out


def test_info_json(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["info", str(SAMPLE / "dot.gif"), "-k", "2", "--op", "avg", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["format"] == "gif"
    assert doc["frames"] == 4
    assert doc["notes"] == ["palette image converted to RGB"]
    assert [a["name"] for a in doc["arrays"]] == ["frame0", "frame1", "frame2", "frame3"]
    assert doc["arrays"][0]["output_shape"] == [16, 16, 3]
    assert doc["arrays"][0]["output_dtype"] == "float64"
    assert "values" not in doc["arrays"][0]
    several = runner.invoke(
        cli, ["info", str(SAMPLE / "mask.png"), str(SAMPLE / "dot.gif"), "--json"]
    )
    assert [d["input"] for d in json.loads(several.stdout)] == [
        str(SAMPLE / "mask.png"),
        str(SAMPLE / "dot.gif"),
    ]


def test_info_errors(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["info", str(SAMPLE / "classic_4x4.npy"), "-k", "9"])
    assert result.exit_code == 1
    assert "axis 0: kernel spans 9 cells" in result.stderr
    result = runner.invoke(cli, ["info", str(SAMPLE / "classic_4x4.npy"), "-d", "0"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["info"])
    assert result.exit_code == 2
    assert "Missing argument 'INPUT...'" in result.stderr


def _output_table(stdout: str) -> np.ndarray:
    """The numbers of the table after the final 'Output:' line."""
    rows = stdout.split("Output:\n")[-1].strip().splitlines()[1:]
    return np.array([[float(v) if v != "nan" else np.nan for v in r.split()[1:]] for r in rows])


def test_explain_the_classic_example(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "rows     e = 1*(2 - 1) + 1 = 2; out = floor((4 + 0 + 0 - 2) / 2) + 1 = 2" in out
    assert out.count("Step ") == 4
    assert "Step 1 of 4: output [0, 0] reads rows 0, 1; columns 0, 1" in out
    assert "max(1, 1, 5, 6) = 6  (input [1, 1], flat index 5)" in out
    assert "1[5]<6>  7  8" in out  # the window bracketed, the winner marked
    np.testing.assert_array_equal(_output_table(out), [[6, 8], [3, 4]])


@pytest.mark.parametrize(
    "args",
    [
        ["-k", "2", "-p", "1"],
        ["-k", "3", "-s", "2", "-p", "same", "--op", "avg"],
        ["-k", "2", "-s", "1", "-d", "2", "--op", "min"],
        ["-k", "3", "-s", "2", "-p", "1", "--ceil-mode", "--op", "avg", "--count-pad"],
        ["-k", "2", "-s", "3", "-p", "1:0,0:1", "--pad-value", "9"],
        ["-k", "3,1", "-s", "1", "--op", "sum"],
    ],
    ids=str,
)
def test_explain_ends_with_what_pool_gives(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, ["explain", *args, "--max-steps", "100"])
    assert result.exit_code == 0, result.stderr
    expected = runner.invoke(cli, ["run", str(SAMPLE / "classic_4x4.csv"), *args, "--json"])
    values = np.array(json.loads(expected.stdout)["arrays"][0]["values"], dtype=float)
    np.testing.assert_allclose(_output_table(result.stdout), values, rtol=1e-4)
    steps = re.findall(r"Step (\d+) of (\d+)", result.stdout)
    assert len(steps) == int(steps[0][1]) == values.size


def test_explain_a_file_and_1d(runner: CliRunner, tmp_path: Path) -> None:
    signal = tmp_path / "s.csv"
    signal.write_text("3,1,4,1,5,9,2,6\n")
    result = runner.invoke(cli, ["explain", str(SAMPLE / "classic_4x4.npy"), "-k", "3", "-s", "1"])
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(_output_table(result.stdout), pool(CLASSIC, 3, stride=1))
    result = runner.invoke(cli, ["explain", str(signal), "-k", "1,3", "-s", "1,2", "-p", "0:0,1:1"])
    assert result.exit_code == 0, result.stderr
    assert "columns" in result.stdout


def test_explain_refuses_big_or_deep_inputs(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["explain", str(SAMPLE / "mask.png")])
    assert result.exit_code == 2
    assert "gives 4096 windows, more than --max-steps 36" in result.stderr
    result = runner.invoke(cli, ["explain", str(SAMPLE / "astronaut.png")])
    assert result.exit_code == 2
    assert "walks 1-D or 2-D inputs" in result.stderr


def test_every_command_has_examples_that_the_readme_shows(runner: CliRunner) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    for name in ("run", "info", "explain", "unpool"):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0
        assert "Examples:" in result.stdout, name
        examples = result.stdout.split("Examples:")[1].split("Options:")[0].split("\n")
        assert any(line.strip().startswith(f"maxpool {name}") for line in examples), name
        assert f"maxpool {name}" in readme, name
    assert "_MAXPOOL_COMPLETE" in readme
