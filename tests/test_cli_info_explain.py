"""``maxpool info`` through CliRunner, and every command's examples (``maxpool explain``'s
own tests are in ``test_explain.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from maxpool_cli.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


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
